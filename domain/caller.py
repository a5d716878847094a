"""The authenticated token behind a request."""

from __future__ import annotations

from dataclasses import dataclass

from tokenledger.domain.actor import Actor
from tokenledger.domain.token_view import TokenView


@dataclass(frozen=True)
class Caller:
    """``namespace`` is the one the request addresses (the token's own, or, for a token of the
    root namespace, any); ``sudo`` whether its policies grant sudo on the request's path."""

    view: TokenView
    raw_token: str
    actor: Actor
    namespace: str = ""
    sudo: bool = False

    @property
    def is_sudo(self) -> bool:
        return self.sudo
