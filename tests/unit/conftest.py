"""The unit tier runs without a database, a server or a network: a test here that asks for a real
store (``store``, and through it ``settings``, ``app`` or ``client``) fails at once, saying where
it belongs."""

from __future__ import annotations

import pytest


@pytest.fixture
def store() -> str:
    pytest.fail("the unit tier has no real store: a test that needs one belongs in tests/integration")
