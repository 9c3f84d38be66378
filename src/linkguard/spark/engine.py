"""``analyze --engine spark``: the analysis of :mod:`linkguard.pipeline.analysis` on Apache Spark.

Tables stay in Spark from ingest to the snapshot; only findings (flagged groups, a few
statistics each) are collected, and the ruleset scores them with the in-memory code
(:func:`linkguard.rules.flags.apply_rules`), so both engines word and score flags alike.
Large snapshot tables are streamed to disk partition by partition (:mod:`.writer`).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from linkguard import __version__
from linkguard.config import pepper_bytes
from linkguard.detect.lockstep import granularity_of_seconds_of_day
from linkguard.pipeline.detection import NOT_REVENUE_STATUSES
from linkguard.pipeline.snapshot import SNAPSHOT_COLUMNS, Snapshot, empty_table
from linkguard.pipeline.timing import StageTimer
from linkguard.rules.flags import Finding, apply_rules
from linkguard.rules.ruleset import FLAG_CODES, Ruleset, load_ruleset
from linkguard.schema import BAD_ACCOUNT_STATUSES
from linkguard.spark import findings as fd
from linkguard.spark.behaviour import baselines, created_of, seconds_of_day, timed
from linkguard.spark.cache import released, run_cached
from linkguard.spark.cycles import circular_trades
from linkguard.spark.farms import farm_rings
from linkguard.spark.ingest import SparkInput, quarantine_columns, read_input
from linkguard.spark.linked import linked_accounts
from linkguard.spark.local_rings import local_rings
from linkguard.spark.lockstep import lockstep_groups
from linkguard.spark.owners import owner_facts, owner_groups
from linkguard.spark.ring_checks import market_counts, ordinary_groups
from linkguard.spark.rings import ring_search
from linkguard.spark.session import spark_session
from linkguard.spark.trade import concentration, self_dealing, self_dealing_pairs, trade_pairs
from linkguard.spark.writer import StagedSnapshot

__all__ = ["run_spark_analysis"]

_ADJUSTMENT_TYPES = {
    "order_id": pa.string(),
    "seller_id": pa.string(),
    "buyer_id": pa.string(),
    "amount": pa.float64(),
    "reason": pa.string(),
}


def run_spark_analysis(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    ruleset_path: str | Path | None = None,
    master: str | None = None,
    conf: dict[str, str] | None = None,
    timer: StageTimer | None = None,
    spark: SparkSession | None = None,
    pepper: bytes | None = None,
    force: bool = False,
) -> Snapshot:
    """Analyse ``data_dir`` on Spark and write the snapshot ``out_dir`` (local path).

    ``out_dir`` is checked and locked as for the in-memory engine
    (:mod:`linkguard.pipeline.outdir`): only a missing or empty folder or a previous snapshot
    is replaced (any other folder with ``force``), never the data directory or a folder
    holding it.
    """
    from linkguard.pipeline.outdir import output_folder

    local_input = "://" not in str(data_dir) or str(data_dir).startswith("file://")
    inputs = [str(data_dir).removeprefix("file://")] if local_input else []
    with output_folder(out_dir, inputs=inputs, force=force) as target:
        return _run_locked(
            data_dir,
            target,
            ruleset_path=ruleset_path,
            master=master,
            conf=conf,
            timer=timer,
            spark=spark,
            pepper=pepper,
        )


def _run_locked(
    data_dir: str | Path,
    out_dir: Path,
    *,
    ruleset_path: str | Path | None,
    master: str | None,
    conf: dict[str, str] | None,
    timer: StageTimer | None,
    spark: SparkSession | None,
    pepper: bytes | None,
) -> Snapshot:
    timer = timer or StageTimer()
    ruleset = load_ruleset(ruleset_path)
    key = pepper_bytes() if pepper is None else pepper
    spark = spark or spark_session(master, conf)
    sc = spark.sparkContext
    own_checkpoints = None
    if not sc.getCheckpointDir():
        own_checkpoints = tempfile.mkdtemp(prefix="linkguard-checkpoints-")
        sc.setCheckpointDir(own_checkpoints)
    staged = StagedSnapshot(out_dir)
    try:
        with released():
            with timer.stage("ingest"):
                inp = read_input(spark, str(data_dir), key)
            snapshot = _analyse(spark, inp, ruleset, timer, staged)
        snapshot.summary["stage_seconds"] = timer.seconds
        snapshot.path = staged.commit(snapshot.summary)
    except BaseException:
        staged.abort()
        raise
    finally:
        if own_checkpoints is not None:
            shutil.rmtree(own_checkpoints, ignore_errors=True)
    return snapshot


def _empty(name: str, spark: SparkSession, schema: str) -> DataFrame:
    return spark.createDataFrame([], schema)


def _analyse(
    spark: SparkSession,
    inp: SparkInput,
    ruleset: Ruleset,
    timer: StageTimer,
    staged: StagedSnapshot,
) -> Snapshot:
    t = inp.tables
    orders = t["orders"].loaded.transform(run_cached)
    idents = (
        t["identifiers"].loaded
        if "identifiers" in t
        else _empty("identifiers", spark, "account_id string, kind string, value_hash string")
    )
    findings: list[Finding] = []
    with timer.stage("graph"):
        pairs = trade_pairs(orders).transform(run_cached)
        counts = market_counts(pairs)
        created = created_of(t["accounts"].loaded if "accounts" in t else None, orders)
        # the farms' new-buyer age, and the local rings' (30 days, as the in-memory engine)
        farm_base, local_base = baselines(orders, pairs, created, [ruleset.farms.new_days, 30.0])
        day_counts = seconds_of_day(orders)  # read by the ring views and by cycles
        is_timed = timed(day_counts)
    with timer.stage("linked"):
        linked = linked_accounts(idents, ruleset.linked)
        bad = _bad_accounts(spark, inp)
        sd_pairs = self_dealing_pairs(pairs, linked.cluster_of).transform(run_cached)
        sd = self_dealing(pairs, linked.cluster_of, linked.memberships)
        findings += fd.self_dealing_findings(r.asDict() for r in sd.collect())
    with timer.stage("lockstep"):
        groups = lockstep_groups(orders, ruleset.lockstep)
        # Co-workers who order lunch together rate like everyone; bought orders do not.
        ordinary = ordinary_groups(
            pairs, [(g["buyers"], g["sellers"]) for g in groups], farm_base.five_star
        )
        groups = [g for g, o in zip(groups, ordinary, strict=True) if not o]
        for g in groups:
            facts = {
                "n_buyers": len(g["buyers"]),
                "n_sellers": len(g["sellers"]),
                "windows": g["windows"],
                "max_shared_windows": g["max_shared_windows"],
                "sellers": g["sellers"][:50],
                "buyers": g["buyers"][:50],
            }
            findings += fd.group_findings(
                "LOCKSTEP", g["buyers"], g["sellers"], facts, ("buyer", "seller")
            )
    with timer.stage("cycles"):
        unit = granularity_of_seconds_of_day(day_counts)
        rounds = circular_trades(orders, ruleset.cycles, tie=0 if unit <= 1 else unit)
        rounds = rounds.transform(run_cached)
        cycles = _group_rounds(rounds)
        findings += fd.cycle_findings(cycles)
        cycle_orders = rounds.select(F.explode("order_ids").alias("order_id")).distinct()
    with timer.stage("rings"):
        # Rings the peels cannot reach: farms around one shop, seen through their linked
        # buyers, and a handful of shops sharing bursts of buyers.
        # (parts of the stage timed on their own as well: "rings.farms", "rings.local")
        with timer.stage("rings.farms", announce=False):
            hidden = farm_rings(
                orders,
                pairs,
                linked.memberships,
                created,
                farm_base,
                is_timed,
                counts.buyers,
                ruleset.farms,
            )
        with timer.stage("rings.local", announce=False):
            hidden += local_rings(
                orders, pairs, created, local_base, is_timed, counts.buyers, ruleset.local_rings
            )
        rings, ring_members = ring_search(
            spark,
            orders,
            pairs,
            ruleset.rings,
            counts=counts,
            five_star=farm_base.five_star,
            hidden=hidden,
        )
        ring_pairs = _ring_pairs(pairs, ring_members).transform(run_cached)
        ring_orders = {
            int(r["ring"]): int(r["n"])
            for r in ring_pairs.groupBy("ring").agg(F.sum("orders").alias("n")).collect()
        }
        ring_rows = []
        for i, ring in enumerate(rings):
            rid = fd.ring_id(ring["buyers"], ring["sellers"])
            facts = {
                "ring_id": rid,
                "n_buyers": len(ring["buyers"]),
                "n_sellers": len(ring["sellers"]),
                "density": round(ring["density"], 4),
                "edges": ring["edges"],
                "lift": round(ring["lift"], 1),
                "log10_p": round(ring["log10_p"], 1),
                "ring_score": round(ring["score"], 4),
                "ring_orders": ring_orders.get(i, 0),
                "sellers": sorted(ring["sellers"])[:50],
                "buyers": sorted(ring["buyers"])[:50],
                **ring["evidence"],
            }
            findings += fd.group_findings(
                "BRUSHING_RING", ring["buyers"], ring["sellers"], facts, ("seller", "buyer")
            )
            for role in ("seller", "buyer"):
                for acc in sorted(ring[role + "s"]):
                    ring_rows.append((rid, acc, role, ring["score"], ring["density"]))
    with timer.stage("concentration"):
        conc = concentration(orders, linked.cluster_of, ring_pairs, sd_pairs, cycle_orders)
        conc = conc.transform(run_cached)
        rules = ruleset.concentration
        hit = conc.where(
            (F.col("orders") >= rules.min_orders)
            & ((F.col("hhi") >= rules.hhi) | (F.col("top1_share") >= rules.top1_share))
        )
        findings += fd.concentration_findings(r.asDict() for r in hit.collect())
        staged.stream(
            "concentration",
            (r.asDict() for r in conc.orderBy("seller_id").toLocalIterator()),
            list(SNAPSHOT_COLUMNS["concentration"]),
        )
        adjust = _adjustments(orders, ring_pairs, sd_pairs, cycle_orders)
        staged.stream(
            "adjustments",
            (r.asDict() for r in adjust.toLocalIterator()),
            list(_ADJUSTMENT_TYPES),
            _ADJUSTMENT_TYPES,
        )
    with timer.stage("linked"):
        loans = t["loans"].loaded.select("account_id", "amount") if "loans" in t else None
        owners = owner_groups(linked.strong_edges, orders, loans, conc)
        cluster_rows = _cluster_rows(linked.cluster_of, linked.clusters, bad, owners)
        cluster_of: dict[str, str] = {}

        def clusters_iter() -> Any:
            for r in cluster_rows.toLocalIterator():
                badmap = {b["account_id"]: b["status"] for b in (r["bad"] or [])}
                groups = {g["owner"]: owner_facts(g) for g in (r["owner_groups"] or [])}
                owned = {m["account_id"]: groups[m["owner"]] for m in (r["owned"] or [])}
                members = list(r["members"])
                cid, fs = fd.linked_findings(members, list(r["kinds"]), badmap, owned)
                findings.extend(fs)
                for acc in sorted(members):
                    cluster_of[acc] = cid
                    yield {
                        "cluster_id": cid,
                        "account_id": acc,
                        "size": len(members),
                        "identifier_kinds": list(r["kinds"]),
                    }

        staged.stream("clusters", clusters_iter(), list(SNAPSHOT_COLUMNS["clusters"]))
        n_clusters = len(set(cluster_of.values()))
    with timer.stage("flags"):
        flags, accounts = apply_rules(findings, ruleset)
        accounts["cluster_id"] = accounts["account_id"].map(cluster_of)
        rings_frame = (
            pd.DataFrame(ring_rows, columns=list(SNAPSHOT_COLUMNS["rings"]))
            if ring_rows
            else empty_table("rings")
        )
        staged.frame("flags", flags)
        staged.frame("accounts", accounts)
        staged.frame("rings", rings_frame)
    with timer.stage("write"):
        reports = {}
        for name, ti in t.items():
            q = ti.quarantine.orderBy("line").select("row")
            staged.quarantine(
                name, quarantine_columns(ti), (orjson.loads(r["row"]) for r in q.toLocalIterator())
            )
            reports[name] = {
                "file": ti.file,
                "rows_in": ti.rows_in,
                "rows_loaded": ti.rows_loaded,
                "rows_quarantined": ti.rows_in - ti.rows_loaded,
                "by_reason": ti.by_reason,
            }
    n_accounts = _count_accounts(inp)
    summary = _summary(
        spark,
        flags,
        accounts,
        ruleset,
        reports,
        n_accounts,
        n_clusters,
        len(rings),
        len(groups),
        len(cycles),
        timer,
    )
    return Snapshot(
        flags=flags,
        accounts=accounts,
        clusters=empty_table("clusters"),
        rings=rings_frame,
        concentration=empty_table("concentration"),
        summary=summary,
    )


def _bad_accounts(spark: SparkSession, inp: SparkInput) -> DataFrame:
    """``account_id, status`` of frozen, defaulted or blacklisted accounts and defaulters."""
    t = inp.tables
    parts = []
    if "accounts" in t:
        parts.append(t["accounts"].loaded.select("account_id", "status"))
    statuses = parts[0] if parts else spark.createDataFrame([], "account_id string, status string")
    bad = statuses.where(F.col("status").isin(sorted(BAD_ACCOUNT_STATUSES))).select("account_id")
    if "loans" in t:
        bad = bad.unionByName(t["loans"].loaded.where(F.col("defaulted") == 1).select("account_id"))
    bad = bad.distinct()
    return bad.join(statuses, "account_id", "left").select(
        "account_id", F.coalesce(F.col("status"), F.lit("")).alias("status")
    )


def _cluster_rows(
    cluster_of: DataFrame, clusters: DataFrame, bad: DataFrame, owners: DataFrame
) -> DataFrame:
    """Per cluster: ``members``, ``bad`` members with their status, ``kinds``, and the owner
    groups inside it (``owned``: member and group; ``owner_groups``: each group's facts)."""
    members = cluster_of.join(bad.withColumn("is_bad", F.lit(True)), "account_id", "left").join(
        owners.select("account_id", "owner"), "account_id", "left"
    )
    grouped = members.groupBy("cluster").agg(
        F.collect_list("account_id").alias("members"),
        F.collect_list(F.when(F.col("is_bad"), F.struct("account_id", "status"))).alias("bad"),
        F.collect_list(F.when(F.col("owner").isNotNull(), F.struct("account_id", "owner"))).alias(
            "owned"
        ),
    )
    facts = [c for c in owners.columns if c != "account_id"]
    per_owner = (
        owners.join(cluster_of, "account_id")
        .dropDuplicates(["owner"])
        .groupBy("cluster")
        .agg(F.collect_list(F.struct(*facts)).alias("owner_groups"))
    )
    return grouped.join(clusters.select("cluster", "kinds"), "cluster").join(
        per_owner, "cluster", "left"
    )


def _group_rounds(rounds: DataFrame) -> list[dict[str, Any]]:
    """Cycle rounds grouped by their accounts (collected: found cycles only)."""
    per = rounds.groupBy("accounts").agg(
        F.array_sort(F.collect_list(F.struct("start_ts", "order_ids", "amounts"))).alias("rounds"),
        F.sum("amount").alias("amount"),
    )
    out = []
    for r in per.collect():
        out.append(
            {
                "accounts": list(r["accounts"]),
                "rounds": [list(x["order_ids"]) for x in r["rounds"]],
                "round_amounts": [list(x["amounts"]) for x in r["rounds"]],
                "amount": float(r["amount"]),
            }
        )
    out.sort(key=lambda c: (-len(c["rounds"]), c["accounts"]))  # type: ignore[arg-type]
    return out


def _ring_pairs(pairs: DataFrame, members: DataFrame) -> DataFrame:
    """Trade pairs whose buyer is a ring's buyer and seller the same ring's seller."""
    b = members.where(F.col("role") == "buyer").select(
        F.col("account_id").alias("buyer_id"), F.col("ring")
    )
    s = members.where(F.col("role") == "seller").select(
        F.col("account_id").alias("seller_id"), F.col("ring")
    )
    return (
        pairs.join(b, "buyer_id")
        .join(s, ["seller_id", "ring"])
        .select("buyer_id", "seller_id", "ring", "orders")
    )


def _adjustments(
    orders: DataFrame, ring_pairs: DataFrame, sd_pairs: DataFrame, cycle_orders: DataFrame
) -> DataFrame:
    counted = orders.where(~F.col("status").isin(list(NOT_REVENUE_STATUSES)))
    o = (
        counted.join(
            ring_pairs.select("buyer_id", "seller_id", F.lit(1).alias("r")),
            ["buyer_id", "seller_id"],
            "left",
        )
        .join(
            sd_pairs.select("buyer_id", "seller_id", F.lit(1).alias("s")),
            ["buyer_id", "seller_id"],
            "left",
        )
        .join(cycle_orders.select("order_id", F.lit(1).alias("c")), "order_id", "left")
    )
    reason = (
        F.when(F.col("r").isNotNull(), "ring")
        .when(F.col("s").isNotNull(), "self_dealing")
        .when(F.col("c").isNotNull(), "circular")
    )
    return o.select("order_id", "seller_id", "buyer_id", "amount", reason.alias("reason")).where(
        F.col("reason").isNotNull()
    )


def _count_accounts(inp: SparkInput) -> int:
    t = inp.tables
    ids = (
        t["orders"]
        .loaded.select(F.col("buyer_id").alias("a"))
        .unionByName(t["orders"].loaded.select(F.col("seller_id").alias("a")))
    )
    for name in ("accounts", "identifiers", "loans"):
        if name in t:
            ids = ids.unionByName(t[name].loaded.select(F.col("account_id").alias("a")))
    return int(ids.distinct().count())


def _summary(
    spark: SparkSession,
    flags: pd.DataFrame,
    accounts: pd.DataFrame,
    ruleset: Ruleset,
    reports: dict[str, Any],
    n_accounts: int,
    n_clusters: int,
    n_rings: int,
    n_groups: int,
    n_cycles: int,
    timer: StageTimer,
) -> dict[str, Any]:
    created = datetime.now(UTC)
    digest = hashlib.blake2b(
        pd.util.hash_pandas_object(flags[["account_id", "code", "score"]], index=False)
        .to_numpy()
        .tobytes()
        + ruleset.version.encode(),
        digest_size=4,
    ).hexdigest()
    sc = spark.sparkContext
    return {
        "snapshot_id": f"{created:%Y%m%dT%H%M%SZ}-{digest}",
        "ruleset_version": ruleset.version,
        "linkguard_version": __version__,
        "engine": "spark",
        "spark_application_id": sc.applicationId,
        "spark_master": sc.master,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "inputs": reports,
        "accounts": n_accounts,
        "flags": {code: int((flags["code"] == code).sum()) for code in FLAG_CODES},
        "flagged_accounts": len(accounts),
        "risk_levels": accounts["risk_level"].value_counts().to_dict(),
        "clusters": n_clusters,
        "rings": n_rings,
        "lockstep_groups": n_groups,
        "cycles": n_cycles,
        "stage_seconds": timer.seconds,
    }
