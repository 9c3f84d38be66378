"""The input tables of a data directory (contract section 1) and the vocabulary they use."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCOUNT_STATUSES",
    "BAD_ACCOUNT_STATUSES",
    "FLAG_CODES",
    "IDENTIFIER_KIND_ALIASES",
    "MAX_AMOUNT",
    "MAX_FIELD_CHARS",
    "MAX_REASON_CODES",
    "ORDER_STATUSES",
    "RISK_LEVELS",
    "SEVERITIES",
    "STRONG_IDENTIFIER_KINDS",
    "TABLES",
    "WEAK_IDENTIFIER_KINDS",
    "TableSpec",
]

#: Longest accepted field; longer values are quarantined as ``field_too_long``.
MAX_FIELD_CHARS = 256

#: Largest accepted amount of one order or loan (currency units), unless the ruleset's
#: ``[ingest] max_amount`` says otherwise; larger ones are quarantined as
#: ``amount_too_large``. A trillion keeps every cent exact in a float and every sum finite.
MAX_AMOUNT = 1_000_000_000_000.0


@dataclass(frozen=True)
class TableSpec:
    """Columns one input table must and may have."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    id_columns: tuple[str, ...]
    timestamp_columns: tuple[str, ...] = ()
    amount_columns: tuple[str, ...] = ()
    unique_column: str | None = None
    is_required: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "orders",
            required=("order_id", "buyer_id", "seller_id", "amount", "created_at"),
            optional=("status", "rating", "confirmed_at"),
            id_columns=("order_id", "buyer_id", "seller_id"),
            timestamp_columns=("created_at", "confirmed_at"),
            amount_columns=("amount",),
            unique_column="order_id",
            is_required=True,
        ),
        TableSpec(
            "accounts",
            required=("account_id",),
            optional=("created_at", "kind", "region", "status"),
            id_columns=("account_id",),
            timestamp_columns=("created_at",),
            unique_column="account_id",
        ),
        TableSpec(
            "identifiers",
            required=("account_id", "kind", "value"),
            optional=("seen_at",),
            id_columns=("account_id", "value"),
            timestamp_columns=("seen_at",),
        ),
        TableSpec(
            "loans",
            required=("loan_id", "account_id", "applied_at", "amount"),
            optional=(
                "product",
                "decision",
                "first_overdue",
                "defaulted",
                "disbursed_at",
                "due_at",
            ),
            id_columns=("loan_id", "account_id"),
            timestamp_columns=("applied_at", "disbursed_at", "due_at"),
            amount_columns=("amount",),
            unique_column="loan_id",
        ),
        TableSpec(
            "repayments",
            required=("loan_id", "due_at", "amount_due"),
            optional=("paid_at", "amount_paid"),
            id_columns=("loan_id",),
            timestamp_columns=("due_at", "paid_at"),
            amount_columns=("amount_due", "amount_paid"),
        ),
    )
}

#: The stable flag vocabulary (contract section 3).
FLAG_CODES: tuple[str, ...] = (
    "SELF_DEALING",
    "LINKED_ACCOUNTS",
    "LINKED_TO_BAD",
    "BRUSHING_RING",
    "LOCKSTEP",
    "CIRCULAR_TRADE",
    "HIGH_CONCENTRATION",
)

#: Flag severities, least serious first (contract section 2).
SEVERITIES: tuple[str, ...] = ("info", "review", "decline")
#: An account's risk level: its most serious flag's severity, ``none`` without flags.
RISK_LEVELS: tuple[str, ...] = ("none", *SEVERITIES)
#: Adverse-action practice: at most four principal reasons per account.
MAX_REASON_CODES = 4

ORDER_STATUSES = ("paid", "shipped", "confirmed", "refunded", "cancelled")
ACCOUNT_STATUSES = ("active", "frozen", "defaulted", "blacklisted")
#: An account in one of these states taints its linked cluster (``LINKED_TO_BAD``).
BAD_ACCOUNT_STATUSES = frozenset({"frozen", "defaulted", "blacklisted"})

#: Identifiers that, shared, point to one owner.
STRONG_IDENTIFIER_KINDS = frozenset(
    {"device", "card", "phone", "id_number", "payment_account", "email"}
)
#: Identifiers that households, offices and carriers share honestly.
WEAK_IDENTIFIER_KINDS = frozenset({"ip", "address"})

#: Spellings of identifier kinds seen in the wild, mapped to the contract's words.
IDENTIFIER_KIND_ALIASES: dict[str, str] = {
    "device_id": "device",
    "deviceid": "device",
    "imei": "device",
    "ip_address": "ip",
    "ipaddress": "ip",
    "ip_addr": "ip",
    "phone_number": "phone",
    "mobile": "phone",
    "tel": "phone",
    "telephone": "phone",
    "card_number": "card",
    "credit_card": "card",
    "bank_card": "card",
    "e-mail": "email",
    "mail": "email",
    "email_address": "email",
    "addr": "address",
    "shipping_address": "address",
    "payment": "payment_account",
    "payment-account": "payment_account",
    "paymentaccount": "payment_account",
    "alipay": "payment_account",
    "id": "id_number",
    "id-number": "id_number",
    "idnumber": "id_number",
    "national_id": "id_number",
}
