"""Linked accounts: one owner behind several accounts, seen through shared identifiers.

Two accounts are linked when the identifiers they share weigh enough. A shared identifier
weighs less the more accounts use it: a device or phone used by a handful of accounts points
to one owner, a public Wi-Fi IP or an office address used by hundreds points to nobody. Weak
kinds (IP, address) weigh little even when private, so a household sharing a home IP and an
address is not, on that alone, one owner. Clusters are the connected components of the
accounts joined by links at or above the threshold.

Examples
--------
>>> import numpy as np
>>> from linkguard.detect.graph import identifier_values
>>> iv = identifier_values([0, 1, 2, 3, 4, 5], ["device", "device", "ip", "ip", "ip", "ip"],
...                        ["d1", "d1", "h", "h", "h", "h"])
>>> res = linked_accounts(iv, n_accounts=6)
>>> res.cluster_of.tolist()
[0, 0, -1, -1, -1, -1]
>>> res.cluster_kinds[0]
('device',)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkguard._arrays import components, pairs_within_groups
from linkguard.detect.graph import IdentifierValues
from linkguard.schema import STRONG_IDENTIFIER_KINDS, WEAK_IDENTIFIER_KINDS

__all__ = [
    "LinkParams",
    "LinkedResult",
    "OwnerGroup",
    "identifier_weights",
    "linked_accounts",
    "owner_groups",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LinkParams:
    """How shared identifiers are weighed.

    A value shared by ``k`` accounts weighs ``base * min(1, free / k)``, and nothing once
    ``k > hub``. Accounts are linked when the weights of the values they share sum to at
    least ``threshold``.
    """

    strong_weight: float = 1.0
    weak_weight: float = 0.35
    other_weight: float = 0.5
    strong_free: int = 30
    weak_free: int = 4
    strong_hub: int = 200
    weak_hub: int = 40
    threshold: float = 1.0


@dataclass(frozen=True)
class LinkedResult:
    """Clusters of linked accounts.

    Attributes
    ----------
    cluster_of
        Cluster number per account code, -1 when the account is linked to nobody.
    cluster_size
        Members per cluster number.
    cluster_kinds
        Per cluster number, the identifier kinds that bind its members (sorted).
    edges
        ``(a, b)`` account-code pairs that are linked directly (a < b), with ``edge_weight``.
    edge_strong
        Per edge: the strong kinds the pair shares weigh enough on their own to link it
        (a shared device, card, phone, ...), whatever weak kinds add.
    """

    cluster_of: IntArray
    cluster_size: IntArray
    cluster_kinds: list[tuple[str, ...]]
    edges: IntArray
    edge_weight: npt.NDArray[np.float64]
    edge_strong: BoolArray

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_size)


def identifier_weights(values: IdentifierValues, params: LinkParams) -> npt.NDArray[np.float64]:
    """Weight of each identifier value as evidence of one owner (see :class:`LinkParams`)."""
    kinds = values.kind_of_value
    strong = np.isin(kinds, list(STRONG_IDENTIFIER_KINDS))
    weak = np.isin(kinds, list(WEAK_IDENTIFIER_KINDS))
    base = np.where(
        strong, params.strong_weight, np.where(weak, params.weak_weight, params.other_weight)
    )
    free = np.where(weak, params.weak_free, params.strong_free)
    hub = np.where(weak, params.weak_hub, params.strong_hub)
    k = np.maximum(values.sharers, 1)
    w = base * np.minimum(1.0, free / k)
    w[(values.sharers < 2) | (values.sharers > hub)] = 0.0
    return np.asarray(w, dtype=np.float64)


def linked_accounts(
    values: IdentifierValues, n_accounts: int, params: LinkParams | None = None
) -> LinkedResult:
    """Cluster accounts that share enough identifier weight to be one owner.

    Parameters
    ----------
    values
        Account-identifier memberships (:func:`linkguard.detect.graph.identifier_values`).
    n_accounts
        Number of account codes.
    params
        Weights and threshold.

    Notes
    -----
    Values heavy enough to link on their own join their members directly; lighter values are
    summed per account pair, which costs O(sum k^2) over values shared by k <= hub accounts.
    Components come from :func:`linkguard._arrays.components` in O(V + E).
    """
    params = params or LinkParams()
    w = identifier_weights(values, params)
    mw = w[values.value]
    keep = mw > 0
    acc, val = values.account[keep], values.value[keep]
    order = np.lexsort((acc, val))
    acc, val = acc[order], val[order]
    boundaries = np.flatnonzero(np.r_[True, val[1:] != val[:-1]]) if len(val) else val
    sizes = np.diff(np.r_[boundaries, len(val)])
    group_values = val[boundaries]
    a, b, g = pairs_within_groups(acc, boundaries, sizes)
    pair_w = w[group_values[g]]
    pair_strong = np.isin(values.kind_of_value[group_values[g]], list(STRONG_IDENTIFIER_KINDS))
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    key = lo * n_accounts + hi
    uniq, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv, weights=pair_w, minlength=len(uniq))
    strong_total = np.bincount(inv, weights=pair_w * pair_strong, minlength=len(uniq))
    linked = total >= params.threshold - 1e-9
    edges = np.column_stack([uniq[linked] // n_accounts, uniq[linked] % n_accounts])
    edge_weight = total[linked]
    edge_strong = strong_total[linked] >= params.threshold - 1e-9

    membership = components(n_accounts, edges[:, 0], edges[:, 1])
    comp_size = np.bincount(membership)
    in_cluster = comp_size[membership] >= 2
    # Renumber the components of 2+ accounts 0..C-1 in order of their smallest member.
    comp_ids = np.unique(membership[in_cluster])
    first_member = np.full(len(comp_size), n_accounts, dtype=np.int64)
    np.minimum.at(first_member, membership, np.arange(n_accounts))
    comp_ids = comp_ids[np.argsort(first_member[comp_ids], kind="stable")]
    renumber = np.full(len(comp_size), -1, dtype=np.int64)
    renumber[comp_ids] = np.arange(len(comp_ids))
    cluster_of = renumber[membership]
    cluster_size = comp_size[comp_ids].astype(np.int64)
    kinds = _binding_kinds(values, mw, cluster_of, len(comp_ids))
    return LinkedResult(
        cluster_of,
        cluster_size,
        kinds,
        edges.astype(np.int64),
        np.asarray(edge_weight, dtype=np.float64),
        np.asarray(edge_strong, dtype=np.bool_),
    )


@dataclass(frozen=True)
class OwnerGroup:
    """Accounts of one cluster bound by strong identifiers alone, holding 2+ lending parties.

    Attributes
    ----------
    cluster
        The cluster number (:attr:`LinkedResult.cluster_of`) the group lies in.
    members
        Account codes bound to each other through strong links (sorted).
    parties
        The members that sell or borrow (sorted): for lending, one borrower.
    """

    cluster: int
    members: IntArray
    parties: IntArray


def owner_groups(linked: LinkedResult, party: npt.ArrayLike) -> list[OwnerGroup]:
    """One owner behind several shops or borrowers: strong-bound groups with 2+ parties.

    For a lender, shops that share an id number, a payout account, a phone or a device are
    one borrower whose exposure adds up. Only links that strong kinds carry on their own count
    here: a household or an office joined by a home IP and an address (weak kinds) is not an
    owner, even when a third, weaker kind tips the pair over the linking threshold.

    Parameters
    ----------
    linked
        Linked clusters (:func:`linked_accounts`).
    party
        Per account code: the account sells or borrows.

    Returns
    -------
    list of OwnerGroup
        In order of their smallest member.

    Examples
    --------
    >>> from linkguard.detect.graph import identifier_values
    >>> iv = identifier_values([0, 1, 2, 3, 4, 5],
    ...                        ["id_number", "id_number", "phone", "phone", "ip", "ip"],
    ...                        ["n", "n", "p", "p", "h", "h"])
    >>> res = linked_accounts(iv, n_accounts=6, params=LinkParams(weak_weight=1.0))
    >>> groups = owner_groups(res, [True, True, True, False, True, True])
    >>> [(g.members.tolist(), g.parties.tolist()) for g in groups]
    [([0, 1], [0, 1])]
    """
    is_party = np.asarray(party, dtype=np.bool_)
    n = len(linked.cluster_of)
    strong = linked.edges[linked.edge_strong]
    if len(strong) == 0:
        return []
    part = components(n, strong[:, 0], strong[:, 1])
    bound = np.zeros(n, dtype=np.bool_)
    bound[strong.ravel()] = True
    parties_per_part = np.bincount(part[bound & is_party], minlength=n)
    keep = bound & (parties_per_part[part] >= 2)
    members = np.flatnonzero(keep)
    if len(members) == 0:
        return []
    order = np.argsort(part[members], kind="stable")
    members = members[order]
    starts = np.flatnonzero(np.r_[True, part[members][1:] != part[members][:-1]])
    out = []
    for grp in np.split(members, starts[1:]):
        grp = np.sort(grp)
        out.append(OwnerGroup(int(linked.cluster_of[grp[0]]), grp, grp[is_party[grp]]))
    out.sort(key=lambda g: int(g.members[0]))
    return out


def _binding_kinds(
    values: IdentifierValues,
    member_weight: npt.NDArray[np.float64],
    cluster_of: IntArray,
    n_clusters: int,
) -> list[tuple[str, ...]]:
    """Kinds of the weighted values that two or more members of the same cluster share."""
    c = cluster_of[values.account]
    sel = (c >= 0) & (member_weight > 0)
    key = c[sel] * max(values.n_values, 1) + values.value[sel]
    uniq, counts = np.unique(key, return_counts=True)
    shared = uniq[counts >= 2]
    clusters = shared // max(values.n_values, 1)
    kinds_of = values.kind_of_value[shared % max(values.n_values, 1)]
    out: list[set[str]] = [set() for _ in range(n_clusters)]
    for cl, kind in zip(clusters.tolist(), kinds_of.tolist(), strict=True):
        out[cl].add(str(kind))
    return [tuple(sorted(s)) for s in out]
