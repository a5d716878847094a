"""Vault's ACL: which path rule of a token's policies applies to a request, and what it allows.

Follows ``vault/acl.go``: rules for the same pattern are merged (``deny`` wins), an exact rule
beats every wildcard rule, and among glob (``*``) and segment (``+``) rules the most specific
one applies, per Vault's "priority matching" order (see :meth:`_Candidate.rank`). A listing
falls back on the path without its trailing ``/`` in OpenBao's order, not Vault's (see
:meth:`ACL._applying`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tokenledger.domain.policies import ROOT
from tokenledger.domain.policy_document import DENY, PathRule, PolicyDocument

OPERATIONS = frozenset({"create", "read", "update", "patch", "delete", "list", "recover", "header", "options"})
# No capability grants ``header`` (a HEAD request's, as Vault calls it) nor ``options`` (an OPTIONS request's,
# which Vault's HTTP layer sends on with no operation at all): only a root token passes them.
LIST = "list"
SUDO = "sudo"

Capabilities = frozenset[str]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    sudo: bool


@dataclass(frozen=True)
class _Candidate:
    """A glob or ``+`` rule that matches the request path."""

    first_wildcard: int  # index of the first '+' (or of the trailing '*' for a plain glob)
    is_prefix: bool  # ends in '*'
    wildcards: int  # number of '+' segments
    literal: str  # the pattern without its trailing '*'
    capabilities: Capabilities

    def rank(self) -> tuple[int, bool, int, int, str]:
        """Greater is more specific: a later first wildcard, then no trailing '*', then fewer
        '+' segments, then a longer pattern, then the lexicographically greater one."""
        return (
            self.first_wildcard,
            not self.is_prefix,
            -self.wildcards,
            len(self.literal),
            self.literal,
        )


class ACL:
    """The merged rules of a token's policies; a policy named ``root`` allows everything."""

    def __init__(self, policies: Iterable[PolicyDocument]) -> None:
        self._is_root = False
        self._exact: dict[str, Capabilities] = {}
        self._prefix: dict[str, Capabilities] = {}  # keyed by the pattern without its '*'
        self._segment: dict[str, Capabilities] = {}  # keyed by the whole pattern
        for policy in policies:
            self._is_root = self._is_root or policy.name == ROOT
            for rule in policy.rules:
                if not rule.is_templated:  # needs an identity entity, which tokens here lack
                    self._add(rule)

    @classmethod
    def root(cls) -> ACL:
        acl = cls(())
        acl._is_root = True
        return acl

    @property
    def is_root(self) -> bool:
        return self._is_root

    def decide(self, path: str, operation: str) -> Decision:
        """May ``operation`` run on ``path``; ``sudo`` is whether the applying rule grants sudo.

        A ``list`` is checked on the path with a trailing ``/``, as Vault's HTTP layer sends it.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        if self._is_root:
            return Decision(allowed=True, sudo=True)
        if operation == LIST and not path.endswith("/"):
            path += "/"
        granted = self._applying(_without_leading_slashes(path), listing=operation == LIST)
        if granted is None:
            return Decision(allowed=False, sudo=False)
        return Decision(allowed=operation in granted, sudo=SUDO in granted)

    def capabilities(self, path: str) -> list[str]:
        """The answer of ``sys/capabilities``: sorted names, ``["root"]`` or ``["deny"]``."""
        if self._is_root:
            return [ROOT]
        granted = self._applying(_without_leading_slashes(path), listing=True)
        if not granted or DENY in granted:
            return [DENY]
        return sorted(granted)

    def _add(self, rule: PathRule) -> None:
        pattern = rule.pattern
        if _has_segment_wildcards(pattern):
            table, key = self._segment, pattern
        elif pattern.endswith("*"):
            table, key = self._prefix, pattern[:-1]
        else:
            table, key = self._exact, pattern
        table[key] = _merged(table.get(key), rule.capabilities)

    def _applying(self, path: str, listing: bool) -> Capabilities | None:
        """The capabilities of the one rule that applies to ``path``, or None if none matches.

        A listing (a LIST, and every ``sys/capabilities`` question) also tries ``path`` without
        its trailing ``/``: an exact rule on it at once, wildcard rules only after every wildcard
        rule on ``path`` itself failed to match. That order is OpenBao's (GHSA-xp3c-3jw3-4vcr):
        Vault tries the trimmed path's wildcard rules first, so ``dir*`` or ``+`` rules granting
        list on ``dir`` override a ``dir/*`` deny. Closing that bypass, we follow OpenBao here.
        """
        exact = self._exact.get(path)
        if exact is None and listing:
            exact = self._exact.get(path.removesuffix("/"))
        if exact is not None:
            return exact
        granted = self._most_specific(path)
        if granted is None and listing and path.endswith("/"):
            granted = self._most_specific(path.removesuffix("/"))
        return granted

    def _most_specific(self, path: str) -> Capabilities | None:
        best = max(self._candidates(path), key=_Candidate.rank, default=None)
        return None if best is None else best.capabilities

    def _candidates(self, path: str) -> list[_Candidate]:
        found = []
        prefix = max((key for key in self._prefix if path.startswith(key)), key=len, default=None)
        if prefix is not None:
            found.append(_Candidate(len(prefix), True, 0, prefix, self._prefix[prefix]))
        parts = path.split("/")
        for pattern, granted in self._segment.items():
            candidate = _segment_match(pattern, parts, granted)
            if candidate is not None:
                found.append(candidate)
        return found


def _merged(existing: Capabilities | None, added: Capabilities) -> Capabilities:
    if existing is None:
        return added
    if DENY in existing or DENY in added:
        return frozenset({DENY})
    return existing | added


def _has_segment_wildcards(pattern: str) -> bool:
    return pattern == "+" or "/+" in pattern or pattern.startswith("+/")


def _segment_match(pattern: str, parts: list[str], granted: Capabilities) -> _Candidate | None:
    """Each '+' takes exactly one path segment; a trailing '*' lets the last segment (and all
    that follow it) merely start with what the pattern has there."""
    is_prefix = pattern.endswith("*")
    literal = pattern[:-1] if is_prefix else pattern
    segments = literal.split("/")
    if len(parts) < len(segments) or (not is_prefix and len(parts) != len(segments)):
        return None
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "+" or segment == parts[index]:
            continue
        if not (is_prefix and index == last and parts[index].startswith(segment)):
            return None
    wildcards = segments.count("+")
    return _Candidate(pattern.find("+"), is_prefix, wildcards, literal, granted)


def _without_leading_slashes(path: str) -> str:
    return path.lstrip("/")
