"""FlagIndex answers byte for byte as a plain per-account encoding would, and its storage."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest

from linkguard.errors import SnapshotInvalid
from linkguard.pipeline.snapshot import Snapshot, write_snapshot
from linkguard.serving import answers as answer_store
from linkguard.serving.answers import AnswerStore
from linkguard.serving.browser_links import browser_link
from linkguard.serving.flag_json import FlagPieces
from linkguard.serving.lookup import SEVERITIES, FlagIndex, SnapshotMeta
from sample_snapshots import sample_snapshot as make_snapshot

GHOSTS = ("ghost", "acct-x", "..x", "a" * 128)


def _unit(value: Any) -> float:
    if value is None or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def reference_payloads(snap: Snapshot) -> dict[str, bytes]:
    """Every account's answer, encoded the obvious way: one dict per account, dumped whole."""
    meta = SnapshotMeta.from_summary(snap.summary)
    run = {
        "snapshot_id": meta.snapshot_id,
        "ruleset_version": meta.ruleset_version,
        "computed_at": meta.computed_at,
    }
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    flags: dict[str, list[dict[Hashable, Any]]] = defaultdict(list)
    for row in snap.flags.to_dict("records"):
        if not _missing(row["account_id"]):
            flags[row["account_id"]].append(row)
    accounts = {r["account_id"]: r for r in snap.accounts.to_dict("records")}
    accounts.pop(None, None)
    gmv = {r["seller_id"]: r["adjusted_gmv"] for r in snap.concentration.to_dict("records")}
    gmv.pop(None, None)
    seen: dict[str, tuple[Any, Any]] = {}
    activity = snap.extra.get("activity")
    if activity is not None:
        for r in activity.to_dict("records"):
            seen[r["account_id"]] = (_iso(r["first_seen"]), _iso(r["last_seen"]))
    out = {}
    for account in set(flags) | set(accounts) | set(gmv) | set(seen):
        own = sorted(
            flags.get(account, []),
            key=lambda f: (-rank[f["severity"]], -float(f["score"]), f["code"]),
        )
        if account in accounts:
            row = accounts[account]
            level = row["risk_level"]
            if _missing(row["risk_score"]):
                score = max((_unit(f["score"]) for f in own), default=0.0)
            else:
                score = _unit(row["risk_score"])
            codes = [] if row["reason_codes"] is None else list(row["reason_codes"])
            codes = [c for c in codes if c is not None][:4]
        elif own:
            level = own[0]["severity"]
            score = max(_unit(f["score"]) for f in own)
            codes = list(dict.fromkeys(f["code"] for f in own))[:4]
        else:
            level, score, codes = "none", 0.0, []
        value: Any = gmv.get(account)
        answer = {
            "account_id": account,
            "risk_level": level,
            "risk_score": score,
            "reason_codes": codes,
            "flags": [
                {
                    "code": f["code"],
                    "severity": f["severity"],
                    "score": _unit(f["score"]),
                    "reason": f["reason"] or "",
                    "evidence": orjson.loads(f["evidence"])
                    if f["evidence"] and f["evidence"].strip()
                    else {},
                }
                for f in own
            ],
            "adjusted_gmv": None if _missing(value) or not math.isfinite(value) else float(value),
            "known": True,
            "first_seen": seen.get(account, (None, None))[0],
            "last_seen": seen.get(account, (None, None))[1],
            "browser_link": browser_link("account_graph", {"account_id": account}),
            **run,
        }
        out[account] = orjson.dumps(answer)
    for ghost in GHOSTS:
        out[ghost] = orjson.dumps(
            {
                "account_id": ghost,
                "risk_level": "none",
                "risk_score": 0.0,
                "reason_codes": [],
                "flags": [],
                "adjusted_gmv": None,
                "known": False,
                "first_seen": None,
                "last_seen": None,
                "browser_link": browser_link("account_graph", {"account_id": ghost}),
                **run,
            }
        )
    return out


def _iso(value: Any) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))


def _assert_same(index: FlagIndex, expected: dict[str, bytes]) -> None:
    for account, payload in expected.items():
        assert index.payload(account) == payload, account
        assert (account in index) == (account not in GHOSTS)
    assert len(index) == len(expected) - len(GHOSTS)
    ids = [*expected, *reversed(expected)]
    assert index.batch_payload(ids) == b"[" + b",".join(expected[a] for a in ids) + b"]"


def test_hand_written_snapshot_answers_as_the_plain_encoding(tmp_path: Path) -> None:
    snap = make_snapshot()
    expected = reference_payloads(snap)
    _assert_same(FlagIndex.from_snapshot(snap), expected)
    _assert_same(FlagIndex.load(write_snapshot(snap, tmp_path / "s"), details=False), expected)


