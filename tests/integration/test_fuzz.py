"""Schemathesis against the OpenAPI document, in process over WSGI (loopback only: no socket).

Every operation of ``/v1/sys/internal/specs/openapi`` gets schemathesis's coverage phase
(boundary values, missing and malformed parameters, unexpected methods) and ``MAX_EXAMPLES``
generated cases, sent with the root token in ``X-Vault-Token`` (and a logged-in audit UI
session cookie) so that they get past authentication; then ``STATEFUL_EXAMPLES`` scenarios of
up to 6 calls, each on a fresh ledger, follow the document's links from create (so real tokens
and accessors reach lookup, renew, revoke and the history). Every response must not be a 5xx
and must conform to the document (status code, content type, body schema, headers). Beside
those checks, one of this ledger's own: a rejected request (4xx) writes no event.

Destructive calls are not left out: revoke-self with the root token, a revoke-prefix covering
it and the like are among the most interesting inputs. Instead the app under test is replaced by
a fresh one (a new SQLite file, the same root token) whenever the root token stops
authenticating, before the next case (and every stateful scenario starts on a fresh one); no case
runs against a ledger without its root.

Bounded: no deadline, no example database; 40 to 50 s on two cores, most of it the coverage phase.
``TOKENLEDGER_FUZZ_EXAMPLES`` and ``TOKENLEDGER_FUZZ_SCENARIOS`` raise the counts for a longer hunt.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.domain.errors import PermissionDenied
from tokenledger.web.app import create_app, runtime_of
from tokenledger.web.consistency import INDEX_HEADER
from tokenledger.web.openapi import SPEC_PATH
from tokenledger.web.routes import routes_of
from tokenledger.wiring.settings import Settings

MAX_EXAMPLES = int(os.environ.get("TOKENLEDGER_FUZZ_EXAMPLES", "8"))
STATEFUL_EXAMPLES = int(os.environ.get("TOKENLEDGER_FUZZ_SCENARIOS", "20"))
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
]
CONFIG = SchemathesisConfig.from_dict({
    "generation": {"max-examples": MAX_EXAMPLES, "with-security-parameters": False},
    # the stateful run follows the document's own links, not links schemathesis guesses
    "phases": {"stateful": {"inference": {"algorithms": []}, "generation": {"mode": "positive"}}},
})
BOUNDED = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def position(app: Flask) -> int:
    """The log's last position: any event written moves it."""
    return int(runtime_of(app).ledger.recorder.max_notification_id() or 0)


class SwappableApp:
    """A WSGI app standing for the current app under test, replaced when its root token dies."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._generation = 0
        self._cookies: dict[str, str] | None = None
        self.app = self._fresh()

    def _fresh(self) -> Flask:
        self._generation += 1
        self._cookies = None
        settings = Settings(store=str(self._directory / f"ledger-{self._generation}.db"),
                            index_wait_seconds=0.01)
        app = create_app(settings)
        runtime_of(app).service.initialise(ROOT_TOKEN)
        return app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)

    def ensure_root(self) -> None:
        try:
            runtime_of(self.app).service.authenticate(ROOT_TOKEN, "127.0.0.1")
        except PermissionDenied:
            self.reset()

    def reset(self) -> None:
        self.close()
        self.app = self._fresh()

    def cookies(self) -> dict[str, str]:
        """The audit UI's session of the root token, so that its pages are fuzzed past the login."""
        if self._cookies is None:
            client = self.app.test_client()
            client.post("/ui/login", data={"token": ROOT_TOKEN})
            name = self.app.config["SESSION_COOKIE_NAME"]
            cookie = client.get_cookie(name)
            self._cookies = {name: cookie.value} if cookie is not None else {}
        return self._cookies

    def position(self) -> int:
        return position(self.app)

    def close(self) -> None:
        runtime_of(self.app).close()


# schemathesis's fixture-based loader does not work under pytest 9 (it sets ``node._nodeid``), so
# the schema is loaded at import, from an app in a temporary directory removed at exit.
_WORKDIR = tempfile.TemporaryDirectory(prefix="tokenledger-fuzz-")
SUBJECT = SwappableApp(Path(_WORKDIR.name))
schema = schemathesis.openapi.from_wsgi(SPEC_PATH, SUBJECT, config=CONFIG)
ALIASES = {alias: target for route in routes_of(SUBJECT.app).values() if route.body is not None
           for alias, target in route.body.aliases.items()}
OUTCOMES: list[tuple[str, int]] = []


