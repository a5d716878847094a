"""Errors the domain raises; the web layer maps each to a Vault status code."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: the message is safe to show to the client (it never holds a token)."""


class InvalidRequest(LedgerError):
    """The request is malformed or breaks a rule (HTTP 400)."""


class PermissionDenied(LedgerError):
    """The caller's token is missing, invalid or not allowed (HTTP 403)."""

    def __init__(self, message: str = "permission denied") -> None:
        super().__init__(message)


class ConcurrentUpdate(LedgerError):
    """Optimistic concurrency could not settle a write after several attempts (HTTP 409)."""


def multierror(*messages: str) -> str:
    """``messages`` as Vault answers errors it collected (go-multierror's text): what a handler
    returns as an error rather than as an error response, such as ``invalid accessor``."""
    if len(messages) == 1:
        return f"1 error occurred:\n\t* {messages[0]}\n\n"
    bullets = "\n\t".join(f"* {message}" for message in messages)
    return f"{len(messages)} errors occurred:\n\t{bullets}\n\n"
