"""A background thread that records the expiry of tokens whose TTL has passed, and revokes their
subtrees. Authentication already refuses an expired token at once; this makes the ledger say so."""

from __future__ import annotations

import logging
import threading

from eventsourcing.persistence import InterfaceError, OperationalError

from tokenledger.application.token_service import TokenService

log = logging.getLogger(__name__)


class ExpirySweeper(threading.Thread):
    def __init__(self, service: TokenService, interval_seconds: float) -> None:
        super().__init__(name="tokenledger-expiry", daemon=True)
        self._service = service
        self._interval = interval_seconds
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                while self._service.expire_due():
                    pass
            except (OperationalError, InterfaceError) as error:  # the store is away (a failover): no traceback
                log.warning("expiry sweep: the store is unavailable (%s); retrying in %s s", error, self._interval)
            except Exception:  # keep sweeping: one failed pass must not end expiry for good
                log.exception("expiry sweep failed; retrying in %s s", self._interval)

    def stop(self) -> None:
        self._stopping.set()
