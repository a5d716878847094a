"""The hash chain's encoding of an event: no two events encode alike."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from tokenledger.projections.hash_chain import (
    GENESIS,
    encode,
    link,
)


def test_the_encoding_keeps_field_boundaries() -> None:
    oid = uuid4()
    one = StoredEvent(originator_id=oid, originator_version=1, topic="a:B", state=b"xy")
    shifted = StoredEvent(originator_id=oid, originator_version=1, topic="a:Bx", state=b"y")
    assert encode(7, one) != encode(7, shifted)
    assert link(GENESIS, 7, one) != link(GENESIS, 8, one)
    assert link(GENESIS, 7, one) != link(b"\x01" * 32, 7, one)
    assert len(link(GENESIS, 7, one)) == 32
    with pytest.raises(ValueError):
        link(b"short", 7, one)
