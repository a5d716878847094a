"""A story of token activity over four hours, told through the API with a frozen clock, for the
activity and search tests."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.vault_http import call, create, let_create_tokens
from tokenledger.web.app import runtime_of

WINDOW = "from=2026-04-01T10:00:00Z&to=2026-04-01T14:00:00Z"


@dataclass
class Story:
    parent: str
    parent_token: str
    limited: str
    role_tokens: list[str]
    short: str


def tell_story(client: FlaskClient, app: Flask) -> Story:
    """10:05 root creates ``parent``; 10:10 two tokens against role ``ci``; 11:20 ``parent``
    creates ``limited`` (3 uses), used twice from 192.0.2.7; 11:30 ``parent`` is renewed; 12:15 a
    ``ci`` token is revoked; 12:20 ``short`` (60 s) is created, and found expired at 13:00."""
    with freeze_time("2026-04-01 10:05:00") as clock:
        let_create_tokens(client)
        assert call(client, "POST", "roles/ci", body={"allowed_policies": "web"}).status_code == 204
        parent = create(client, policies=["web"], ttl="24h", display_name="Parent-Box")["auth"]
        clock.move_to("2026-04-01 10:10:00")
        role_tokens = [call(client, "POST", "create/ci", body={}).json["auth"] for _ in range(2)]
        clock.move_to("2026-04-01 11:20:00")
        limited = create(client, parent["client_token"], num_uses=3, display_name="worker")["auth"]
        for _ in range(2):
            used = call(client, "GET", "lookup-self", limited["client_token"],
                        environ_base={"REMOTE_ADDR": "192.0.2.7"})
            assert used.status_code == 200
        clock.move_to("2026-04-01 11:30:00")
        assert call(client, "POST", "renew-accessor", body={"accessor": parent["accessor"]}).status_code == 200
        clock.move_to("2026-04-01 12:15:00")
        assert call(client, "POST", "revoke-accessor", body={"accessor": role_tokens[0]["accessor"]}).status_code == 204
        clock.move_to("2026-04-01 12:20:00")
        short = create(client, ttl="60s", display_name="short")["auth"]
        clock.move_to("2026-04-01 13:00:00")
        runtime_of(app).service.expire_due()
    return Story(parent["accessor"], parent["client_token"], limited["accessor"],
                 [token["accessor"] for token in role_tokens], short["accessor"])
