"""The HTTP timeouts' defaults, those of Vault's TCP listener."""

from __future__ import annotations

import pytest

from tokenledger.wiring.settings import Settings, SettingsError


def test_the_timeouts_default_to_those_of_vaults_listener() -> None:
    timeouts = Settings.from_env({}).http_timeouts
    assert (timeouts.read_header, timeouts.read, timeouts.idle) == (10, 30, 300)
    assert Settings.from_env({"TOKENLEDGER_HTTP_IDLE_TIMEOUT": "0"}).http_timeouts.effective_idle == 30
    with pytest.raises(SettingsError):
        Settings.from_env({"TOKENLEDGER_HTTP_READ_TIMEOUT": "soon"})
