"""The Role aggregate: a token role's history of writes and deletions.

Every write is a ``RoleWritten`` holding the whole role (the first is a ``RoleCreated``, which is a
``RoleWritten`` too); a deleted role may be written again, continuing the same aggregate. Every event
names the role's namespace and name, so a read model needs nothing else. Event class names and
module are part of the stored topic: renaming one breaks old ledgers.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from tokenledger.domain.actor import Actor, AuditedAggregate, AuditedEvent
from tokenledger.domain.role_settings import RoleSettings


class RoleWritten(AuditedEvent):
    """Lists are stored as ``list[str]``: JSON gives back lists, whatever went in.

    The fields with defaults came later: an event stored before them has no such keys, and the
    mapper (which does not call ``__init__``) leaves them to the class attributes, the defaults.
    ``token_policies`` defaults to None, read as no policies."""

    namespace: str
    name: str
    allowed_policies: list[str]
    disallowed_policies: list[str]
    allowed_policies_glob: list[str]
    disallowed_policies_glob: list[str]
    orphan: bool
    renewable: bool
    path_suffix: str
    allowed_entity_aliases: list[str] | None  # None: never written (stored as [] before)
    token_type: str
    token_period: int
    token_explicit_max_ttl: int
    token_bound_cidrs: list[str]
    token_no_default_policy: bool
    token_num_uses: int
    period: int
    explicit_max_ttl: int
    bound_cidrs: list[str]
    token_ttl: int = 0
    token_max_ttl: int = 0
    token_policies: list[str] | None = None

    def apply(self, role: RoleState) -> None:
        role.current = _settings_of(self)


class RoleCreated(RoleWritten, Aggregate.Created):
    """The first ``RoleWritten`` of a role: it also brings the aggregate into being."""


class RoleDeleted(AuditedEvent):
    namespace: str
    name: str

    def apply(self, role: RoleState) -> None:
        role.current = None


class RoleState(Protocol):
    current: RoleSettings | None


class Role(AuditedAggregate):
    def __init__(self, namespace: str, name: str) -> None:
        self.namespace = namespace
        self.name = name
        self.current: RoleSettings | None = None

    @classmethod
    def create(
        cls, id: UUID, settings: RoleSettings, now: datetime, actor: Actor, namespace: str = ""
    ) -> Role:
        """``namespace`` is "" for the root namespace."""
        return cls._create_by(actor, RoleCreated, id=id, timestamp=now, **_event_fields(namespace, settings))

    @property
    def settings(self) -> RoleSettings | None:
        """The role as last written, or None once deleted."""
        return self.current

    def write(self, settings: RoleSettings, now: datetime, actor: Actor) -> None:
        """Replace the role's settings (re-creating it if it was deleted)."""
        if settings.name != self.name:
            raise ValueError(f"role {self.name!r} cannot be written as {settings.name!r}")
        self._trigger_by(actor, RoleWritten, timestamp=now, **_event_fields(self.namespace, settings))

    def delete(self, now: datetime, actor: Actor) -> None:
        """Deleting a role that is already gone records nothing (Vault answers 204 all the same)."""
        if self.current is not None:
            self._trigger_by(actor, RoleDeleted, timestamp=now, namespace=self.namespace, name=self.name)


_SETTINGS_FIELDS = tuple(field.name for field in fields(RoleSettings))


def _event_fields(namespace: str, settings: RoleSettings) -> dict[str, Any]:
    values = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in asdict(settings).items()
    }
    return {"namespace": namespace, **values}


def _settings_of(event: RoleWritten) -> RoleSettings:
    values: dict[str, Any] = {}
    for key in _SETTINGS_FIELDS:
        value = getattr(event, key)
        values[key] = tuple(value) if isinstance(value, list) else value
    if values["token_policies"] is None:  # a RoleWritten stored before the field existed
        values["token_policies"] = ()
    return RoleSettings(**values)
