"""The authenticated token behind a request."""

from __future__ import annotations

from dataclasses import dataclass

from domain.actor import Actor
from domain.token_view import TokenView


@dataclass(frozen=True)
class Caller:
    view: TokenView
    raw_token: str
    actor: Actor

    @property
    def is_sudo(self) -> bool:
        """Root holds sudo on every path; policy-granted sudo comes with ACL policies."""
        return self.view.is_root
