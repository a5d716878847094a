"""A token renewed many times is loaded from a snapshot plus the events after it, and is the same
token as a replay of its whole stream; time travel still reaches any version."""

from __future__ import annotations

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.domain.commands import CreateToken
from tokenledger.wiring.bootstrap import Runtime

RENEWALS = 250


def test_a_long_renewed_token_loads_from_its_latest_snapshot(runtime: Runtime) -> None:
    service = runtime.service
    root = service.authenticate(ROOT_TOKEN, "127.0.0.1")
    raw = service.create(root, CreateToken(policies=("web",), ttl=3600)).client_token
    token_id = service.lookup(raw).token_id
    for n in range(RENEWALS):
        service.renew(root, raw, 3600 + n)

    snapshots = runtime.ledger.snapshots
    assert snapshots is not None
    [latest] = snapshots.get(token_id, desc=True, limit=1)
    assert latest.originator_version == 240  # the 241st event is the 240th renewal: one every 20

    loaded = runtime.ledger.get_or_none(token_id)  # the service's path, with its own projector
    by_library = runtime.ledger.repository.get(token_id)  # the library's own projector
    [replayed] = runtime.ledger.get_many([token_id])  # every event, no snapshot
    assert vars(loaded) == vars(by_library) == vars(replayed)
    assert loaded.version == RENEWALS + 1 and loaded.ttl == 3600 + RENEWALS - 1

    past = runtime.ledger.repository.get(token_id, version=150)
    assert past.version == 150 and past.ttl == 3600 + 148
