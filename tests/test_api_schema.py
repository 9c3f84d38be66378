"""Property-based check of the flag API against its own OpenAPI description.

Schemathesis generates requests from ``/openapi.json`` (valid and invalid ids, batch
bodies of every shape) and checks that no answer is a 5xx and that every answer - status,
content type, headers, body - is one the description documents.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from linkguard.api import SnapshotSource, create_app
from linkguard.pipeline.snapshot import write_snapshot
from sample_snapshots import sample_snapshot

TOKEN = "schema-test-token-0123456789"

# Built at import: schemathesis reads the schema while collecting the tests.
_tmp = Path(tempfile.mkdtemp(prefix="linkguard-schema-"))
atexit.register(shutil.rmtree, _tmp, ignore_errors=True)
_snapshot_dir = _tmp / "snap"
write_snapshot(sample_snapshot("snap-schema", "2026-01-01T00:00:00Z"), _snapshot_dir)
_source = SnapshotSource(snapshot=_snapshot_dir)
_source.refresh()
app = create_app(_source, [TOKEN], watch=False)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})


def test_every_sample_account_conforms() -> None:
    # Generated ids rarely hit an account with findings; check each one explicitly.
    accounts: list[Any] = ["S1", "B1", "B2", "L1", "M1", "S2", "X9", "ghost"]
    operation = schema["/v1/accounts/{account_id}/flags"]["GET"]
    for account_id in accounts:
        case = operation.Case(path_parameters={"account_id": account_id})
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
    batch = schema["/v1/flags:batch"]["POST"].Case(body={"account_ids": accounts})
    response = batch.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
    assert [a["account_id"] for a in response.json()] == accounts
