"""Batch tokens: self-contained values, sealed with AES-GCM under a key of the store.

Nothing per token is kept for them to work: the value itself carries what lookup answers,
authenticated so that it cannot be forged or altered. Their issuance is still recorded, as a
``BatchTokenIssued`` event under the keyed hash of the value, for the audit trail.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Aggregate

from tokenledger.domain.actor import Actor, AuditedAggregate, AuditedEvent
from tokenledger.domain.clock import from_epoch_us, from_epoch_us_or_none, to_epoch_us
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.leases import Lease
from tokenledger.domain.token_view import TokenType, TokenView

BATCH_TOKEN_PREFIX = "hvb."
_NONCE_BYTES = 12
_CONTEXT = b"tokenledger batch token v1"


class BatchTokenCodec:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key[:32])

    def seal(self, plan: TokenPlan, namespace: str, now: datetime) -> str:
        expire_at = Lease(plan.ttl).expires_at(now)
        claims = {
            "ns": namespace, "parent": plan.parent_id.hex if plan.parent_id else None,
            "policies": plan.policies, "meta": plan.meta, "name": plan.display_name,
            "path": plan.path, "issued": to_epoch_us(now), "ttl": plan.ttl,
            "expires": to_epoch_us(expire_at) if expire_at else None,
            "cidrs": list(plan.bound_cidrs), "role": plan.role_name,
        }
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, json.dumps(claims, separators=(",", ":")).encode(), _CONTEXT)
        return BATCH_TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, value: str, token_id: UUID) -> TokenView | None:
        """The token a batch value stands for, or None if it is not one this store sealed."""
        if not value.startswith(BATCH_TOKEN_PREFIX):
            return None
        body = value[len(BATCH_TOKEN_PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            claims = json.loads(self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _CONTEXT))
        except (InvalidTag, ValueError, binascii.Error):
            return None
        return _view(claims, token_id)


def is_batch_token(value: str) -> bool:
    return value.startswith(BATCH_TOKEN_PREFIX)


def _view(claims: dict[str, Any], token_id: UUID) -> TokenView:
    expires = claims["expires"]
    return TokenView(
        token_id=token_id, accessor="", parent_id=UUID(claims["parent"]) if claims["parent"] else None,
        policies=tuple(claims["policies"]), meta=claims["meta"], display_name=claims["name"],
        path=claims["path"], num_uses=0, uses_left=None, renewable=False,
        issue_time=from_epoch_us(claims["issued"]), creation_ttl=claims["ttl"], ttl=claims["ttl"],
        expire_at=from_epoch_us_or_none(expires), explicit_max_ttl=0,
        period=0, token_type=TokenType.BATCH, entity_alias="", last_renewal_time=None,
        namespace=claims["ns"], bound_cidrs=tuple(claims["cidrs"]), role_name=claims["role"],
    )


class BatchTokenIssued(AuditedEvent, Aggregate.Created):
    """What was issued, by whom, from where: never the value, which is not stored anywhere."""

    parent_id: UUID | None
    policies: list[str]
    meta: dict[str, str] | None
    display_name: str
    path: str
    ttl: int
    expire_at: datetime | None
    namespace: str
    bound_cidrs: list[str]
    role_name: str


class BatchTokenRecord(AuditedAggregate):
    """The audit record of one batch token's issuance; it has no further events."""

    def __init__(self, path: str, namespace: str, role_name: str) -> None:
        self.path = path
        self.namespace = namespace
        self.role_name = role_name

    @classmethod
    def issue(cls, token_id: UUID, plan: TokenPlan, namespace: str, now: datetime,
              actor: Actor) -> BatchTokenRecord:
        return cls._create_by(
            actor, BatchTokenIssued, id=token_id, timestamp=now, parent_id=plan.parent_id,
            policies=plan.policies, meta=plan.meta, display_name=plan.display_name, path=plan.path,
            ttl=plan.ttl, expire_at=Lease(plan.ttl).expires_at(now), namespace=namespace,
            bound_cidrs=list(plan.bound_cidrs), role_name=plan.role_name,
        )
