"""Health in Vault's shape, who may scrape the metrics, and JSON request logs that carry no token.
The metrics' values, read from the store, are in tests/integration/test_operations.py."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, issue
from tokenledger.web.json_logging import JsonFormatter


def test_health_answers_vaults_shape_without_a_token(client: FlaskClient) -> None:
    response = client.get("/v1/sys/health")
    assert response.status_code == 200
    body = response.json
    assert (body["initialized"], body["sealed"], body["standby"]) == (True, False, False)
    assert isinstance(body["server_time_utc"], int) and body["version"].startswith("tokenledger")
    assert client.head("/v1/sys/health").status_code == 200


def test_metrics_need_a_token_and_the_prometheus_format(client: FlaskClient) -> None:
    assert client.get("/v1/sys/metrics?format=prometheus").status_code == 403
    assert call(client, "GET", "sys/metrics").status_code == 400
    token = issue(client, policies=["web"], ttl="1h")
    assert client.get("/v1/sys/metrics?format=prometheus", headers={"X-Vault-Token": token}).status_code == 403


def test_every_request_logs_one_json_line_with_its_id_and_accessor_never_its_token(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = issue(client, policies=["web"], ttl="1h")
    caplog.set_level(logging.INFO, logger="tokenledger.request")
    response = client.get(f"/v1/auth/token/lookup/{token}", headers={"X-Vault-Token": ROOT_TOKEN})
    (record,) = [r for r in caplog.records if r.name == "tokenledger.request"]
    line = json.loads(JsonFormatter().format(record))
    root_accessor = call(client, "GET", "lookup-self").json["data"]["accessor"]
    assert line["request_id"] == response.json["request_id"]
    assert line["accessor"] == root_accessor and line["status"] == 200
    assert line["route"] == "/v1/auth/token/lookup/<path:token>" and line["level"] == "info"
    assert token not in json.dumps(line)
