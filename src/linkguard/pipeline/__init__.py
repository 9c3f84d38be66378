"""The flow of one analysis: detectors run over the market, findings scored, a snapshot written.

- :mod:`.detection`: every detector over a market (graph arrays from :mod:`linkguard.detect.graph`);
- :mod:`.analysis`: detection, rules and the snapshot's tables and summary; ``run_analysis``
  reads, analyses and writes;
- :mod:`.snapshot`: the snapshot folder (parquet tables, ``summary.json``, quarantine CSVs) and
  its checks, written atomically (:mod:`.outdir`, :mod:`.quarantine_csv`);
- :mod:`.pointintime`: the market as of a moment (backtests);
- :mod:`.timing`: the stage timer every engine reports through.

The flow imports no door (CLI, API, Neo4j, Spark): those import it. Nothing is re-exported
here, so that reading a snapshot does not load the detectors.
"""
