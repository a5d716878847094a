"""Which policies a token created against a role gets: Vault's allowed/disallowed (and glob) rules."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from tokenledger.domain import policies
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.role_settings import RoleSettings

GLOB = "*"


def glob_match(pattern: str, subject: str) -> bool:
    """``*`` matches any run of characters, nothing else is special (Vault's ``go-glob``)."""
    if pattern == GLOB:
        return True
    parts = pattern.split(GLOB)
    if len(parts) == 1:
        return subject == pattern
    rest = subject
    for index, part in enumerate(parts[:-1]):
        found = rest.find(part)
        if found < 0 or (index == 0 and found != 0 and not pattern.startswith(GLOB)):
            return False
        rest = rest[found + len(part):]
    return pattern.endswith(GLOB) or rest.endswith(parts[-1])


def matches_any(patterns: Iterable[str], subject: str) -> bool:
    return any(glob_match(pattern, subject) for pattern in patterns)


def entity_alias_allowed(alias: str, role: RoleSettings) -> bool:
    """Compared lower-cased: the role's list was lower-cased when written."""
    wanted, allowed = alias.lower(), role.allowed_entity_aliases or ()
    return wanted in allowed or matches_any(allowed, wanted)


def restricts_policies(role: RoleSettings) -> bool:
    return bool(
        role.allowed_policies or role.disallowed_policies
        or role.allowed_policies_glob or role.disallowed_policies_glob
    )


def role_policies(
    requested: Sequence[str],
    *,
    no_default_policy: bool,
    role: RoleSettings,
    parent_policies: Sequence[str],
) -> list[str]:
    """For a role that ``restricts_policies``: the requested policies if the role allows them,
    else (none requested) the role's allowed ones, or the parent's when it allows none by name.
    ``default`` is added unless the request, the role's ``token_no_default_policy`` or its
    disallowed lists (by name or glob) keep it out."""
    add_default = _adds_default(role, no_default_policy)
    chosen = _sanitize(requested, add_default) if requested else []
    if role.allowed_policies or role.allowed_policies_glob:
        allowed = _sanitize(role.allowed_policies, add_default)
        if not chosen:
            chosen = allowed
        else:
            _check_allowed(chosen, allowed, policies.sanitize(role.allowed_policies_glob))
    elif not chosen:
        chosen = _sanitize(parent_policies, add_default)
    _check_not_disallowed(chosen, role)
    return chosen


def role_token_policies(*, no_default_policy: bool, role: RoleSettings) -> list[str]:
    """For a request naming no policies against a role with ``token_policies`` (our extension):
    those, with ``default`` added as ``role_policies`` adds it, checked against the role's
    disallowed lists. Neither the allowed lists nor the parent's policies limit them."""
    chosen = _sanitize(role.token_policies, _adds_default(role, no_default_policy))
    _check_not_disallowed(chosen, role)
    return chosen


def _adds_default(role: RoleSettings, no_default_policy: bool) -> bool:
    return not (
        no_default_policy
        or role.token_no_default_policy
        or policies.DEFAULT in role.disallowed_policies
        or matches_any(role.disallowed_policies_glob, policies.DEFAULT)
    )


def _check_not_disallowed(chosen: Sequence[str], role: RoleSettings) -> None:
    for name in chosen:
        if name in role.disallowed_policies or matches_any(role.disallowed_policies_glob, name):
            raise InvalidRequest(f"token policy {_quote(name)} is disallowed by this role")


def _check_allowed(chosen: list[str], allowed: list[str], allowed_glob: list[str]) -> None:
    for name in chosen:
        if name not in allowed and not matches_any(allowed_glob, name):
            raise InvalidRequest(
                f"token policies ({_quote_all(chosen)}) must be subset of the role's allowed "
                f"policies ({_quote_all(allowed)}) or glob policies ({_quote_all(allowed_glob)})"
            )


def _sanitize(names: Iterable[str], add_default: bool) -> list[str]:
    """Vault's ``SanitizePolicies``: a list holding ``root`` never gains ``default``."""
    cleaned = policies.sanitize(names)
    if add_default and policies.ROOT not in cleaned and policies.DEFAULT not in cleaned:
        cleaned = sorted([*cleaned, policies.DEFAULT])
    return cleaned


def _quote(name: str) -> str:
    """A string as Go's ``%q`` writes it (for the plain names policies have)."""
    return json.dumps(name, ensure_ascii=False)


def _quote_all(names: Sequence[str]) -> str:
    """A list of strings as Go's ``%q`` writes a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join(_quote(name) for name in names) + "]"
