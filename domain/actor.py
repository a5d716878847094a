"""Who acted, and from where: every event a caller causes records both, from one base, filled in
at one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from eventsourcing.domain import Aggregate, CanInitAggregate

from tokenledger.adapters.eventsourcing import create_aggregate


@dataclass(frozen=True)
class Actor:
    accessor: str
    remote_addr: str


SYSTEM = Actor(accessor="", remote_addr="")


class AuditedEvent(Aggregate.Event):
    """An event a caller caused: the accessor of the caller's token ("" for the service itself)
    and the address the request came from. Its subclasses take both fields from here (in the
    stored JSON they come right after the library's own); an ``AuditedAggregate`` fills them in."""

    actor_accessor: str
    remote_addr: str


class AuditedAggregate(Aggregate):
    """An aggregate whose events are ``AuditedEvent``\\ s: its commands hand the ``Actor`` to
    ``_create_by`` or ``_trigger_by``, the one place an actor becomes the events' two fields."""

    @classmethod
    def _create_by(cls, actor: Actor, event_class: type[CanInitAggregate[Any]], **fields: Any) -> Self:
        return create_aggregate(cls, event_class, **_stamped(fields, actor))

    def _trigger_by(self, actor: Actor, event_class: type[AuditedEvent], **fields: Any) -> None:
        self.trigger_event(event_class, **_stamped(fields, actor))


def _stamped(fields: dict[str, Any], actor: Actor) -> dict[str, Any]:
    return {**fields, "actor_accessor": actor.accessor, "remote_addr": actor.remote_addr}
