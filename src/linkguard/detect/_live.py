"""The part of a bipartite graph still being peeled, renumbered densely.

Peeling costs time in proportion to the nodes and edges it is given, live or not; once half
of them have left (as rings or as peeled-away background), the graph is rebuilt from the
live ones, so later peels work on what is left rather than on everything.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard._arrays import dense_numbering
from linkguard.detect._peel import build_csr, incident_edges, peel

__all__ = ["LiveGraph"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class LiveGraph:
    """Edges ``u - v`` (global node ids) with weights, and per-node priors, among ``alive`` nodes.

    Parameters
    ----------
    u, v : array of int
        Edge ends, global node ids.
    weight : array of float
        Edge weights.
    prior : array of float
        Per global node, the suspicion added to its weighted degree.
    alive : array of bool
        Per global node, whether it takes part.
    """

    def __init__(
        self, u: IntArray, v: IntArray, weight: FloatArray, prior: FloatArray, alive: BoolArray
    ) -> None:
        self._u, self._v = u, v
        self._w = np.asarray(weight, dtype=np.float64)
        self._prior = prior
        self._build(alive)

    def _build(self, alive: BoolArray) -> None:
        keep = alive[self._u] & alive[self._v]
        if not keep.all():
            self._u, self._v, self._w = self._u[keep], self._v[keep], self._w[keep]
        #: Global id of each local node; ``_position`` maps global ids back.
        self.nodes, self._position = dense_numbering(len(alive), self._u, self._v)
        self._csr = build_csr(
            len(self.nodes), self._position[self._u], self._position[self._v], self._w
        )
        self._local_prior = self._prior[self.nodes]
        self._live = np.ones(len(self.nodes), dtype=np.bool_)

    @property
    def n_alive(self) -> int:
        """Live nodes."""
        return int(self._live.sum())

    def peel(self) -> tuple[IntArray, float]:
        """The densest block left (global node ids) and its average weight."""
        order, best_removed, best_g = peel(*self._csr, self._local_prior, self._live)
        return self.nodes[order[best_removed:]], float(best_g)

    def incident(self, nodes: IntArray) -> tuple[IntArray, IntArray]:
        """The edges from live ``nodes`` (global ids) to live nodes: (node, neighbour), global ids.

        Work is in proportion to the nodes' degrees, not to the graph.
        """
        src, dst = incident_edges(self._csr[0], self._csr[1], self._position[nodes], self._live)
        return self.nodes[src], self.nodes[dst]

    def retire(self, alive: BoolArray) -> None:
        """Follow ``alive``; rebuild once fewer than half the nodes are live."""
        self._live &= alive[self.nodes]
        if self.n_alive < len(self.nodes) // 2:
            self._build(alive)
