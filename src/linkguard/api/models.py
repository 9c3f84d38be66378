"""The flag API's request and response shapes (contract section 5).

Answers are served from precomputed JSON bytes, not from these models; the models exist so
that ``/openapi.json`` describes exactly what is sent, and so request bodies are validated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from linkguard.serving.lookup import ACCOUNT_ID_MAX_LENGTH, ACCOUNT_ID_PATTERN, MAX_REASON_CODES

__all__ = [
    "MAX_BATCH",
    "AccountFlags",
    "AccountId",
    "BatchRequest",
    "ErrorDetail",
    "ErrorEnvelope",
    "Flag",
    "Health",
    "Ready",
]

#: The most accounts one batch request may ask about.
MAX_BATCH = 1000

AccountId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ACCOUNT_ID_MAX_LENGTH, pattern=ACCOUNT_ID_PATTERN),
]

Score = Annotated[float, Field(ge=0.0, le=1.0)]


class Flag(BaseModel):
    """One raised flag with the reason and evidence behind it."""

    code: str = Field(description="Flag code, e.g. BRUSHING_RING (contract section 3).")
    severity: Literal["info", "review", "decline"]
    score: Score
    reason: str = Field(description="One specific human sentence.")
    evidence: dict[str, Any] = Field(
        description="The ids, amounts and identifier kinds behind the flag."
    )


class AccountFlags(BaseModel):
    """What the current snapshot says about one account."""

    account_id: str
    risk_level: Literal["none", "info", "review", "decline"] = Field(
        description='"none" for an account without findings (unknown is not an error).'
    )
    risk_score: Score
    reason_codes: list[str] = Field(
        max_length=MAX_REASON_CODES, description="The principal reasons, most important first."
    )
    flags: list[Flag]
    adjusted_gmv: float | None = Field(
        description="GMV with ring, self-dealing and circular orders removed; null if not a seller."
    )
    known: bool = Field(
        description="True when the account appears in the analysed market; false for an id the "
        'market never held (its risk_level "none" then means "no data", not "found clean").'
    )
    first_seen: datetime | None = Field(
        description="The account's first order in the analysed market (UTC); null when unknown "
        "or without orders."
    )
    last_seen: datetime | None = Field(
        description="The account's last order in the analysed market (UTC); null when unknown "
        "or without orders."
    )
    browser_link: str = Field(
        description="Neo4j Browser address that opens the account's evidence graph "
        "(/browser/?cmd=edit&arg=<Cypher>); the base is LINKGUARD_BROWSER_URL or "
        "NEO4J_HTTP_URL, else the running dev server, else http://localhost:7474."
    )
    snapshot_id: str
    ruleset_version: str
    computed_at: datetime = Field(description="When the snapshot was computed (UTC).")


class BatchRequest(BaseModel):
    """Several accounts to look up at once."""

    model_config = ConfigDict(extra="forbid")

    #: Any strings: an id ingest would never accept is simply unknown (risk level none), so
    #: one odd id never fails the whole batch.
    account_ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str = Field(description="Stable machine-readable code, e.g. unauthorized.")
    message: str = Field(description="A human sentence; never echoes request values.")
    request_id: str | None = Field(
        default=None, description="The request's X-Request-ID, for support."
    )


class ErrorEnvelope(BaseModel):
    """The one shape of every 4xx and 5xx answer."""

    error: ErrorDetail


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"]


class Ready(BaseModel):
    """A snapshot is loaded and answers are served from it."""

    status: Literal["ready"]
    snapshot_id: str
    ruleset_version: str
    computed_at: datetime
    accounts: int = Field(
        ge=0,
        description="Accounts the snapshot knows: every account of the analysed market, and "
        "any other with findings.",
    )