def one_spelling(body: Any) -> Any:
    """A field and its kebab-case alias given together with different values is a 400 the
    document describes, but every phase (the coverage phase fills in all properties) would spend
    most of create's cases on it: keep the first spelling of each field."""
    if not isinstance(body, dict):
        return body
    kept: dict[str, Any] = {}
    for key in sorted(body, key=lambda name: name in ALIASES):  # canonical spellings first
        target = ALIASES.get(key, key)
        if target in kept or any(ALIASES.get(other) == target for other in kept):
            continue
        kept[key] = body[key]
    return kept


def record(case: schemathesis.Case, response: schemathesis.Response, written: int) -> None:
    """Note the outcome; a rejected request (4xx) must have written no event."""
    OUTCOMES.append((f"{case.method} {case.path}", response.status_code))
    if response.status_code >= 400:
        assert written == 0, (f"{case.method} {case.formatted_path} answered {response.status_code} "
                              f"but wrote {written} event(s): {response.text[:300]}")


@pytest.fixture(scope="module")
def swappable() -> Iterator[SwappableApp]:
    yield SUBJECT
    SUBJECT.close()


@schema.parametrize()
@settings(BOUNDED, max_examples=MAX_EXAMPLES)
def test_api(case: schemathesis.Case, swappable: SwappableApp) -> None:
    swappable.ensure_root()
    if isinstance(case.body, dict):
        case.body = one_spelling(case.body)
    before = swappable.position()
    response = case.call(headers={"X-Vault-Token": ROOT_TOKEN}, cookies=swappable.cookies())
    written = swappable.position() - before
    record(case, response, written)
    case.validate_response(response, checks=CHECKS)


# Token flows only: with the role and policy writes in, schemathesis would start every scenario
# there (it ranks them likelier roots than create) and rarely issue a token.
TOKEN_FLOWS = schema.include(path_regex=r"^/v1/(auth/token/(create|lookup|renew|revoke)|sys/ledger/history/)")


class LedgerWorkflow(TOKEN_FLOWS.as_state_machine()):  # type: ignore[misc]
    """Stateful: sequences along the document's links, so that real tokens and accessors reach
    the operations that need them (lookup, renew, revoke, their history), which random values
    never do."""

    def setup(self) -> None:
        # Each scenario on a fresh ledger: Hypothesis replays a failing scenario to shrink it,
        # and the replay must meet the same state (the same 200s feeding the same links).
        SUBJECT.reset()

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": {"X-Vault-Token": ROOT_TOKEN}}

    def call(self, case: schemathesis.Case, **kwargs: Any) -> schemathesis.Response:
        if isinstance(case.body, dict):
            case.body = one_spelling(case.body)
        if case.headers:  # flows, not read-your-writes: a random X-Vault-Index is a 412 (fuzzed above)
            case.headers.pop(INDEX_HEADER, None)
        before = SUBJECT.position()
        response = case.call(**kwargs)
        record(case, response, SUBJECT.position() - before)
        return response

    def validate_response(self, response: schemathesis.Response, case: schemathesis.Case,
                          additional_checks: Any = None, **kwargs: Any) -> None:
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)


TestLedgerWorkflow = LedgerWorkflow.TestCase
TestLedgerWorkflow.settings = settings(BOUNDED, max_examples=STATEFUL_EXAMPLES, stateful_step_count=6)


def test_the_run_reached_successes_and_rejections() -> None:
    """The checks above are not vacuous: the run saw both answers, on many operations."""
    if not OUTCOMES:
        pytest.skip("the fuzz run did not run (deselected)")
    statuses = {status for _, status in OUTCOMES}
    assert any(200 <= status < 300 for status in statuses)
    assert any(400 <= status < 500 for status in statuses)
    succeeded = {operation for operation, status in OUTCOMES if status < 300}
    assert len(succeeded) >= 20, sorted(succeeded)


# -- inputs the fuzzer found (or that lie just outside what it generates) ---------------------

