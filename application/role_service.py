"""The service layer for token roles: writing, reading, listing and deleting them as events."""

from __future__ import annotations

from collections.abc import Mapping

from tokenledger.application.ledger import TokenLedger
from tokenledger.application.ports import RoleQueries
from tokenledger.application.retry import retry_on_conflict
from tokenledger.domain.actor import Actor
from tokenledger.domain.clock import Clock
from tokenledger.domain.role import Role
from tokenledger.domain.role_settings import RoleSettings, role_id, role_write_warnings, write_role_settings

BUSY = "the role is being written concurrently, try again"


class RoleService:
    def __init__(self, ledger: TokenLedger, index: RoleQueries, clock: Clock, max_lease_ttl: int) -> None:
        self._ledger = ledger
        self._index = index
        self._clock = clock
        self._max_lease_ttl = max_lease_ttl

    def write(self, actor: Actor, namespace: str, name: str, given: Mapping[str, object]) -> list[str]:
        """Create the role, or update the fields ``given`` and keep the others, as Vault does;
        returns Vault's warnings about the values given. Concurrent writes all succeed; the
        last one saved decides (its fields over those of the role it found)."""

        def attempt() -> list[str]:
            role = self._load(namespace, name)
            settings = write_role_settings(name, given, role.settings if role else None)
            warnings = role_write_warnings(given, settings, self._max_lease_ttl)
            if role is None:
                role = Role.create(role_id(namespace, settings.name), settings, self._clock.now(), actor,
                                   namespace=namespace)
            else:
                role.write(settings, self._clock.now(), actor)
            self._ledger.save(role)
            return warnings

        return retry_on_conflict(attempt, gave_up=BUSY, key=role_id(namespace, name))

    def settings(self, namespace: str, name: str) -> RoleSettings | None:
        role = self._load(namespace, name)
        return role.settings if role else None

    def exists(self, namespace: str, name: str) -> bool:
        return self.settings(namespace, name) is not None

    def delete(self, actor: Actor, namespace: str, name: str) -> None:
        def attempt() -> None:
            role = self._load(namespace, name)
            if role is not None and role.settings is not None:
                role.delete(self._clock.now(), actor)
                self._ledger.save(role)

        retry_on_conflict(attempt, gave_up=BUSY, key=role_id(namespace, name))

    def names(self, namespace: str) -> list[str]:
        return self._index.role_names(namespace)

    def _load(self, namespace: str, name: str) -> Role | None:
        if not name or "/" in name:
            return None
        role: Role | None = self._ledger.get_or_none(role_id(namespace, name))
        return role
