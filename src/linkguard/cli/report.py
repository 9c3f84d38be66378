"""``linkguard report``: a self-contained HTML evidence report."""
