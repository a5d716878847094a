"""The ACL policy aggregate: one named policy text in one namespace, written, rewritten, deleted.

Every event names the namespace and policy, so a read model can file it without loading the
aggregate.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from tokenledger.domain.actor import Actor, AuditedAggregate, AuditedEvent


def policy_id(namespace: str, name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"/tokenledger/policy/{namespace}/{name}")


class PolicyWritten(AuditedEvent, Aggregate.Created):
    namespace: str
    name: str
    text: str


class PolicyRewritten(AuditedEvent):
    namespace: str
    name: str
    text: str

    def apply(self, policy: Policy) -> None:
        policy.text = self.text
        policy.deleted = False


class PolicyDeleted(AuditedEvent):
    namespace: str
    name: str

    def apply(self, policy: Policy) -> None:
        policy.deleted = True


class Policy(AuditedAggregate):
    def __init__(self, namespace: str, name: str, text: str) -> None:
        self.namespace = namespace
        self.name = name
        self.text = text
        self.deleted = False

    @classmethod
    def write_new(cls, namespace: str, name: str, text: str, now: datetime, actor: Actor) -> Policy:
        return cls._create_by(
            actor, PolicyWritten, id=policy_id(namespace, name), timestamp=now, namespace=namespace,
            name=name, text=text,
        )

    def rewrite(self, text: str, now: datetime, actor: Actor) -> None:
        if self.deleted or text != self.text:
            self._trigger_by(actor, PolicyRewritten, timestamp=now, namespace=self.namespace, name=self.name,
                             text=text)

    def delete(self, now: datetime, actor: Actor) -> None:
        if not self.deleted:
            self._trigger_by(actor, PolicyDeleted, timestamp=now, namespace=self.namespace, name=self.name)
