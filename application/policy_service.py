"""The service layer for ACL policies: writing them as events, and deciding what a token may do."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from tokenledger.application.ledger import TokenLedger
from tokenledger.application.ports import PolicyQueries
from tokenledger.application.retry import retry_on_conflict
from tokenledger.domain import policies
from tokenledger.domain.acl import ACL, Decision
from tokenledger.domain.actor import Actor
from tokenledger.domain.clock import Clock
from tokenledger.domain.policy import Policy, policy_id
from tokenledger.domain.policy_document import (
    DEFAULT_POLICY_TEXT,
    PolicyDocument,
    check_policy_name_deletable,
    check_policy_name_writable,
    parse_policy,
    policy_name,
)

BUSY = "the policy is being written concurrently, try again"


class PolicyService:
    def __init__(self, ledger: TokenLedger, index: PolicyQueries, clock: Clock) -> None:
        self._ledger = ledger
        self._index = index
        self._clock = clock

    def write(self, actor: Actor, namespace: str, name: str, text: str) -> None:
        """Concurrent writes of one policy all succeed; the last one saved is its text."""
        name = check_policy_name_writable(name)
        parse_policy(name, text)

        def attempt() -> None:
            existing: Policy | None = self._ledger.get_or_none(policy_id(namespace, name))
            if existing is None:
                self._ledger.save(Policy.write_new(namespace, name, text, self._clock.now(), actor))
            else:
                existing.rewrite(text, self._clock.now(), actor)
                self._ledger.save(existing)

        retry_on_conflict(attempt, gave_up=BUSY, key=policy_id(namespace, name))

    def delete(self, actor: Actor, namespace: str, name: str) -> None:
        name = check_policy_name_deletable(name)

        def attempt() -> None:
            existing: Policy | None = self._ledger.get_or_none(policy_id(namespace, name))
            if existing is not None:
                existing.delete(self._clock.now(), actor)
                self._ledger.save(existing)

        retry_on_conflict(attempt, gave_up=BUSY, key=policy_id(namespace, name))

    def read(self, namespace: str, name: str) -> str | None:
        """The policy's text; ``root`` reads as empty, ``default`` as built in until rewritten."""
        name = policy_name(name)
        if name == policies.ROOT:
            return ""
        return self._texts(namespace, [name]).get(name)

    def names(self, namespace: str) -> list[str]:
        return sorted({*self._index.policy_names(namespace), policies.DEFAULT, policies.ROOT})

    def missing(self, namespace: str, names: Iterable[str]) -> list[str]:
        wanted = [name for name in names if name not in policies.BUILT_IN]
        found = self._index.policy_texts(namespace, wanted) if wanted else {}
        return [name for name in wanted if name not in found]

    def decide(self, namespace: str, token_policies: Sequence[str], path: str, operation: str) -> Decision:
        return self.acl(namespace, token_policies).decide(path, operation)

    def acl(self, namespace: str, token_policies: Sequence[str]) -> ACL:
        if policies.ROOT in token_policies:
            return ACL.root()
        texts = self._texts(namespace, token_policies)
        return _acl(tuple(sorted(texts.items())))

    def _texts(self, namespace: str, names: Sequence[str]) -> dict[str, str]:
        texts = self._index.policy_texts(namespace, list(names))
        if policies.DEFAULT in names and policies.DEFAULT not in texts:
            texts[policies.DEFAULT] = DEFAULT_POLICY_TEXT
        return texts


@lru_cache(maxsize=1024)
def _document(name: str, text: str) -> PolicyDocument:
    return parse_policy(name, text)


@lru_cache(maxsize=1024)
def _acl(named_texts: tuple[tuple[str, str], ...]) -> ACL:
    """Policies change rarely and are read on every request: parsed ACLs are kept by content."""
    return ACL(_document(name, text) for name, text in named_texts)
