"""The ruleset: versioned settings for every detector and the mapping of findings to flags.

Rules are data: severity tiers, score line and reason template per flag code, read from a
TOML file (the shipped :file:`default.toml` or one given with ``--ruleset``).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from linkguard.detect.cycles import CycleParams
from linkguard.detect.farms import FarmParams
from linkguard.detect.linked import LinkParams
from linkguard.detect.local_rings import LocalRingParams
from linkguard.detect.lockstep import LockstepParams
from linkguard.detect.rings import RingParams
from linkguard.errors import InputError
from linkguard.schema import FLAG_CODES, MAX_AMOUNT

__all__ = ["FLAG_CODES", "FlagRule", "Ruleset", "load_ruleset"]

Severity = Literal["info", "review", "decline"]
_RANK = {"info": 1, "review": 2, "decline": 3}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlagRule(_Strict):
    """How findings of one code become flags."""

    metric: str
    tiers: list[tuple[float, Severity]] = Field(min_length=1)
    base: float = Field(ge=0, le=1)
    slope: float
    #: No single flag is certainty: scores stop here, so the strongest evidence still ranks.
    cap: float = Field(0.95, ge=0, le=1)
    reason: str
    #: ``[fact, threshold, severity]``: a finding whose ``fact`` reaches ``threshold`` is
    #: raised to at least ``severity``, whatever its metric's tier says.
    escalate: list[tuple[str, float, Severity]] = Field(default_factory=list)

    @field_validator("tiers")
    @classmethod
    def _descending(cls, tiers: list[tuple[float, Severity]]) -> list[tuple[float, Severity]]:
        thresholds = [t for t, _ in tiers]
        if thresholds != sorted(thresholds, reverse=True):
            raise ValueError("tiers must be listed from the highest threshold down")
        return tiers

    def severity(self, value: float) -> Severity | None:
        """The first tier the metric reaches; None when it reaches none (no flag)."""
        for threshold, severity in self.tiers:
            if value >= threshold:
                return severity
        return None

    def escalated(self, severity: Severity | None, facts: dict[str, Any]) -> Severity | None:
        """``severity`` raised by every ``escalate`` entry whose fact reaches its threshold."""
        for fact, threshold, raised in self.escalate:
            if float(facts.get(fact, 0.0)) >= threshold and (
                severity is None or _RANK[raised] > _RANK[severity]
            ):
                severity = raised
        return severity

    def score(self, value: float) -> float:
        return float(min(self.cap, max(0.0, self.base + self.slope * value)))


class ConcentrationSettings(_Strict):
    min_orders: int = 20
    hhi: float = 2500
    top1_share: float = 0.5


class IngestSettings(_Strict):
    #: The largest amount one order (or loan) may have; larger rows are quarantined.
    max_amount: float = Field(default=MAX_AMOUNT, gt=0, allow_inf_nan=False)


class Ruleset(_Strict):
    """A complete, validated ruleset."""

    version: str
    # Detector settings validate straight into the detectors' own parameter dataclasses.
    linked: LinkParams = LinkParams()
    rings: RingParams = RingParams()
    lockstep: LockstepParams = LockstepParams()
    cycles: CycleParams = CycleParams()
    farms: FarmParams = FarmParams()
    local_rings: LocalRingParams = LocalRingParams()
    concentration: ConcentrationSettings = ConcentrationSettings()
    ingest: IngestSettings = IngestSettings()
    flags: dict[str, FlagRule]

    @field_validator("flags")
    @classmethod
    def _all_codes(cls, flags: dict[str, FlagRule]) -> dict[str, FlagRule]:
        missing = [c for c in FLAG_CODES if c not in flags]
        if missing:
            raise ValueError(f"no rule for flag codes {missing}")
        return flags


def load_ruleset(path: str | Path | None = None) -> Ruleset:
    """Read and validate a ruleset; ``None`` reads the shipped default."""
    if path is None:
        text = resources.files("linkguard.rules").joinpath("default.toml").read_text("utf-8")
        where = "default ruleset"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise InputError(f"cannot read ruleset {path}: {exc.strerror}") from exc
        where = str(path)
    try:
        return Ruleset.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise InputError(f"{where}: {exc}") from exc
