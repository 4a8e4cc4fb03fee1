"""The in-memory enforcement index and the follower that keeps it current from the event log."""

from reprieve.enforcement.follower import IndexFollower
from reprieve.enforcement.index import GOOD, Decision, EnforcementIndex, InstantNotCovered

__all__ = ["GOOD", "Decision", "EnforcementIndex", "IndexFollower", "InstantNotCovered"]
