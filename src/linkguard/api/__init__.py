"""The flag API over HTTP (``linkguard serve``): FastAPI app, auth, errors, snapshot swaps."""

from linkguard.api.app import create_app
from linkguard.api.snapshots import SnapshotSource

__all__ = ["SnapshotSource", "create_app"]
