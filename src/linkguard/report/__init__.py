"""The evidence report: one self-contained HTML file per snapshot (or per account).

:func:`build_report` reads a snapshot and its data directory and writes the page;
``evidence`` turns findings into small graphs, ``svg`` draws them, ``page`` lays out the HTML.
"""

from linkguard.report.build import build_report

__all__ = ["build_report"]
