"""Dense rings: FRAUDAR-style blocks in a power-law background, with camouflage."""

import numpy as np
import pytest

from linkguard.detect.graph import trade_pairs
from linkguard.detect.rings import dense_rings

NB, NS = 20000, 2000
N = NB + NS


def market(seed, n_buyers=NB, n_sellers=NS, n_edges=60000):
    """Light-tailed buyers, heavy-tailed (Zipf) shops, as in a marketplace."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, n_sellers + 1) ** 1.1
    sellers = rng.choice(n_sellers, n_edges, p=pop / pop.sum()) + n_buyers
    buyers = rng.integers(0, n_buyers, n_edges)
    return rng, buyers, sellers


def inject(rng, buyers, sellers, block_b, block_s, density, camouflage, n_buyers):
    bb, ss = np.meshgrid(block_b, block_s, indexing="ij")
    keep = rng.random(bb.shape) < density
    fb, fs = bb[keep], ss[keep]
    if camouflage == "random":
        cb = rng.choice(block_b, len(fb))
        cs = rng.choice(np.unique(sellers), len(fb))
    else:  # degree-biased: camouflage goes to the most popular shops
        shops, counts = np.unique(sellers, return_counts=True)
        cb = rng.choice(block_b, len(fb))
        cs = rng.choice(shops, len(fb), p=counts / counts.sum())
    return np.r_[buyers, fb, cb], np.r_[sellers, fs, cs]


def f1(found, truth):
    found, truth = set(found), set(truth)
    tp = len(found & truth)
    return 0.0 if tp == 0 else 2 * tp / (len(found) + len(truth))


@pytest.mark.parametrize("camouflage", ["random", "biased"])
@pytest.mark.parametrize("density", [0.3, 0.5])
def test_camouflaged_block_is_still_found(camouflage, density):
    rng, b, s = market(7)
    block_b = rng.choice(NB, 60, replace=False)
    block_s = np.arange(NB + 1900, NB + 1930)  # 30 unpopular shops
    b, s = inject(rng, b, s, block_b, block_s, density, camouflage, NB)
    pairs = trade_pairs(b, s, np.ones(len(b)), np.zeros(len(b)), np.full(len(b), np.nan))
    res = dense_rings(pairs, N)
    assert res.rings, "no ring found"
    found = np.r_[res.rings[0].buyers, res.rings[0].sellers]
    score = f1(found, np.r_[block_b, block_s])
    print(f"camouflage={camouflage} density={density} F1={score:.3f}")
    assert score >= 0.9


def test_honest_background_yields_no_ring():
    _, b, s = market(11)
    pairs = trade_pairs(b, s, np.ones(len(b)), np.zeros(len(b)), np.full(len(b), np.nan))
    assert dense_rings(pairs, N).rings == []


def test_a_shop_and_its_loyal_customers_is_not_a_ring():
    # a star: 50 regulars at one shop, each repeatedly; no second shared shop
    _, b, s = market(12)
    b = np.r_[b, np.repeat(np.arange(50), 4)]
    s = np.r_[s, np.full(200, N - 1)]
    pairs = trade_pairs(b, s, np.ones(len(b)), np.zeros(len(b)), np.full(len(b), np.nan))
    assert dense_rings(pairs, N).rings == []


def test_ring_membership_marks_ring_pairs_only():
    rng, b, s = market(13)
    block_b = np.arange(100, 130)
    block_s = np.arange(NB + 1980, NB + 1985)
    b, s = inject(rng, b, s, block_b, block_s, 0.6, "random", NB)
    pairs = trade_pairs(b, s, np.ones(len(b)), np.zeros(len(b)), np.full(len(b), np.nan))
    res = dense_rings(pairs, N)
    in_ring = res.pair_ring >= 0
    assert np.isin(pairs.buyer[in_ring], res.rings[0].buyers).all()
    assert np.isin(pairs.seller[in_ring], res.rings[0].sellers).all()
