"""A synthetic marketplace with planted fraud and its ground truth (``linkguard synth``).

The market looks like real trade: shop popularity follows a power law, buyer activity is light
tailed, buyers return to favourite shops, orders peak in the evening, each shop has its own
price level and ratings are mostly five and four stars. Honest structures that naive
detectors mistake for fraud are planted too (households, public Wi-Fi, office buildings, flash
sales, wholesale shops, loyal clubs), next to fraud of every flag kind (device-farm and
hijacked brushing rings, self-dealing, multi-accounting, circular trade, defaulters and their
linked accounts, concentrated sellers) and a few deliberately bad rows.

Modules: :mod:`.plan` (counts), :mod:`.honest`, :mod:`.structures`, :mod:`.rings`,
:mod:`.linked`, :mod:`.circular`, :mod:`.concentrated` (what is planted), :mod:`.orders`,
:mod:`.loans` (outcomes), :mod:`.identifiers` (raw-looking values), :mod:`.tables`,
:mod:`.dirty`, :mod:`.truth`, :mod:`.write`.

Examples
--------
>>> from linkguard.synth import generate_market, write_market
>>> market = generate_market(accounts=600, seed=3)
>>> market.manifest["planted"]["cycles"] >= 1
True
"""

from linkguard.synth.market import GENERATOR_VERSION, STAGES, SynthMarket, generate_market
from linkguard.synth.plan import MIN_ACCOUNTS, SynthConfig
from linkguard.synth.write import FORMATS, TRUTH_FILES, write_market

__all__ = [
    "FORMATS",
    "GENERATOR_VERSION",
    "MIN_ACCOUNTS",
    "STAGES",
    "TRUTH_FILES",
    "SynthConfig",
    "SynthMarket",
    "generate_market",
    "write_market",
]
