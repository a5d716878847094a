"""The body cap's setting, read as Vault reads ``max_request_size``."""

from __future__ import annotations

import pytest

from tokenledger.wiring.settings import Settings

VAULTS_DEFAULT_LIMIT = 32 * 1024 * 1024  # Vault's ``max_request_size``


@pytest.mark.parametrize(("value", "expected"), [("1024", 1024), ("0", 0), ("-1", -1)])
def test_max_request_size_is_read_from_the_environment(value: str, expected: int) -> None:
    assert Settings.from_env({"TOKENLEDGER_MAX_REQUEST_SIZE": value}).max_request_size == expected


@pytest.mark.parametrize(("setting", "limit"), [(0, VAULTS_DEFAULT_LIMIT), (-1, None)])
def test_zero_means_the_default_and_a_negative_size_no_cap_as_in_vault(setting: int, limit: int | None) -> None:
    from tokenledger.web.request_input import body_limit

    assert body_limit(setting) == limit
