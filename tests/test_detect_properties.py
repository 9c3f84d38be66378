"""Property tests (hypothesis) for linked accounts and circular trade.

Linked accounts are checked against a plain oracle written from the definition (a value shared
by ``k`` accounts weighs ``base * min(1, free / k)``, nothing above the hub size; pairs whose
shared weights reach the threshold are linked; clusters are networkx's connected components).
Every cycle found is checked to be a real one (a closed chain of distinct accounts, in time
order, inside the window, amounts within the ratio), and a planted cycle among random noise is
always found.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linkguard.detect.cycles import CycleParams, circular_trades
from linkguard.detect.graph import identifier_values
from linkguard.detect.linked import LinkParams, linked_accounts
from linkguard.schema import STRONG_IDENTIFIER_KINDS, WEAK_IDENTIFIER_KINDS

N_ACCOUNTS = 8
KINDS = ["device", "phone", "ip", "address", "wechat"]
DAY = 86400

rows_strategy = st.lists(
    st.tuples(st.integers(0, N_ACCOUNTS - 1), st.sampled_from(KINDS), st.sampled_from("abcd")),
    min_size=1,
    max_size=40,
)


def _oracle_clusters(rows: list[tuple[int, str, str]], p: LinkParams) -> set[frozenset[int]]:
    members: dict[tuple[str, str], set[int]] = defaultdict(set)
    for account, kind, value in rows:
        members[kind, value].add(account)
    pair_weight: dict[tuple[int, int], float] = defaultdict(float)
    for (kind, _), accounts in members.items():
        k = len(accounts)
        if kind in STRONG_IDENTIFIER_KINDS:
            base, free, hub = p.strong_weight, p.strong_free, p.strong_hub
        elif kind in WEAK_IDENTIFIER_KINDS:
            base, free, hub = p.weak_weight, p.weak_free, p.weak_hub
        else:
            base, free, hub = p.other_weight, p.strong_free, p.strong_hub
        if k < 2 or k > hub:
            continue
        for a, b in itertools.combinations(sorted(accounts), 2):
            pair_weight[a, b] += base * min(1.0, free / k)
    graph: nx.Graph[int] = nx.Graph()
    graph.add_edges_from(pair for pair, w in pair_weight.items() if w >= p.threshold - 1e-9)
    return {frozenset(c) for c in nx.connected_components(graph)}


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, weak_free=st.integers(1, 4), weak_hub=st.integers(2, 8))
def test_linked_accounts_match_the_definition(
    rows: list[tuple[int, str, str]], weak_free: int, weak_hub: int
) -> None:
    params = LinkParams(weak_free=weak_free, weak_hub=weak_hub)
    acc, kind, value = zip(*rows, strict=True)
    res = linked_accounts(identifier_values(list(acc), list(kind), list(value)), N_ACCOUNTS, params)
    got: dict[int, set[int]] = defaultdict(set)
    for account, cluster in enumerate(res.cluster_of.tolist()):
        if cluster >= 0:
            got[cluster].add(account)
    assert {frozenset(c) for c in got.values()} == _oracle_clusters(list(rows), params)
    assert res.cluster_size.tolist() == [len(got[c]) for c in range(res.n_clusters)]


orders_strategy = st.lists(
    st.tuples(
        st.integers(0, 6),  # buyer
        st.integers(0, 6),  # seller
        st.sampled_from([90.0, 100.0, 110.0, 300.0]),
        st.integers(0, 20 * DAY),
    ),
    max_size=30,
)


def _assert_real_cycles(
    orders: list[tuple[int, int, float, int]], params: CycleParams
) -> list[frozenset[int]]:
    buyer = np.array([o[0] for o in orders], dtype=np.int64)
    seller = np.array([o[1] for o in orders], dtype=np.int64)
    amount = np.array([o[2] for o in orders], dtype=np.float64)
    ts = np.array([o[3] for o in orders], dtype=np.int64)
    res = circular_trades(buyer, seller, amount, ts, params)
    found = []
    for cycle in res.cycles:
        accounts = set(cycle.accounts.tolist())
        assert params.min_length <= len(accounts) <= params.max_length
        assert len(accounts) == len(cycle.accounts)
        assert cycle.rounds >= 1
        for round_orders in cycle.orders:
            r = round_orders.tolist()
            assert len(r) == len(accounts)
            assert set(buyer[r].tolist()) == accounts
            assert set(seller[r].tolist()) == accounts
            for first, then in itertools.pairwise([*r, r[0]]):
                assert seller[first] == buyer[then]  # money passed on
            assert all(ts[a] < ts[b] for a, b in itertools.pairwise(r))  # in time order
            assert ts[r[-1]] - ts[r[0]] <= params.window_seconds
            ratio = amount[r] / amount[r[0]]
            assert ratio.max() <= params.amount_ratio + 1e-12
            assert ratio.min() >= 1 / params.amount_ratio - 1e-12
        found.append(frozenset(accounts))
    return found


@settings(max_examples=200, deadline=None)
@given(orders=orders_strategy)
def test_every_cycle_found_is_a_real_one(orders: list[tuple[int, int, float, int]]) -> None:
    _assert_real_cycles(orders, CycleParams())


@settings(max_examples=100, deadline=None)
@given(
    noise=orders_strategy,
    length=st.integers(3, 6),
    start=st.integers(0, 10 * DAY),
    gaps=st.lists(st.integers(1, DAY), min_size=6, max_size=6),
)
def test_a_planted_cycle_is_found(
    noise: list[tuple[int, int, float, int]], length: int, start: int, gaps: list[int]
) -> None:
    # The planted cycle runs over accounts 10.. (the noise uses 0..6), at most a day apart.
    times = start + np.cumsum([0, *gaps[: length - 1]])
    planted = [(10 + i, 10 + (i + 1) % length, 100.0, int(times[i])) for i in range(length)]
    found = _assert_real_cycles(noise + planted, CycleParams())
    assert frozenset(range(10, 10 + length)) in found
