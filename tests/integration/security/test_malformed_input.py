"""The body cap when tokenledger's blueprints are embedded in a host app bootstrapped on a store:
the blueprints read at most their setting, whatever the host's Flask config says."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.web.errors import register_error_handlers
from tokenledger.web.sys_api import create_sys_blueprint
from tokenledger.web.token_api import create_token_blueprint
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings

HEADERS = {"X-Vault-Token": ROOT_TOKEN}
TOO_LARGE = {"errors": ["http: request body too large"]}


def send(client: FlaskClient, method: str, path: str, body: str | bytes,
         content_type: str = "application/json") -> TestResponse:
    return client.open(path, method=method, data=body, headers=HEADERS, content_type=content_type)


def test_embedded_blueprints_enforce_their_own_cap_without_flask_config(tmp_path: Path) -> None:
    """A host app keeps its own ``MAX_CONTENT_LENGTH``; the blueprints read at most their setting."""
    runtime = bootstrap(Settings(store=str(tmp_path / "ledger.db"), max_request_size=100))
    runtime.service.initialise(ROOT_TOKEN)
    host = Flask("host")
    host.register_blueprint(create_token_blueprint(runtime), url_prefix="/v1/auth/token")
    host.register_blueprint(create_sys_blueprint(runtime), url_prefix="/v1/sys")
    register_error_handlers(host)
    try:
        body = json.dumps({"policy": "#" + "x" * 200})
        response = send(host.test_client(), "PUT", "/v1/sys/policy/web", body)
        assert (response.status_code, response.json) == (413, TOO_LARGE)
        assert host.config["MAX_CONTENT_LENGTH"] is None
        assert runtime.policies.read("", "web") is None
    finally:
        runtime.close()
