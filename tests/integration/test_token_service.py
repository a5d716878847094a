"""The token service where the store matters: its read models rebuilt, verified and caught up.
Its rules are in tests/unit/test_token_service.py."""

from __future__ import annotations

from tests.support.services import child_of, is_usable, login
from tokenledger.domain.caller import Caller
from tokenledger.projections.read_model_store import ReadModelStore
from tokenledger.projections.replay import rebuild, verify
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings


def test_rebuilding_the_read_models_gives_the_same_state(runtime: Runtime, root: Caller) -> None:
    service = runtime.service
    tokens = [child_of(service, root, num_uses=n % 3) for n in range(12)]
    children = [child_of(service, login(service, t)) for t in tokens[::3]]
    service.renew(root, tokens[1], 120)
    service.revoke(root, tokens[0])
    service.revoke_orphan(root, tokens[3])
    service.settle(login(service, tokens[4]))
    service.revoke_accessor(root, login(service, children[-1]).view.accessor)

    live = snapshot(runtime.read_models)
    assert verify(runtime.ledger, runtime.read_models) == []
    rebuild(runtime.ledger, runtime.read_models)
    assert snapshot(runtime.read_models) == live
    assert len(live["accessor_index"]) > 5


def snapshot(index: ReadModelStore) -> dict[str, list[tuple[object, ...]]]:
    return {table: index.rows(table) for table in ("token_lookup", "accessor_index", "child_index")}


def test_verify_names_a_read_model_row_that_disagrees_with_the_log(runtime: Runtime, root: Caller) -> None:
    token = login(runtime.service, child_of(runtime.service, root))
    with runtime.read_models.transaction(commit=True) as cursor:
        cursor.execute(runtime.read_models.dialect.sql("UPDATE token_lookup SET policies = '[]' WHERE token_id = ?"),
                       (token.view.token_id.hex,))
        cursor.execute(runtime.read_models.dialect.sql("DELETE FROM accessor_index WHERE accessor = ?"),
                       (root.view.accessor,))
    differences = verify(runtime.ledger, runtime.read_models)
    assert len(differences) == 3
    assert any(d.startswith("accessor_index: missing row") and root.view.accessor in d for d in differences)


def test_read_models_catch_up_on_events_they_missed(
    settings: Settings, runtime: Runtime, root: Caller
) -> None:
    token = child_of(runtime.service, root)
    with runtime.read_models.transaction(commit=True) as c:
        for table in ("token_lookup", "accessor_index", "child_index", "projection_position"):
            c.execute(runtime.read_models.dialect.sql(f"DELETE FROM {table}"))
    assert not is_usable(runtime.service, token)

    restarted = bootstrap(settings)
    try:
        assert is_usable(restarted.service, token)
        assert len(restarted.read_models.accessors()) == 2
    finally:
        restarted.close()


def test_a_catch_up_overtaken_by_another_writer_applies_nothing_twice(
    runtime: Runtime, root: Caller
) -> None:
    """A process reads events from the log to catch up; before it applies them, the process
    that wrote them has already indexed them in their own transaction."""
    child_of(runtime.service, root)
    notifications = runtime.ledger.recorder.select_notifications(start=None, limit=100)
    stale_batch = [(n.id, runtime.ledger.mapper.to_domain_event(n)) for n in notifications]
    position = runtime.read_models.position()

    runtime.read_models.apply(stale_batch, notifications[0].id)

    assert runtime.read_models.position() == position == notifications[-1].id
    assert verify(runtime.ledger, runtime.read_models) == []
