"""The route tables are the only source of routes: every rule the app serves (but ``static`` and
the catch-all of unknown paths) is registered from a route-table entry, and every entry's rules
are registered, with its methods; every link between routes names a route the app serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tokenledger.web.app import create_app, runtime_of
from tokenledger.web.routes import handler_function, routes_of
from tokenledger.web.unrouted import is_unrouted
from tokenledger.wiring.settings import Settings

AUTOMATIC = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    app = create_app(Settings(store=":memory:"))
    yield app
    runtime_of(app).close()


def rules_without_route(app: Flask) -> list[str]:
    table = routes_of(app)
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or is_unrouted(rule.endpoint):
            continue
        route = table.get(rule.endpoint)
        if route is None or not any(rule.rule.endswith(declared) for declared in route.rules):
            missing.append(rule.rule)
        elif set(rule.methods or ()) - AUTOMATIC != set(route.methods) - AUTOMATIC:
            missing.append(f"{rule.rule} {sorted(rule.methods or ())}")
    return missing


def test_every_rule_comes_from_a_route_table(app: Flask) -> None:
    assert rules_without_route(app) == []


def test_every_route_in_a_table_is_registered(app: Flask) -> None:
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(set(routes_of(app)) - registered) == []
    assert len(routes_of(app)) > 40


def test_a_rule_added_outside_the_tables_is_caught() -> None:
    app = create_app(Settings(store=":memory:"))
    try:
        app.add_url_rule("/v1/sys/forgotten/<name>", endpoint="forgotten", view_func=lambda name: "")
        assert rules_without_route(app) == ["/v1/sys/forgotten/<name>"]
    finally:
        runtime_of(app).close()


def test_every_link_names_a_served_route(app: Flask) -> None:
    routes = list(routes_of(app).values())
    served = {handler_function(route.handler) for route in routes}
    links = [link for route in routes for link in route.doc.links]
    assert links
    assert [link.name for link in links if handler_function(link.target) not in served] == []

