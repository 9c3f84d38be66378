"""The flag API: endpoints, auth, validation, error envelope, logs and snapshot swaps."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import pytest

from linkguard.api import SnapshotSource, create_app
from linkguard.api.logs import JsonFormatter, JsonLineHandler, configure_logging
from linkguard.api.models import AccountFlags
from linkguard.errors import SnapshotInvalid
from linkguard.pipeline.snapshot import Snapshot, write_snapshot
from linkguard.serving.answers import AnswerStore
from linkguard.serving.browser_links import browser_link
from linkguard.serving.lookup import FlagIndex
from sample_snapshots import sample_snapshot as make_snapshot

with warnings.catch_warnings():
    # Starlette announces a future switch of its test client's HTTP library.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKENS = ("token-one-0123456789", "token-two-9876543210")
AUTH = {"Authorization": f"Bearer {TOKENS[0]}"}


def _write(root: Path, name: str, snapshot_id: str, created_at: str) -> Path:
    return write_snapshot(make_snapshot(snapshot_id, created_at), root / name)


@pytest.fixture
def snap_dir(tmp_path: Path) -> Path:
    return _write(tmp_path / "snapshots", "a", "snap-a", "2026-01-01T00:00:00Z")


@pytest.fixture
def source(snap_dir: Path) -> SnapshotSource:
    src = SnapshotSource(snapshot=snap_dir)
    assert src.refresh()
    return src


@pytest.fixture
def client(source: SnapshotSource) -> Iterator[TestClient]:
    app = create_app(source, TOKENS, watch=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _envelope(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert body["error"]["request_id"] == resp.headers["x-request-id"]
    return body["error"]  # type: ignore[no-any-return]


# -- endpoints ------------------------------------------------------------------------------------


def test_healthz_and_readyz_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "snapshot_id": "snap-a",
        "ruleset_version": "2026.1",
        "computed_at": "2026-01-01T00:00:00Z",
        "accounts": 8,  # the seven traders and D1 of the market, S2 among them
    }


def test_readyz_is_503_until_a_snapshot_is_loaded(tmp_path: Path) -> None:
    src = SnapshotSource(root=tmp_path)
    with TestClient(create_app(src, TOKENS, watch=False)) as c:
        _envelope(c.get("/readyz"), 503, "not_ready")
        _envelope(c.get("/v1/accounts/S1/flags", headers=AUTH), 503, "not_ready")
        _write(tmp_path, "a", "snap-a", "2026-01-01T00:00:00Z")
        assert src.refresh()
        assert c.get("/readyz").status_code == 200


def test_openapi_is_public_and_documents_auth(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/healthz",
        "/readyz",
        "/v1/accounts/{account_id}/flags",
        "/v1/flags:batch",
        "/v1/alerts",
    }
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    flags_get = spec["paths"]["/v1/accounts/{account_id}/flags"]["get"]
    assert flags_get["security"] == [{"bearerAuth": []}]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert flags_get["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }


def test_account_flags(client: TestClient) -> None:
    resp = client.get("/v1/accounts/S1/flags", headers=AUTH)
    assert resp.status_code == 200
    body = resp.json()
    assert body["account_id"] == "S1"
    assert body["risk_level"] == "decline"
    assert body["risk_score"] == pytest.approx(0.92)
    assert body["reason_codes"] == ["BRUSHING_RING", "SELF_DEALING", "HIGH_CONCENTRATION"]
    assert [f["code"] for f in body["flags"]] == [
        "BRUSHING_RING",
        "SELF_DEALING",
        "HIGH_CONCENTRATION",
    ]
    first = body["flags"][0]
    assert set(first) == {"code", "severity", "score", "reason", "evidence"}
    assert first["evidence"] == {
        "ring_id": "R1",
        "accounts": ["B1", "B2"],
        "orders": 41,
        "amount": 1890.0,
    }
    assert body["adjusted_gmv"] == 1200.5
    assert body["snapshot_id"] == "snap-a"
    assert body["ruleset_version"] == "2026.1"
    assert body["computed_at"] == "2026-01-01T00:00:00Z"


def test_flags_are_ordered_and_reason_codes_capped(client: TestClient) -> None:
    body = client.get("/v1/accounts/M1/flags", headers=AUTH).json()
    assert len(body["reason_codes"]) == 4
    severities = [f["severity"] for f in body["flags"]]
    assert severities == ["decline", "decline", "review", "review", "info"]
    assert len(body["flags"]) == 5


@pytest.mark.parametrize(
    ("account_id", "gmv", "known"),
    [("nobody-42", None, False), ("X9", None, True), ("S2", 9000.0, True)],
)
def test_account_without_findings_is_none_not_404(
    client: TestClient, account_id: str, gmv: float | None, known: bool
) -> None:
    # "none" for an account of the market (found clean) and for an id the market never held,
    # told apart by `known` and the times of the account's first and last order.
    resp = client.get(f"/v1/accounts/{account_id}/flags", headers=AUTH)
    assert resp.status_code == 200
    assert resp.json() == {
        "account_id": account_id,
        "risk_level": "none",
        "risk_score": 0.0,
        "reason_codes": [],
        "flags": [],
        "adjusted_gmv": gmv,
        "known": known,
        "first_seen": "2025-12-01T08:00:00Z" if known else None,
        "last_seen": "2025-12-31T18:30:00Z" if known else None,
        "browser_link": browser_link("account_graph", {"account_id": account_id}),
        "snapshot_id": "snap-a",
        "ruleset_version": "2026.1",
        "computed_at": "2026-01-01T00:00:00Z",
    }


def test_batch_answers_in_order_with_duplicates(client: TestClient) -> None:
    ids = ["B2", "nobody", "S1", "B2"]
    resp = client.post("/v1/flags:batch", json={"account_ids": ids}, headers=AUTH)
    assert resp.status_code == 200
    body = resp.json()
    assert [a["account_id"] for a in body] == ids
    single = client.get("/v1/accounts/S1/flags", headers=AUTH).json()
    assert body[2] == single


@pytest.mark.parametrize(("count", "status"), [(0, 422), (1, 200), (1000, 200), (1001, 422)])
def test_batch_limits(client: TestClient, count: int, status: int) -> None:
    ids = [f"acct-{i}" for i in range(count)]
    resp = client.post("/v1/flags:batch", json={"account_ids": ids}, headers=AUTH)
    if status == 200:
        assert resp.status_code == 200
        assert len(resp.json()) == count
    else:
        _envelope(resp, 422, "validation_error")


@pytest.mark.parametrize(
    "body",
    [
        {"account_ids": "S1"},
        {"account_ids": ["S1", 5]},
        {"account_ids": ["S1"], "extra": 1},
        {"ids": ["S1"]},
        [],
    ],
)
def test_batch_rejects_bad_bodies(client: TestClient, body: Any) -> None:
    resp = client.post("/v1/flags:batch", json=body, headers=AUTH)
    _envelope(resp, 422, "validation_error")


# -- auth -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer wrong-token",
        f"Basic {TOKENS[0]}",
        "Bearer",
        "Bearer ",
        TOKENS[0],
        f"Bearer {TOKENS[0]}x",
        f"Bearer {TOKENS[0][:-1]}",
    ],
)
def test_auth_failures_are_401_with_challenge(client: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    for resp in (
        client.get("/v1/accounts/S1/flags", headers=headers),
        client.post("/v1/flags:batch", json={"account_ids": ["S1"]}, headers=headers),
    ):
        _envelope(resp, 401, "unauthorized")
        assert resp.headers["www-authenticate"].startswith("Bearer")
        assert "S1" not in resp.text


@pytest.mark.parametrize("token", TOKENS)
def test_every_configured_token_is_accepted(client: TestClient, token: str) -> None:
    for scheme in ("Bearer", "bearer"):
        resp = client.get("/v1/accounts/S1/flags", headers={"Authorization": f"{scheme} {token}"})
        assert resp.status_code == 200


def test_no_tokens_no_app(source: SnapshotSource) -> None:
    with pytest.raises(ValueError, match="token"):
        create_app(source, [])


# -- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["x" * 129, "%2E", "abc%0A", "a%00b", "%09tab", "a%C2%85b"])
def test_bad_ids_are_422_before_lookup(client: TestClient, raw: str) -> None:
    resp = client.get(f"/v1/accounts/{raw}/flags", headers=AUTH)
    err = _envelope(resp, 422, "validation_error")
    assert "account_id" in err["message"]


@pytest.mark.parametrize(
    ("raw", "account_id"),
    [
        ("x" * 128, "x" * 128),
        ("a.b:c@d-e_f", "a.b:c@d-e_f"),
        ("..a", "..a"),
        (".a", ".a"),
        ("123", "123"),
        ("a%20b", "a b"),
        ("a+b", "a+b"),
        ("%C3%A9t%C3%A9", "été"),
        ("a%2Fb", "a/b"),
        ("a;b", "a;b"),
        ("a$", "a$"),
        ("100%25", "100%"),
        ("a%3Fb%23c", "a?b#c"),
    ],
)
def test_good_ids(client: TestClient, raw: str, account_id: str) -> None:
    resp = client.get(f"/v1/accounts/{raw}/flags", headers=AUTH)
    assert resp.status_code == 200
    assert resp.json()["account_id"] == account_id


# -- the envelope for every error -----------------------------------------------------------------


class _Broken(FlagIndex):
    def payload(self, account_id: str) -> bytes:
        raise RuntimeError("disk on fire")


def test_every_error_uses_the_envelope(client: TestClient, source: SnapshotSource) -> None:
    _envelope(client.get("/v1/accounts/S1/flags"), 401, "unauthorized")
    _envelope(client.get("/v1/nothing-here", headers=AUTH), 404, "not_found")
    _envelope(client.get("/v1/accounts//flags", headers=AUTH), 404, "not_found")
    not_allowed = client.get("/v1/flags:batch", headers=AUTH)
    _envelope(not_allowed, 405, "method_not_allowed")
    assert not_allowed.headers["allow"] == "POST"
    _envelope(client.post("/v1/accounts/S1/flags", headers=AUTH), 405, "method_not_allowed")
    _envelope(client.delete("/healthz"), 405, "method_not_allowed")
    big = b'{"account_ids": ["' + b"a" * 300_000 + b'"]}'
    _envelope(client.post("/v1/flags:batch", content=big, headers=AUTH), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for _ in range(40):
            yield b" " * 10_000

    _envelope(
        client.post(
            "/v1/flags:batch",
            content=chunks(),
            headers={**AUTH, "content-type": "application/json"},
        ),
        413,
        "payload_too_large",
    )
    _envelope(client.get("/v1/accounts/a%0Ab/flags", headers=AUTH), 422, "validation_error")
    _envelope(
        client.post(
            "/v1/flags:batch",
            content=b"{not json",
            headers={**AUTH, "content-type": "application/json"},
        ),
        422,
        "validation_error",
    )
    _envelope(
        client.post(
            "/v1/flags:batch",
            content=b'{"account_ids": ["\xff\xfe"]}',
            headers={**AUTH, "content-type": "application/json"},
        ),
        400,
        "bad_request",
    )
    _envelope(
        client.post(
            "/v1/flags:batch",
            content=b"account_ids=S1",
            headers={**AUTH, "content-type": "text/plain"},
        ),
        415,
        "unsupported_media_type",
    )
    index = source.index
    assert index is not None
    source.index = _Broken(cast(AnswerStore, {}), index.meta)  # payload() fails before reading
    err = _envelope(client.get("/v1/accounts/S1/flags", headers=AUTH), 500, "internal_error")
    assert "fire" not in err["message"]
    source.index = None
    _envelope(client.get("/v1/accounts/S1/flags", headers=AUTH), 503, "not_ready")
    _envelope(client.get("/readyz"), 503, "not_ready")


def test_validation_messages_do_not_echo_input(client: TestClient) -> None:
    secret = "+15551234567"
    resp = client.post("/v1/flags:batch", json={"account_ids": [secret, 15551234567]}, headers=AUTH)
    _envelope(resp, 422, "validation_error")
    assert secret not in resp.text


# -- request ids and the access log ---------------------------------------------------------------


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "req-42.a:b"}).headers["x-request-id"]
        == "req-42.a:b"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id\r"}).headers["x-request-id"]
    assert len(generated) == 32
    assert " " not in generated
    raw = client.get("/healthz", headers={"X-Request-ID": "caf\u00e9".encode()}).headers
    assert len(raw["x-request-id"]) == 32
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    too_long = "r" * 129
    assert (
        client.get("/healthz", headers={"X-Request-ID": too_long}).headers["x-request-id"]
        != too_long
    )


def test_access_log_is_structured_and_token_free(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="linkguard.api.access")
    client.get("/v1/accounts/S1/flags", headers={**AUTH, "X-Request-ID": "trace-1"})
    client.get("/v1/accounts/S1/flags", headers={"Authorization": "Bearer leaked-secret"})
    client.post("/v1/flags:batch", json={"account_ids": ["+15551234567"]}, headers=AUTH)
    records = [r for r in caplog.records if r.name == "linkguard.api.access"]
    assert len(records) == 3
    ok = records[0].fields  # type: ignore[attr-defined]
    assert ok["request_id"] == "trace-1"
    assert ok["method"] == "GET"
    assert ok["path"] == "/v1/accounts/{account_id}/flags"
    assert ok["account_id"] == "S1"
    assert ok["snapshot_id"] == "snap-a"
    assert ok["status"] == 200
    assert ok["latency_ms"] >= 0
    assert records[1].fields["status"] == 401  # type: ignore[attr-defined]

    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert all(orjson.loads(line)["level"] for line in lines)
    text = "\n".join(lines)
    assert TOKENS[0] not in text
    assert "leaked-secret" not in text
    assert "+15551234567" not in text


# -- snapshots: newest, swap, refusal -------------------------------------------------------------


def test_root_serves_the_newest_and_switches(tmp_path: Path) -> None:
    _write(tmp_path, "1", "snap-1", "2026-01-01T00:00:00Z")
    _write(tmp_path, "2", "snap-2", "2026-01-02T00:00:00Z")
    src = SnapshotSource(root=tmp_path)
    assert src.refresh()
    assert src.index is not None
    assert src.index.snapshot_id == "snap-2"
    assert not src.refresh()  # nothing newer
    _write(tmp_path, "0", "snap-0", "2025-12-01T00:00:00Z")  # older: ignored
    assert not src.refresh()
    _write(tmp_path, "3", "snap-3", "2026-01-03T00:00:00Z")
    assert src.refresh()
    assert src.index.snapshot_id == "snap-3"


def test_fixed_snapshot_reloads_when_rewritten(snap_dir: Path, source: SnapshotSource) -> None:
    assert not source.refresh()
    write_snapshot(make_snapshot("snap-a2", "2026-01-05T00:00:00Z"), snap_dir)
    assert source.refresh()
    assert source.index is not None
    assert source.index.snapshot_id == "snap-a2"


def _break(path: Path) -> None:
    (path / "flags.parquet").write_bytes(b"this is not parquet")


def test_broken_newer_snapshot_is_refused_and_old_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path, "a", "snap-a", "2026-01-01T00:00:00Z")
    calls: list[Path] = []

    def loader(path: Path) -> FlagIndex:
        calls.append(path)
        return FlagIndex.load(path, details=False)

    src = SnapshotSource(root=tmp_path, loader=loader)
    assert src.refresh()
    app = create_app(src, TOKENS, watch=False)
    client = TestClient(app)
    broken = _write(tmp_path, "b", "snap-b", "2026-01-02T00:00:00Z")
    _break(broken)
    caplog.set_level(logging.ERROR, logger="linkguard.api.snapshots")
    assert not src.refresh()
    assert any(r.getMessage() == "snapshot refused" for r in caplog.records)
    assert client.get("/v1/accounts/S1/flags", headers=AUTH).json()["snapshot_id"] == "snap-a"
    assert not src.refresh()
    assert calls.count(broken) == 1  # refused once, not retried every poll
    # A snapshot whose rows break the contract is refused the same way.
    bad = make_snapshot("snap-c", "2026-01-03T00:00:00Z")
    bad.flags.loc[0, "severity"] = "catastrophic"
    write_snapshot(bad, tmp_path / "c")
    assert not src.refresh()
    assert src.index is not None
    assert src.index.snapshot_id == "snap-a"
    # The next good one is taken.
    _write(tmp_path, "d", "snap-d", "2026-01-04T00:00:00Z")
    assert src.refresh()
    assert client.get("/v1/accounts/S1/flags", headers=AUTH).json()["snapshot_id"] == "snap-d"


def test_swap_under_concurrent_requests(tmp_path: Path) -> None:
    _write(tmp_path, "a", "snap-a", "2026-01-01T00:00:00Z")
    src = SnapshotSource(root=tmp_path)
    assert src.refresh()
    app = create_app(src, TOKENS, watch=False)
    swapped = threading.Event()

    def swap() -> None:
        _write(tmp_path, "b", "snap-b", "2026-01-02T00:00:00Z")
        assert src.refresh()
        swapped.set()

    async def drive() -> tuple[list[int], list[str], list[str]]:
        statuses: list[int] = []
        seen: list[str] = []
        after: list[str] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as c:

            async def one(i: int) -> None:
                was_swapped = swapped.is_set()
                if i % 5 == 0:
                    r = await c.post("/v1/flags:batch", json={"account_ids": ["S1", "B1"]})
                    sid = r.json()[0]["snapshot_id"] if r.status_code == 200 else ""
                else:
                    r = await c.get(f"/v1/accounts/{'S1' if i % 2 else 'nobody'}/flags")
                    sid = r.json().get("snapshot_id", "") if r.status_code == 200 else ""
                statuses.append(r.status_code)
                seen.append(sid)
                if was_swapped:
                    after.append(sid)

            thread = threading.Thread(target=swap)
            thread.start()
            i = 0
            while not swapped.is_set() or len(after) < 50:
                await asyncio.gather(*(one(i + k) for k in range(16)))
                i += 16
                assert i < 200_000
            thread.join()
        return statuses, seen, after

    statuses, seen, after = asyncio.run(drive())
    assert set(statuses) == {200}
    assert set(seen) <= {"snap-a", "snap-b"}
    assert "snap-a" in seen
    assert set(after) == {"snap-b"}


def test_polling_thread_and_lifespan(tmp_path: Path) -> None:
    src = SnapshotSource(root=tmp_path, poll_seconds=0.05)
    app = create_app(src, TOKENS)
    with TestClient(app) as client:
        _envelope(client.get("/readyz"), 503, "not_ready")
        _write(tmp_path, "a", "snap-a", "2026-01-01T00:00:00Z")
        assert src.wait_ready(10)
        assert client.get("/readyz").json()["snapshot_id"] == "snap-a"
        _write(tmp_path, "b", "snap-b", "2026-01-02T00:00:00Z")
        for _ in range(200):
            if src.index is not None and src.index.snapshot_id == "snap-b":
                break
            threading.Event().wait(0.05)
        assert client.get("/v1/accounts/B1/flags", headers=AUTH).json()["snapshot_id"] == "snap-b"
    assert src._thread is None  # stopped with the app


# -- the index itself -----------------------------------------------------------------------------


def test_index_from_memory_and_from_disk_agree(snap_dir: Path) -> None:
    from linkguard.pipeline.snapshot import read_snapshot

    on_disk = FlagIndex.load(snap_dir)
    in_memory = FlagIndex.from_snapshot(read_snapshot(snap_dir))
    only = FlagIndex.load(snap_dir, only=["M1", "ghost"])
    for account in ("S1", "B1", "B2", "L1", "M1", "S2", "X9", "ghost"):
        assert on_disk.payload(account) == in_memory.payload(account)
        assert orjson.loads(on_disk.payload(account))["account_id"] == account
    assert only.payload("M1") == on_disk.payload("M1")
    assert len(only) == 1
    batch = orjson.loads(on_disk.batch_payload(["S1", "ghost"]))
    assert batch == [on_disk.lookup("S1"), on_disk.lookup("ghost")]
    assert on_disk.batch_payload([]) == b"[]"


def test_index_derives_risk_for_flags_without_account_row(tmp_path: Path) -> None:
    snap = make_snapshot()
    snap.accounts = snap.accounts[snap.accounts["account_id"] != "M1"].reset_index(drop=True)
    index = FlagIndex.from_snapshot(snap)
    m1 = index.lookup("M1")
    assert m1["risk_level"] == "decline"
    assert m1["risk_score"] == pytest.approx(0.95)
    assert m1["reason_codes"] == ["SELF_DEALING", "CIRCULAR_TRADE", "LOCKSTEP", "LINKED_ACCOUNTS"]


@pytest.mark.parametrize("evidence", ["not json", "[1, 2]", '"text"'])
def test_index_refuses_evidence_that_is_not_an_object(evidence: str) -> None:
    snap = make_snapshot()
    snap.flags.loc[3, "evidence"] = evidence
    with pytest.raises(SnapshotInvalid, match="evidence"):
        FlagIndex.from_snapshot(snap)


def test_index_reads_empty_evidence_as_empty_object_and_clamps_scores() -> None:
    snap = make_snapshot()
    snap.flags.loc[3, "evidence"] = None
    snap.flags.loc[3, "score"] = 1.0000001
    snap.accounts.loc[1, "risk_score"] = float("nan")
    index = FlagIndex.from_snapshot(snap)
    b1 = index.lookup("B1")
    assert b1["flags"][0]["evidence"] == {}
    assert b1["flags"][0]["score"] == 1.0
    # A missing (NaN) risk score falls back to the highest flag score.
    assert b1["risk_score"] == 1.0


def test_index_refuses_summary_without_required_fields(tmp_path: Path) -> None:
    snap = make_snapshot()
    del snap.summary["ruleset_version"]
    with pytest.raises(SnapshotInvalid, match="ruleset_version"):
        FlagIndex.from_snapshot(snap)
    snap = make_snapshot(created_at="yesterday")
    with pytest.raises(SnapshotInvalid, match="created_at"):
        FlagIndex.from_snapshot(snap)


def test_naive_created_at_is_utc() -> None:
    index = FlagIndex.from_snapshot(make_snapshot(created_at="2026-03-04T05:06:07"))
    assert index.meta.computed_at == "2026-03-04T05:06:07Z"
    index = FlagIndex.from_snapshot(make_snapshot(created_at="2026-03-04T07:06:07+02:00"))
    assert index.meta.computed_at == "2026-03-04T05:06:07Z"


def test_empty_snapshot_answers_none(tmp_path: Path) -> None:
    from linkguard.pipeline.snapshot import empty_table

    snap = make_snapshot()
    for name in ("flags", "accounts", "clusters", "rings", "concentration"):
        setattr(snap, name, empty_table(name))
    snap.extra.clear()  # no market either
    path = write_snapshot(snap, tmp_path / "empty")
    index = FlagIndex.load(path)
    assert len(index) == 0
    assert index.lookup("S1")["risk_level"] == "none"
    assert index.view("S1")["cluster"] is None


def test_view_needs_details() -> None:
    index = FlagIndex.from_snapshot(make_snapshot(), details=False)
    with pytest.raises(RuntimeError):
        index.view("S1")


def test_fast_path_and_fastapi_route_answer_the_same(source: SnapshotSource) -> None:
    fast = TestClient(create_app(source, TOKENS, watch=False))
    slow = TestClient(create_app(source, TOKENS, watch=False, fast_path=False))
    for path in (
        "/v1/accounts/S1/flags",
        "/v1/accounts/M1/flags",
        "/v1/accounts/ghost/flags",
        "/v1/accounts/a%20b/flags",
        "/v1/accounts/x/flags/",
        "/v1/accounts/a/b/flags",
    ):
        a, b = fast.get(path, headers=AUTH), slow.get(path, headers=AUTH)
        assert a.status_code == b.status_code, path
        if a.status_code == 200:
            assert a.content == b.content
            assert a.headers["content-type"] == b.headers["content-type"]
        else:
            assert a.json()["error"]["code"] == b.json()["error"]["code"]
    assert fast.get("/v1/accounts/S1/flags").status_code == 401  # auth runs first


def test_serves_a_snapshot_of_the_real_pipeline(sample_snapshot: Snapshot) -> None:
    # ``sample_snapshot`` (conftest): the bundled sample market run through linkguard analyze.
    assert sample_snapshot.path is not None
    source = SnapshotSource(snapshot=sample_snapshot.path)
    assert source.refresh()
    client = TestClient(create_app(source, TOKENS, watch=False))
    accounts = sample_snapshot.accounts
    flags_per_account = sample_snapshot.flags.groupby("account_id").size()
    ids = accounts["account_id"].tolist()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        resp = client.post("/v1/flags:batch", json={"account_ids": chunk}, headers=AUTH)
        assert resp.status_code == 200
        for answer in resp.json():
            parsed = AccountFlags.model_validate(answer)
            row = accounts[accounts["account_id"] == parsed.account_id].iloc[0]
            assert parsed.risk_level == row["risk_level"]
            assert len(parsed.reason_codes) <= 4
            assert len(parsed.flags) == flags_per_account.get(parsed.account_id, 0)
            assert parsed.snapshot_id == sample_snapshot.summary["snapshot_id"]
    sellers = sample_snapshot.concentration
    if len(sellers):
        seller = sellers.iloc[0]
        answer = client.get(f"/v1/accounts/{seller['seller_id']}/flags", headers=AUTH).json()
        assert answer["adjusted_gmv"] == pytest.approx(seller["adjusted_gmv"])


@pytest.fixture
def json_logging() -> Iterator[io.StringIO]:
    """``linkguard serve``'s logging setup, writing to a buffer; undone afterwards."""
    names = ("linkguard", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (lg.handlers[:], lg.propagate, lg.level) for n in names for lg in [logging.getLogger(n)]
    }
    configure_logging("info")
    buffer = io.StringIO()
    handler = logging.getLogger("linkguard").handlers[0]
    assert isinstance(handler, JsonLineHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        for n, (handlers, propagate, level) in saved.items():
            lg = logging.getLogger(n)
            lg.handlers[:] = handlers
            lg.propagate = propagate
            lg.setLevel(level)


def test_served_access_log_lines_are_json(client: TestClient, json_logging: io.StringIO) -> None:
    client.get("/v1/accounts/S1/flags", headers={**AUTH, "X-Request-ID": "line-1"})
    client.post("/v1/flags:batch", json={"account_ids": ["S1", "B1"]}, headers=AUTH)
    client.get("/v1/accounts/S1/flags", headers={"Authorization": "Bearer nope"})
    logging.getLogger("linkguard").handlers[0].flush()  # access lines are written in bulk
    lines = [orjson.loads(line) for line in json_logging.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "linkguard.api.access"]
    assert len(access) == 3
    first = access[0]
    assert first["ts"].endswith("Z")
    assert first["level"] == "info"
    assert first["request_id"] == "line-1"
    assert first["status"] == 200
    assert first["path"] == "/v1/accounts/{account_id}/flags"
    assert first["account_id"] == "S1"
    assert first["snapshot_id"] == "snap-a"
    assert first["latency_ms"] >= 0
    assert access[1]["path"] == "/v1/flags:batch"
    assert access[1]["batch_size"] == 2
    assert access[2]["status"] == 401
    assert "nope" not in json_logging.getvalue()
    assert TOKENS[0] not in json_logging.getvalue()


def test_retired_index_is_freed_after_the_swap(tmp_path: Path) -> None:
    _write(tmp_path, "a", "snap-a", "2026-01-01T00:00:00Z")
    src = SnapshotSource(root=tmp_path)
    assert src.refresh()
    held: list[int] = []
    reading = threading.Event()

    def slow_request(index: FlagIndex) -> None:
        # A request that read the old index just before the swap and is slow to let go.
        reading.set()
        threading.Event().wait(0.3)
        held.append(len(index))

    old = src.index
    assert old is not None
    thread = threading.Thread(target=slow_request, args=(old,))
    thread.start()
    reading.wait()
    del old
    _write(tmp_path, "b", "snap-b", "2026-01-02T00:00:00Z")
    assert src.refresh()
    started = time.monotonic()
    src.retire(grace_seconds=0, max_wait=5)  # waits for the request to let go
    waited = time.monotonic() - started
    # retire returned only once the request had finished reading (whatever the machine's load)
    assert held == [8]  # whole while it was being read
    thread.join()
    assert waited < 5
    assert src.index is not None
    assert len(src.index) == 8
    src.retire()  # nothing left to retire
    index = FlagIndex.from_snapshot(make_snapshot())
    index.release(batch=4)
    assert len(index) == 0
    assert index.lookup("S1")["risk_level"] == "none"


class _Recorder(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []

    def write(self, text: str) -> int:
        self.writes.append(len(text))
        return super().write(text)


def test_access_lines_are_written_in_bulk_and_in_order() -> None:
    stream = _Recorder()
    handler = JsonLineHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.write_line("a\n")  # no event loop to come back later: written at once
    assert stream.getvalue() == "a\n"

    async def on_a_loop() -> None:
        handler.write_line("b\n")
        handler.write_line("c\n")
        assert stream.getvalue() == "a\n"  # waiting for the loop to come back
        await asyncio.sleep(handler.delay * 4)
        assert stream.getvalue() == "a\nb\nc\n"
        stream.writes.clear()
        for _ in range(handler.max_pending):
            handler.write_line("x" * 99 + "\n")
        assert stream.getvalue().count("x" * 99) == handler.max_pending  # written when full
        assert max(stream.writes) <= handler.atomic_write  # never a line split by a writer
        assert len(stream.writes) < handler.max_pending / 10
        handler.write_line("d\n")
        handler.emit(logging.makeLogRecord({"msg": "later", "levelname": "INFO", "name": "t"}))
        await asyncio.sleep(handler.delay * 2)

    asyncio.run(on_a_loop())
    tail = stream.getvalue().splitlines()[-2:]
    assert tail[0] == "d"
    assert orjson.loads(tail[1])["message"] == "later"


# -- /docs and the access log's path ------------------------------------------------------------


def test_docs_page_works_offline(client: TestClient) -> None:
    import re as _re

    page = client.get("/docs")  # no token: the page is public, calls from it are not
    assert page.status_code == 200
    assert "swagger" in page.text.lower()
    refs = _re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', page.text)
    refs += _re.findall(r"url:\s*'([^']+)'", page.text)
    assert refs
    for ref in refs:
        # Every script, style and document the page loads comes from the API itself.
        assert ref.startswith("/"), ref
        assert client.get(ref).status_code == 200, ref
    assert "/docs/swagger-ui-bundle.js" in refs
    assert len(client.get("/docs/swagger-ui-bundle.js").content) > 100_000


def test_access_log_names_the_route_even_when_auth_answers(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="linkguard.api.access")
    client.get("/v1/accounts/S1/flags")  # 401 before routing
    client.post("/v1/flags:batch", json={"account_ids": []})  # 401
    client.get("/healthz")
    client.get("/no/such/+15551234567")  # 401/404: never the raw path
    paths = [r.fields["path"] for r in caplog.records if r.name == "linkguard.api.access"]  # type: ignore[attr-defined]
    assert paths[:3] == ["/v1/accounts/{account_id}/flags", "/v1/flags:batch", "/healthz"]
    assert paths[3] == "(no route)"
    assert None not in paths
