"""Policy texts are kept in each process, and a policy change made by any process is seen by the
very next request anywhere: the marker read with the token decides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.application.token_service import Access
from tokenledger.domain.actor import SYSTEM
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import PermissionDenied
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings

READ_SECRET = Access("secret/app", "read")
ALLOWS = 'path "secret/app" { capabilities = ["read"] }'
DENIES = 'path "secret/other" { capabilities = ["read"] }'


@pytest.fixture
def two_processes(settings: Settings, runtime: Runtime) -> Iterator[tuple[Runtime, Runtime]]:
    other = bootstrap(settings)  # a second process on the same store: its own cache, its own reader
    yield runtime, other
    other.close()


def token_with_policy(runtime: Runtime, policy: str) -> str:
    root = runtime.service.authenticate(ROOT_TOKEN, "127.0.0.1")
    return runtime.service.create(root, CreateToken(policies=(policy,))).client_token


def allowed(runtime: Runtime, token: str) -> bool:
    try:
        runtime.service.authenticate(token, "127.0.0.1", READ_SECRET)
    except PermissionDenied:
        return False
    return True


def test_a_rewrite_elsewhere_is_seen_by_the_next_request(two_processes: tuple[Runtime, Runtime]) -> None:
    here, elsewhere = two_processes
    elsewhere.policies.write(SYSTEM, "", "app", ALLOWS)
    token = token_with_policy(here, "app")
    assert allowed(here, token) and allowed(here, token)  # the second is served from memory

    elsewhere.policies.write(SYSTEM, "", "app", DENIES)
    assert not allowed(here, token)

    elsewhere.policies.write(SYSTEM, "", "app", ALLOWS)
    assert allowed(here, token)


def test_a_delete_elsewhere_is_seen_by_the_next_request(two_processes: tuple[Runtime, Runtime]) -> None:
    here, elsewhere = two_processes
    elsewhere.policies.write(SYSTEM, "", "app", ALLOWS)
    token = token_with_policy(here, "app")
    assert allowed(here, token)

    elsewhere.policies.delete(SYSTEM, "", "app")
    assert not allowed(here, token)


def test_a_policy_written_in_another_namespace_changes_nothing_here(
    two_processes: tuple[Runtime, Runtime],
) -> None:
    here, elsewhere = two_processes
    elsewhere.policies.write(SYSTEM, "", "app", ALLOWS)
    token = token_with_policy(here, "app")
    assert allowed(here, token)
    elsewhere.policies.write(SYSTEM, "eu", "app", DENIES)
    assert allowed(here, token)


def test_texts_read_long_after_the_token_are_read_again(two_processes: tuple[Runtime, Runtime],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A marker vouches only for the work right after it was read, not for later work on the thread."""
    import tokenledger.projections.policy_cache as policy_cache

    here, elsewhere = two_processes
    elsewhere.policies.write(SYSTEM, "", "app", ALLOWS)
    token = token_with_policy(here, "app")
    assert allowed(here, token)
    here.service.lookup(token)  # reads the marker ...
    elsewhere.policies.write(SYSTEM, "", "app", DENIES)
    monkeypatch.setattr(policy_cache, "SEEN_FOR_SECONDS", 0.0)  # ... which is then too old to use
    assert here.policies.read("", "app") == DENIES