def test_flags_in_any_row_order_answer_the_same(tmp_path: Path) -> None:
    snap = make_snapshot()
    expected = reference_payloads(snap)
    snap.flags = snap.flags.sample(frac=1.0, random_state=3).reset_index(drop=True)
    _assert_same(FlagIndex.from_snapshot(snap), expected)
    _assert_same(FlagIndex.load(write_snapshot(snap, tmp_path / "s")), expected)


def test_pipeline_snapshot_answers_as_the_plain_encoding(sample_snapshot: Snapshot) -> None:
    # ``sample_snapshot`` (conftest): the bundled sample market run through linkguard analyze.
    assert sample_snapshot.path is not None
    expected = reference_payloads(sample_snapshot)
    assert len(expected) > 100
    _assert_same(FlagIndex.load(sample_snapshot.path, details=False), expected)


def test_view_carries_the_same_answer(tmp_path: Path) -> None:
    snap = make_snapshot()
    index = FlagIndex.load(write_snapshot(snap, tmp_path / "s"))
    for account, payload in reference_payloads(snap).items():
        view = index.view(account)
        assert {k: v for k, v in view.items() if k in orjson.loads(payload)} == orjson.loads(
            payload
        )


def test_flags_file_shorter_than_its_keys_is_refused() -> None:
    with pytest.raises(SnapshotInvalid, match="changed while it was read"):
        FlagPieces(iter([]), 3).take([2])
    pieces = FlagPieces(iter([]), 3)
    assert pieces.take([]) == []
    with pytest.raises(SnapshotInvalid, match="changed while it was read"):
        pieces.finish()


# -- the store ------------------------------------------------------------------------------------


def _prefix(key: str) -> bytes:
    return key.encode() + b"="


def _pack(keys: list[str], chunk: int = 4) -> AnswerStore:
    answers = [_prefix(k) + f"answer of {k} ".encode() * 3 for k in keys]
    chunks = [(keys[i : i + chunk], answers[i : i + chunk]) for i in range(0, len(keys), chunk)]
    return AnswerStore.pack(chunks, _prefix)


def test_store_answers_every_key_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer_store, "BLOCK_ROWS", 3)
    keys = [f"k{i}" for i in range(11)]
    store = _pack(keys)
    assert len(store) == 11
    for k in keys:
        assert store.get(k) == _prefix(k) + f"answer of {k} ".encode() * 3
    assert store.get("k11") is None
    assert store.nbytes > 0
    store.release(batch=2)
    assert len(store) == 0
    assert store.get("k1") is None


def test_store_tells_apart_keys_with_one_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer_store, "_hash", lambda key: 42 if key.startswith("a") else -1)
    store = _pack(["a1", "a2", "b1", "a3", "b2"], chunk=2)
    for k in ("a1", "a2", "a3", "b1", "b2"):
        answer = store.get(k)
        assert answer is not None
        assert answer.startswith(_prefix(k))
    assert store.get("a4") is None  # same hash as a1-a3, not stored
    assert store.get("b3") is None


def test_empty_store_and_answers_without_their_key() -> None:
    empty = AnswerStore.pack([], _prefix)
    assert len(empty) == 0
    assert empty.get("x") is None
    with pytest.raises(ValueError, match="does not begin with its key"):
        AnswerStore.pack([(["x"], [b"y=..."])], _prefix)


def test_market_accounts_without_findings_are_known_and_ghosts_are_not(tmp_path: Path) -> None:
    snap = make_snapshot()
    flagged = str(snap.accounts["account_id"].iloc[0])
    snap.extra["activity"] = pd.DataFrame(
        {
            "account_id": [flagged, "clean-seller", "no-orders"],
            "first_seen": pd.to_datetime(
                pd.Index(["2026-01-02T03:04:05.6Z", "2026-02-01T00:00:00.0Z", None]),
                utc=True,
                format="ISO8601",
            ),
            "last_seen": pd.to_datetime(
                pd.Index(["2026-03-02T03:04:05Z", "2026-02-09T12:00:00Z", None]),
                utc=True,
                format="ISO8601",
            ),
        }
    )
    expected = reference_payloads(snap)
    for index in (FlagIndex.from_snapshot(snap), FlagIndex.load(write_snapshot(snap, tmp_path))):
        _assert_same(index, expected)
        clean = index.lookup("clean-seller")
        assert clean["risk_level"] == "none"
        assert clean["known"] is True
        assert clean["first_seen"] == "2026-02-01T00:00:00Z"
        assert clean["last_seen"] == "2026-02-09T12:00:00Z"
        assert index.lookup(flagged)["first_seen"] == "2026-01-02T03:04:05Z"
        assert index.lookup("no-orders")["known"] is True
        assert index.lookup("no-orders")["first_seen"] is None
        ghost = index.lookup("ghost")
        assert ghost["known"] is False
        assert ghost["risk_level"] == "none"
    one = FlagIndex.load(tmp_path, only=["clean-seller"]).lookup("clean-seller")
    assert one["known"] is True
