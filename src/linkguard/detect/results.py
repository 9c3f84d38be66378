"""Every detector's result over one market, bundled: what the rules turn into findings.

:func:`linkguard.pipeline.detection.detect` builds it; :mod:`linkguard.rules.findings` and the
snapshot assembly in :mod:`linkguard.pipeline.analysis` read it. Each part's type lives beside
its detector (``detect/linked.py``, ``detect/rings.py``, ...) and the graph arrays in
:mod:`linkguard.detect.graph`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkguard.detect.cycles import CycleResult
from linkguard.detect.graph import IdentifierValues, TradePairs
from linkguard.detect.linked import LinkedResult
from linkguard.detect.lockstep import LockstepResult
from linkguard.detect.rings import RingResult
from linkguard.detect.self_dealing import SelfDealingResult

__all__ = ["Detection"]


@dataclass(frozen=True)
class Detection:
    """Every detector's result over one market."""

    ts: npt.NDArray[np.int64]
    pairs: TradePairs
    values: IdentifierValues
    linked: LinkedResult
    bad_account: npt.NDArray[np.bool_]
    self_dealing: SelfDealingResult
    rings: RingResult
    lockstep: LockstepResult
    cycles: CycleResult
    #: Per order: left out of adjusted GMV (ring, self-dealing or circular).
    removed_order: npt.NDArray[np.bool_]
    concentration: pd.DataFrame
