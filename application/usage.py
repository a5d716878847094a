"""Recording a token's use in the ledger at a bounded cost.

Every use of a limited-use token is recorded (it spends one of its uses). A token without a
limit records a use (``TokenUsed``) only when its last recorded use is at least ``interval``
old: the decision reads the token's read-model row the request already loaded, so a request
within the interval writes nothing. Workers that decide at once may each record one; a
conflict on the token's stream means another recorded it, and the request goes on either way, as
it does when the store cannot take the write (a read served by a replica during a failover).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import IntegrityError, PersistenceError

from tokenledger.application.ledger import TokenLedger
from tokenledger.domain.actor import Actor
from tokenledger.domain.clock import Clock
from tokenledger.domain.errors import PermissionDenied
from tokenledger.domain.token import Token
from tokenledger.domain.token_view import TokenType, TokenView

DEFAULT_USAGE_INTERVAL = 60.0  # seconds
_log = logging.getLogger(__name__)


class UsageRecorder:
    """Records uses of tokens without a use limit, at most one per token per ``interval``
    seconds (0: every use)."""

    def __init__(self, ledger: TokenLedger, clock: Clock, interval: float = DEFAULT_USAGE_INTERVAL) -> None:
        if interval < 0:
            raise ValueError("the usage interval may not be negative")
        self._ledger = ledger
        self._clock = clock
        self._interval = timedelta(seconds=interval)

    @property
    def interval(self) -> timedelta:
        return self._interval

    def is_due(self, view: TokenView, now: datetime) -> bool:
        """Whether a use of this token now should be recorded: a service token whose last
        recorded use (if any) is ``interval`` or more before ``now``."""
        if view.token_type != TokenType.SERVICE:
            return False  # a batch token is not in the ledger: nothing to add its use to
        last = view.last_used_time
        return last is None or now - last >= self._interval

    def record(self, view: TokenView, actor: Actor, path: str, operation: str) -> None:
        """Record the use if it is due; never fails the request that used the token."""
        now = self._clock.now()
        if not self.is_due(view, now):
            return
        try:
            self._record(view.token_id, now, actor, path, operation)
        except (IntegrityError, PermissionDenied):
            _log.debug("a use of token %s was not recorded: recorded by another, or ended", view.accessor)
        except PersistenceError as error:  # the store refused or is failing over: the next use records
            _log.warning("a use of token %s was not recorded: %s", view.accessor, type(error).__name__)

    def _record(self, token_id: UUID, now: datetime, actor: Actor, path: str, operation: str) -> None:
        token: Token | None = self._ledger.get_or_none(token_id)
        if token is None or token.uses_left is not None:
            return  # gone, or limited (its uses are spent, and recorded, by the service)
        last = token.last_used_time
        if last is not None and now - last < self._interval:
            return  # another process recorded one since the read model was read
        token.use(now, actor, path, operation)
        self._ledger.save(token)
