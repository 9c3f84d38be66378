"""Pure detectors: arrays and frames in, typed results out (no files, drivers or printing)."""