INT64_OVER = 2**63
FOUND: list[tuple[str, str, str, Any, dict[str, str]]] = [
    # (bug, method, path, JSON body or raw text, headers); {accessor} is the root token's
    ("whole-number-digits", "POST", "/v1/auth/token/create", {"num_uses": "+-5"}, {}),
    ("whole-number-digits", "POST", "/v1/auth/token/create", {"num_uses": "\u00b2"}, {}),
    ("duration-not-finite", "POST", "/v1/auth/token/create", {"ttl": "NaN"}, {}),
    ("duration-not-finite", "POST", "/v1/auth/token/create", {"ttl": "-Infinity"}, {}),
    ("duration-not-finite", "POST", "/v1/auth/token/create", '{"ttl": NaN}', {}),
    ("duration-exponent", "POST", "/v1/auth/token/create", {"ttl": "1e100000"}, {}),
    ("int64-overflow", "POST", "/v1/auth/token/create", {"num_uses": INT64_OVER}, {}),
    ("int64-overflow", "POST", "/v1/auth/token/create", {"explicit_max_ttl": 10**30}, {}),
    ("int64-overflow", "POST", "/v1/auth/token/create", {"max-ttl": INT64_OVER}, {}),
    ("int64-overflow", "POST", "/v1/auth/token/create", {"period": 10**30}, {}),
    ("int64-overflow", "POST", "/v1/auth/token/roles/poisoned", {"token_num_uses": 10**30}, {}),
    ("int64-overflow", "POST", "/v1/auth/token/create/poisoned", {}, {}),
    ("int64-overflow", "GET", f"/v1/auth/token/accessors?list=true&limit={10**30}", None, {}),
    ("int64-overflow", "GET", f"/v1/sys/ledger/history/accessor/{{accessor}}?after={10**30}", None, {}),
    ("long-digits", "POST", "/v1/auth/token/create", {"num_uses": "9" * 5000}, {}),
    ("long-digits", "POST", "/v1/auth/token/create", {"ttl": "9" * 5000}, {}),
    ("long-digits", "POST", "/v1/auth/token/create", {"ttl": "9" * 5000 + "s"}, {}),
    ("long-digits", "GET", "/v1/auth/token/accessors?list=true&limit=" + "9" * 5000, None, {}),
    ("long-digits", "GET", "/v1/sys/ledger/history/accessor/{accessor}?after=" + "9" * 5000, None, {}),
    ("long-digits", "GET", "/v1/auth/token/lookup-self", None, {INDEX_HEADER: "9" * 5000}),
    ("long-digits", "GET", "/ui/tokens/{accessor}?after=" + "9" * 5000, None, {}),
    ("non-ascii-digits", "GET", "/v1/auth/token/accessors?list=true&limit=%C2%B2", None, {}),
    ("non-ascii-digits", "GET", "/v1/sys/ledger/history/accessor/{accessor}?limit=%C2%B2", None, {}),
    ("non-ascii-digits", "GET", "/v1/auth/token/lookup-self", None, {INDEX_HEADER: "\u00b2"}),
    ("instant-overflow", "GET", "/v1/auth/token/lookup-accessor/{accessor}?as_of=0001-01-01T00:00:00%2B23:59",
     None, {}),
    ("instant-overflow", "GET", "/v1/sys/ledger/history/role/r?from=0001-01-01T00:00:00%2B23:59", None, {}),
    ("instant-overflow", "GET", "/v1/auth/token/roles/r?as_of=9999-12-31T23:59:59-23:59", None, {}),
    ("ui-after", "GET", "/ui/tokens/{accessor}?after=%C2%B2", None, {}),
    ("ui-after", "GET", f"/ui/tokens/{{accessor}}?after={INT64_OVER}", None, {}),
    ("ui-instant-overflow", "GET", "/ui/tokens/{accessor}?as_of=0001-01-01T00:00:00%2B23:59", None, {}),
]


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.db")


@pytest.fixture
def logged_in(client: FlaskClient) -> FlaskClient:
    client.post("/ui/login", data={"token": ROOT_TOKEN})
    return client


def test_found_inputs_are_refused_without_writing(app: Flask, logged_in: FlaskClient) -> None:
    """Each input of ``FOUND``, in order (a role written, then used): never a 5xx, and a 4xx
    writes no event. See the report of issue 7 for each bug and its fix."""
    headers = {"X-Vault-Token": ROOT_TOKEN}
    accessor = logged_in.get("/v1/auth/token/lookup-self", headers=headers).get_json()["data"]["accessor"]
    failures = []
    for bug, method, path, body, extra in FOUND:
        before = position(app)
        kwargs: dict[str, Any] = {"data": body, "content_type": "application/json"} if isinstance(body, str) \
            else {"json": body}
        response = logged_in.open(path.format(accessor=accessor), method=method,
                                  headers={**headers, **extra}, **kwargs)
        written = position(app) - before
        if response.status_code >= 500 or (response.status_code >= 400 and written):
            failures.append(f"[{bug}] {method} {path} {body!r} {extra}: {response.status_code}, "
                            f"{written} event(s) written")
    assert not failures, "\n".join(failures)
