"""The ACL policy aggregate: one named policy text in one namespace, written, rewritten, deleted.

Every event names the namespace and policy, so a read model can file it without loading the
aggregate.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from tokenledger.adapters.eventsourcing import create_aggregate
from tokenledger.domain.actor import Actor


def policy_id(namespace: str, name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"/tokenledger/policy/{namespace}/{name}")


class PolicyWritten(Aggregate.Created):
    namespace: str
    name: str
    text: str
    actor_accessor: str
    remote_addr: str


class PolicyRewritten(Aggregate.Event):
    namespace: str
    name: str
    text: str
    actor_accessor: str
    remote_addr: str

    def apply(self, policy: Policy) -> None:
        policy.text = self.text
        policy.deleted = False


class PolicyDeleted(Aggregate.Event):
    namespace: str
    name: str
    actor_accessor: str
    remote_addr: str

    def apply(self, policy: Policy) -> None:
        policy.deleted = True


class Policy(Aggregate):
    def __init__(self, namespace: str, name: str, text: str) -> None:
        self.namespace = namespace
        self.name = name
        self.text = text
        self.deleted = False

    @classmethod
    def write_new(cls, namespace: str, name: str, text: str, now: datetime, actor: Actor) -> Policy:
        return create_aggregate(
            cls, PolicyWritten, id=policy_id(namespace, name), timestamp=now, namespace=namespace,
            name=name, text=text, actor_accessor=actor.accessor, remote_addr=actor.remote_addr,
        )

    def rewrite(self, text: str, now: datetime, actor: Actor) -> None:
        if self.deleted or text != self.text:
            self.trigger_event(
                PolicyRewritten, timestamp=now, namespace=self.namespace, name=self.name, text=text,
                actor_accessor=actor.accessor, remote_addr=actor.remote_addr,
            )

    def delete(self, now: datetime, actor: Actor) -> None:
        if not self.deleted:
            self.trigger_event(
                PolicyDeleted, timestamp=now, namespace=self.namespace, name=self.name,
                actor_accessor=actor.accessor, remote_addr=actor.remote_addr,
            )
