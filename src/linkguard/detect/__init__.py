"""Pure detectors: arrays and frames in, typed results out (no files, drivers or printing)."""

from linkguard.detect._ids import group_id

__all__ = ["group_id"]
