"""From a presented token value to the live token it stands for, service or batch."""

from __future__ import annotations

from tokenledger.application.ports import TokenQueries
from tokenledger.domain.batch_tokens import BatchTokenCodec, is_batch_token
from tokenledger.domain.clock import Clock
from tokenledger.domain.token_secrets import TokenHasher
from tokenledger.domain.token_view import TokenView


class TokenResolver:
    def __init__(self, index: TokenQueries, hasher: TokenHasher, batch: BatchTokenCodec, clock: Clock) -> None:
        self._index = index
        self._hasher = hasher
        self._batch = batch
        self._clock = clock

    def live(self, raw_token: str, namespace: str | None = None) -> TokenView | None:
        """The live token, if any; with ``namespace``, only a token of that namespace."""
        view = self._batch_view(raw_token) if is_batch_token(raw_token) else self._service_view(raw_token)
        if view is None or view.has_expired(self._clock.now()):
            return None
        if namespace is not None and view.namespace != namespace:
            return None
        return view

    def _service_view(self, raw_token: str) -> TokenView | None:
        return self._index.find(self._hasher.token_id(raw_token))

    def _batch_view(self, raw_token: str) -> TokenView | None:
        """A batch token lives until its TTL, and dies with its parent if it has one."""
        view = self._batch.open(raw_token, self._hasher.token_id(raw_token))
        if view is None or view.parent_id is None:
            return view
        parent = self._index.find(view.parent_id)
        if parent is None or parent.has_expired(self._clock.now()):
            return None
        return view
