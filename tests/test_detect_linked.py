"""Linked accounts on tiny hand-built identifier graphs with known answers."""

import numpy as np

from linkguard.detect.graph import identifier_values
from linkguard.detect.linked import LinkParams, linked_accounts


def link(rows, n):
    acc, kind, value = zip(*rows, strict=True)
    return linked_accounts(identifier_values(list(acc), list(kind), list(value)), n)


def test_shared_device_links_two_accounts():
    res = link([(0, "device", "d"), (1, "device", "d"), (2, "device", "e")], 3)
    assert res.cluster_of.tolist() == [0, 0, -1]
    assert res.cluster_kinds == [("device",)]


def test_hub_identifier_links_nobody():
    # one public Wi-Fi IP and one office address shared by 300 accounts
    rows = [(i, "ip", "cafe") for i in range(300)] + [(i, "address", "tower") for i in range(300)]
    # even a strong identifier used by 500 accounts (a placeholder value) links nobody
    rows += [(i, "device", "00000000") for i in range(500)]
    res = link(rows, 500)
    assert res.n_clusters == 0
    assert (res.cluster_of == -1).all()


def test_household_sharing_ip_and_address_is_not_one_owner():
    rows = [(i, k, f"home-{k}") for i in range(3) for k in ("ip", "address")]
    res = link(rows, 3)
    assert res.n_clusters == 0


def test_household_plus_shared_phone_links():
    rows = [(i, k, f"home-{k}") for i in range(2) for k in ("ip", "address")]
    rows += [(0, "phone", "p"), (1, "phone", "p")]
    res = link(rows, 2)
    assert res.cluster_of.tolist() == [0, 0]
    assert set(res.cluster_kinds[0]) == {"address", "ip", "phone"}


def test_weight_falls_with_sharers():
    # 40 accounts on one device weigh less than the threshold each; a second device links them
    rows = [(i, "device", "farm") for i in range(40)]
    res = link(rows, 40)
    assert res.n_clusters == 0
    rows += [(i, "card", "c") for i in range(40)]
    assert link(rows, 40).cluster_size.tolist() == [40]


def test_transitive_chain_forms_one_cluster():
    rows = [(0, "phone", "a"), (1, "phone", "a"), (1, "email", "b"), (2, "email", "b")]
    res = link(rows, 4)
    assert res.cluster_of.tolist() == [0, 0, 0, -1]
    assert res.cluster_kinds == [("email", "phone")]


def test_threshold_is_a_parameter():
    rows = [(i, "ip", "home") for i in range(2)]
    strict = linked_accounts(identifier_values([0, 1], ["ip", "ip"], ["h", "h"]), 2)
    loose = linked_accounts(
        identifier_values([0, 1], ["ip", "ip"], ["h", "h"]), 2, LinkParams(threshold=0.3)
    )
    assert strict.n_clusters == 0
    assert loose.n_clusters == 1
    assert np.array_equal(loose.edges, [[0, 1]])
    assert rows
