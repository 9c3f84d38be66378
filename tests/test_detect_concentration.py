"""Concentration and self-dealing on hand-computed examples."""

import numpy as np
import pytest

from linkguard.detect.concentration import seller_concentration
from linkguard.detect.graph import identifier_values, trade_pairs
from linkguard.detect.self_dealing import self_dealing


def test_hhi_top_shares_and_adjusted_gmv():
    seller = np.array([1, 1, 1, 1, 1, 1, 2])
    buyer = np.array([10, 10, 11, 12, 13, 14, 10])
    amount = np.array([40.0, 10.0, 20.0, 10.0, 10.0, 10.0, 5.0])
    removed = np.array([True, False, False, False, False, False, False])
    c = seller_concentration(seller, buyer, amount, removed=removed)
    shares = np.array([50, 20, 10, 10, 10]) / 100
    assert c.loc[1, "hhi"] == pytest.approx(((shares * 100) ** 2).sum())
    assert c.loc[1, "top1_share"] == pytest.approx(0.5)
    assert c.loc[1, "top5_share"] == pytest.approx(1.0)
    assert c.loc[1, "buyers"] == 5
    assert c.loc[1, "orders"] == 6
    assert c.loc[1, "adjusted_gmv"] == pytest.approx(60.0)
    assert c.loc[2, "hhi"] == pytest.approx(10000.0)


def test_self_dealing_needs_the_same_cluster():
    values = identifier_values([0, 1, 2], ["device", "device", "device"], ["d", "d", "x"])
    pairs = trade_pairs([1, 2], [0, 0], [30.0, 70.0], [0, 0], [5.0, 5.0])
    res = self_dealing(pairs, np.array([0, 0, -1]), values)
    assert len(res.findings) == 1
    f = res.findings[0]
    assert f.seller == 0
    assert f.puppets.tolist() == [1]
    assert f.gmv_share == pytest.approx(0.3)
    assert f.kinds == ("device",)
    assert res.pair_mask.tolist() == [True, False]
    nobody = self_dealing(pairs, np.array([-1, -1, -1]), values)
    assert nobody.findings == []
    assert not nobody.pair_mask.any()
