"""One owner behind several shops or borrowers on Spark, as
:func:`linkguard.detect.linked.owner_groups` finds them.

An owner group is a connected part of the strong links (pairs whose strong identifiers alone
weigh enough to link them: :attr:`linkguard.spark.linked.SparkLinked.strong_edges`) holding
two or more parties (accounts that sell or borrow). Its members' LINKED_ACCOUNTS findings
carry the group's combined exposure as the in-memory engine's do
(:func:`linkguard.rules.findings.exposure_text`): GMV and adjusted GMV of its shops (from the
concentration table), and its loans.

Everything is a group-by or a join: components of the strong links by large-star/small-star,
parties counted per component, sums per component. One row per owner group reaches the driver,
with its member lists cut to :data:`linkguard.rules.findings.MAX_EVIDENCE_IDS`.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from linkguard.rules.findings import MAX_EVIDENCE_IDS, exposure_text
from linkguard.spark.components import connected_components

__all__ = ["owner_facts", "owner_groups"]


def owner_groups(
    strong_edges: DataFrame, orders: DataFrame, loans: DataFrame | None, conc: DataFrame
) -> DataFrame:
    """Per owner-group member: ``account_id, owner`` and the group's facts (see module notes).

    ``strong_edges`` (``src, dst``) are strong links; ``loans`` (``account_id, amount``) may be
    None; ``conc`` is the concentration table (``seller_id, gmv, adjusted_gmv``).
    """
    spark = orders.sparkSession
    comp = connected_components(strong_edges).select(
        F.col("node").alias("account_id"), F.col("component").alias("owner")
    )
    sellers = (
        orders.select(F.col("seller_id").alias("account_id"))
        .distinct()
        .withColumn("is_seller", F.lit(True))
    )
    if loans is None:
        loans = spark.createDataFrame([], "account_id string, amount double")
    per_borrower = (
        loans.groupBy("account_id")
        .agg(F.count("*").alias("n_loans"), F.sum("amount").alias("loan_amount"))
        .withColumn("is_borrower", F.lit(True))
    )
    money = conc.select(F.col("seller_id").alias("account_id"), "gmv", "adjusted_gmv")
    members = (
        comp.join(sellers, "account_id", "left")
        .join(per_borrower, "account_id", "left")
        .join(money, "account_id", "left")
        .select(
            "account_id",
            "owner",
            F.coalesce("is_seller", F.lit(False)).alias("is_seller"),
            F.coalesce("is_borrower", F.lit(False)).alias("is_borrower"),
            F.coalesce("n_loans", F.lit(0)).alias("n_loans"),
            F.coalesce("loan_amount", F.lit(0.0)).alias("loan_amount"),
            F.coalesce("gmv", F.lit(0.0)).alias("gmv"),
            F.coalesce("adjusted_gmv", F.lit(0.0)).alias("adjusted_gmv"),
        )
    )

    def capped(cond: Column | None = None) -> Column:
        ids = F.col("account_id") if cond is None else F.when(cond, F.col("account_id"))
        return F.slice(F.array_sort(F.collect_list(ids)), 1, MAX_EVIDENCE_IDS)

    party = F.col("is_seller") | F.col("is_borrower")
    groups = (
        members.groupBy("owner")
        .agg(
            capped().alias("owner_accounts"),
            capped(F.col("is_seller")).alias("owner_sellers"),
            capped(F.col("is_borrower")).alias("owner_borrowers"),
            F.sum(F.col("is_seller").cast("long")).alias("n_owner_sellers"),
            F.sum(F.col("is_borrower").cast("long")).alias("n_owner_borrowers"),
            F.sum(party.cast("long")).alias("lending_parties"),
            F.sum("gmv").alias("owner_gmv"),
            F.sum("adjusted_gmv").alias("owner_adjusted_gmv"),
            F.sum("n_loans").alias("owner_loans"),
            F.sum("loan_amount").alias("owner_loan_amount"),
        )
        .where(F.col("lending_parties") >= 2)
    )
    return members.select("account_id", "owner").join(groups, "owner")


def owner_facts(row: Any) -> dict[str, Any]:
    """The facts of one owner group (a row of :func:`owner_groups`), with ``exposure``."""
    facts: dict[str, Any] = {
        "owner_accounts": list(row["owner_accounts"]),
        "owner_sellers": list(row["owner_sellers"]),
        "owner_borrowers": list(row["owner_borrowers"]),
        "n_owner_sellers": int(row["n_owner_sellers"]),
        "n_owner_borrowers": int(row["n_owner_borrowers"]),
        "lending_parties": int(row["lending_parties"]),
        "owner_gmv": round(float(row["owner_gmv"]), 2),
        "owner_adjusted_gmv": round(float(row["owner_adjusted_gmv"]), 2),
        "owner_loans": int(row["owner_loans"]),
        "owner_loan_amount": round(float(row["owner_loan_amount"]), 2),
    }
    facts["exposure"] = exposure_text(facts)
    return facts
