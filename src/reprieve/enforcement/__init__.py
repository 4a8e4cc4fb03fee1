"""The in-memory enforcement index and the follower that keeps it current from the event log.

index = EnforcementIndex.build(db, now=now)           # at start-up
follower = IndexFollower(index, db).start()           # polls; LISTENs on PostgreSQL
if index.covers(at_us):                               # at_us >= the build instant
    index.standing(platform, account, at_us, operators=...)   # = services.standing.get_standing
    index.check_many(checks, at_us, operators=...)            # = services.standing.run_checks
else:
    ...                                               # an earlier instant: ask the database
follower.lag, follower.staleness                      # for metrics and readiness
follower.stop()                                       # at shutdown
"""

from reprieve.enforcement.follower import IndexFollower
from reprieve.enforcement.index import GOOD, Decision, EnforcementIndex, InstantNotCovered

__all__ = ["GOOD", "Decision", "EnforcementIndex", "IndexFollower", "InstantNotCovered"]
