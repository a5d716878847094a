"""Prometheus metrics: what the requests, the tokens and the log add up to, read from the store
(health, access and logs are in tests/unit/test_operations.py)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, issue


def scrape(client: FlaskClient, token: str = ROOT_TOKEN) -> str:
    response = client.get("/v1/sys/metrics", query_string={"format": "prometheus"},
                          headers={"X-Vault-Token": token})
    assert response.status_code == 200, response.data
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name) and all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels} in:\n{text}")


def test_metrics_count_requests_latency_tokens_events_and_lag(client: FlaskClient) -> None:
    for _ in range(3):
        issue(client, policies=["web"], ttl="1h")
    call(client, "POST", "lookup", body={"token": "hvs.unknown"})
    text = scrape(client)
    create = {"route": "/v1/auth/token/create", "method": "POST", "status": "200"}
    assert sample(text, "tokenledger_requests_total", **create) == 3
    assert sample(text, "tokenledger_requests_total", route="/v1/auth/token/lookup", status="403") == 1
    assert sample(text, "tokenledger_request_duration_seconds_count", route="/v1/auth/token/create") == 3
    assert 'le="0.005"' in text
    assert sample(text, "tokenledger_tokens_live") == 4  # the root and three children
    assert sample(text, "tokenledger_events_appended_total") >= 3
    assert sample(text, "tokenledger_projection_lag_events") == 0
    assert sample(text, "tokenledger_ledger_position") >= 4
