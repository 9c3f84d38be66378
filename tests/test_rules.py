"""The ruleset file and the mapping of findings to flags and account risk."""

import tomllib
from pathlib import Path
from typing import cast

import orjson
import pytest

from linkguard.errors import InputError
from linkguard.rules.flags import Finding, apply_rules
from linkguard.rules.ruleset import FLAG_CODES, load_ruleset
from linkguard.schema import MAX_REASON_CODES

DEFAULT = Path(__file__).parents[1] / "src" / "linkguard" / "rules" / "default.toml"


def test_default_ruleset_has_a_rule_per_code_and_a_version():
    rules = load_ruleset()
    assert rules.version
    assert set(FLAG_CODES) <= set(rules.flags)


def test_tiers_pick_severity_and_score_is_clamped():
    rule = load_ruleset().flags["SELF_DEALING"]
    assert rule.severity(0.5) == "decline"
    assert rule.severity(0.01) == "review"
    assert rule.score(5.0) == rule.cap == 0.95


def test_custom_ruleset_changes_the_outcome(tmp_path):
    text = DEFAULT.read_text().replace('version = "', 'version = "custom-')
    text = text.replace(
        'metric = "top1_share"\ntiers = [[0.8, "review"], [0.0, "info"]]',
        'metric = "top1_share"\ntiers = [[0.5, "decline"]]',
    )
    path = tmp_path / "rules.toml"
    path.write_text(text)
    custom = load_ruleset(path)
    assert custom.version.startswith("custom-")
    finding = Finding(
        "s",
        "HIGH_CONCENTRATION",
        {"hhi": 9000.0, "top1_share": 0.9, "top5_share": 1.0, "orders": 30},
    )
    flags, _ = apply_rules([finding], custom)
    assert flags.loc[0, "severity"] == "decline"
    weak = Finding(
        "s",
        "HIGH_CONCENTRATION",
        {"hhi": 2600.0, "top1_share": 0.3, "top5_share": 0.9, "orders": 30},
    )
    assert apply_rules([weak], custom)[0].empty  # below every tier: no flag


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["flags"].pop("LOCKSTEP"), "LOCKSTEP"),
        (lambda d: d["rings"].__setitem__("min_lift", "lots"), "min_lift"),
        (lambda d: d["rings"].__setitem__("bogus", 1), "bogus"),
        (
            lambda d: d["flags"]["LOCKSTEP"].__setitem__("tiers", [[0, "info"], [5, "review"]]),
            "highest threshold",
        ),
    ],
)
def test_bad_rulesets_are_rejected_with_the_reason(tmp_path, mutate, message):
    data = tomllib.loads(DEFAULT.read_text())
    mutate(data)
    path = tmp_path / "bad.toml"
    path.write_text(_to_toml(data))
    with pytest.raises(InputError, match=message):
        load_ruleset(path)


def test_missing_ruleset_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read ruleset"):
        load_ruleset(tmp_path / "nope.toml")


def test_account_risk_orders_reasons_and_caps_them_at_four():
    rules = load_ruleset()
    findings = [
        Finding("a", "LINKED_ACCOUNTS", {"size": 2, "kinds": "phone", "exposure": ""}),
        Finding(
            "a",
            "HIGH_CONCENTRATION",
            {"hhi": 5000.0, "top1_share": 0.6, "top5_share": 1.0, "orders": 25},
        ),
        Finding("a", "CIRCULAR_TRADE", {"rounds": 3, "length": 3, "n_orders": 9, "amount": 30.0}),
        Finding("a", "LOCKSTEP", {"windows": 2, "n_buyers": 5, "n_sellers": 1}),
        Finding("a", "LINKED_TO_BAD", {"n_bad": 1, "kinds": "phone", "bad_statuses": "x"}),
        Finding("b", "LINKED_ACCOUNTS", {"size": 2, "kinds": "phone", "exposure": ""}),
    ]
    flags, accounts = apply_rules(findings, rules)
    a = accounts.set_index("account_id").loc["a"]
    assert a["risk_level"] == "decline"
    assert len(a["reason_codes"]) == MAX_REASON_CODES
    # decline flags first (higher score first among them), info last or cut
    assert a["reason_codes"][:2] == ["CIRCULAR_TRADE", "LINKED_TO_BAD"]
    assert "LINKED_ACCOUNTS" not in a["reason_codes"]
    scores = flags[flags.account_id == "a"]["score"]
    expected = 1 - cast(float, (1 - scores).prod())
    assert a["risk_score"] == pytest.approx(expected, abs=1e-4)
    assert accounts.set_index("account_id").loc["b", "risk_level"] == "info"
    evidence = orjson.loads(flags.iloc[0]["evidence"])
    assert isinstance(evidence, dict)


def _to_toml(data, prefix=""):
    """A tiny TOML writer for the ruleset's shapes (tables, scalars, lists)."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    out = "\n".join(lines) + "\n"
    for key, value in tables:
        name = f"{prefix}{key}"
        scalars = {k: v for k, v in value.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in value.items() if isinstance(v, dict)}
        out += f"\n[{name}]\n" + _to_toml(scalars)
        if nested:
            out += _to_toml(nested, prefix=f"{name}.")
    return out


def _value(v):
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return repr(v)
