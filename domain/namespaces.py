"""Namespaces (the ``site`` of the other product's API): isolated sets of tokens, roles and policies.

A token belongs to the namespace it was created in. It acts there under its policies as they
are; a token of the root namespace may also act in any other namespace, where Vault checks its
policies against the path prefixed with that namespace (``ns1/auth/token/create``).
"""

from __future__ import annotations

import re

from tokenledger.domain.errors import InvalidRequest

ROOT_NAMESPACE = ""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def parse_namespace(text: str) -> str:
    """The namespace a request names (``site`` or ``X-Vault-Namespace``); empty is the root."""
    name = text.strip().strip("/")
    if name and not _NAME.match(name):
        raise InvalidRequest(
            "invalid namespace: use 1-63 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return name


def token_value_in(namespace: str, value: str) -> str:
    """A token issued in a namespace carries it as a suffix, as Vault's namespaced tokens do:
    values, and so their keyed hashes, can never collide across namespaces."""
    return value if namespace == ROOT_NAMESPACE else f"{value}.{namespace}"


def policy_path(token_namespace: str, request_namespace: str, path: str) -> str | None:
    """The path a token's policies are checked against, or None if it cannot act there."""
    if token_namespace == request_namespace:
        return path
    if token_namespace == ROOT_NAMESPACE:
        return f"{request_namespace}/{path}"
    return None
