"""The compiled peeling against a plain greedy written the obvious way."""

import numpy as np
import pytest

from linkguard.detect._live import LiveGraph
from linkguard.detect._peel import build_csr, incident_edges, peel


def plain_greedy(n, u, v, w, prior, alive):
    """FRAUDAR's greedy: drop the lightest node, remember the best average; O(V^2 + VE)."""
    nodes = {int(x) for x in np.flatnonzero(alive)}
    edges = [
        (int(a), int(b), float(c)) for a, b, c in zip(u, v, w, strict=True) if alive[a] and alive[b]
    ]

    def degree(x, members):
        return prior[x] + sum(
            c for a, b, c in edges if (a == x and b in members) or (b == x and a in members)
        )

    def score(members):
        inner = sum(c for a, b, c in edges if a in members and b in members)
        return (inner + sum(prior[x] for x in members)) / len(members)

    best, best_set = -1.0, set()
    members = set(nodes)
    while members:
        g = score(members)
        if g > best:
            best, best_set = g, set(members)
        members.remove(min(members, key=lambda x: (degree(x, members), x)))
    return best, best_set


@pytest.mark.parametrize("seed", range(40))
def test_peel_finds_what_the_plain_greedy_finds(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 30))
    m = int(rng.integers(3, 80))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = u != v
    u, v = u[keep], v[keep]
    w = rng.random(len(u)) + 0.05
    prior = rng.random(n) * (seed % 2)
    alive = rng.random(n) < 0.85
    if not alive.any():
        alive[0] = True
    order, best_removed, best_g = peel(*build_csr(n, u, v, w), prior, alive)
    expected_g, expected_set = plain_greedy(n, u, v, w, prior, alive)
    assert best_g == pytest.approx(expected_g, rel=1e-9)
    assert set(order[best_removed:].tolist()) == expected_set
    assert sorted(order.tolist()) == np.flatnonzero(alive).tolist()


def test_peel_of_a_clique_and_a_tail_keeps_the_clique():
    clique = [(a, b) for a in range(5) for b in range(a + 1, 5)]
    tail = [(4, 5), (5, 6), (6, 7), (7, 8)]
    u, v = np.array([e[0] for e in clique + tail]), np.array([e[1] for e in clique + tail])
    order, best_removed, best_g = peel(
        *build_csr(9, u, v, np.ones(len(u))), np.zeros(9), np.ones(9, dtype=np.bool_)
    )
    assert sorted(order[best_removed:].tolist()) == [0, 1, 2, 3, 4]
    assert best_g == pytest.approx(10 / 5)


def test_peel_of_nothing_alive_is_empty():
    csr = build_csr(3, np.array([0]), np.array([1]), np.ones(1))
    order, best_removed, best_g = peel(*csr, np.zeros(3), np.zeros(3, dtype=np.bool_))
    assert len(order) == 0
    assert best_removed == 0
    assert best_g == 0.0


def test_incident_edges_skip_dead_neighbours():
    u, v = np.array([0, 0, 1, 2]), np.array([3, 4, 3, 4])
    indptr, nbrs, _ = build_csr(5, u, v, np.ones(4))
    live = np.array([True, True, True, True, False])
    src, dst = incident_edges(indptr, nbrs, np.array([0, 3]), live)
    assert sorted(zip(src.tolist(), dst.tolist(), strict=True)) == [(0, 3), (3, 0), (3, 1)]


def test_live_graph_rebuilds_on_what_is_left_and_keeps_global_ids():
    rng = np.random.default_rng(3)
    u = rng.integers(0, 50, 400)
    v = rng.integers(50, 60, 400)
    alive = np.ones(60, dtype=np.bool_)
    graph = LiveGraph(u, v, np.ones(400), np.zeros(60), alive)
    alive[:40] = False
    graph.retire(alive)
    assert graph.n_alive == len(graph.nodes) == 20
    assert graph.nodes.tolist() == list(range(40, 60))
    block, _ = graph.peel()
    assert set(block.tolist()) <= set(range(40, 60))
    src, dst = graph.incident(np.array([55]))
    assert set(src.tolist()) == {55}
    assert set(dst.tolist()) <= set(range(40, 50))
