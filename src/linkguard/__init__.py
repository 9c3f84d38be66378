"""linkguard: fraud signals from marketplace transaction graphs, for loan approval.

Reads buyer-seller orders and shared identifiers, finds linked accounts, fake-reputation
rings, lockstep buying, circular trade and revenue concentration, and turns them into risk
flags with evidence (see ``linkguard analyze --help``).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
