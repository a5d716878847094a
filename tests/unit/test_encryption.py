"""A malformed ``TOKENLEDGER_CIPHER_KEY`` is a settings error that never echoes the key."""

from __future__ import annotations

import pytest
from eventsourcing.cryptography import AESCipher

from tokenledger.wiring.settings import Settings, SettingsError


@pytest.mark.parametrize("value, problem", [
    ("not base64 at all!", "is not valid base64"),
    ("c2hvcnQ=", "must decode to 32 bytes (AES-256), not 5"),
    (AESCipher.create_key(16), "must decode to 32 bytes (AES-256), not 16"),
    ("é" * 44, "is not valid base64"),
])
def test_a_malformed_key_is_a_settings_error_that_does_not_echo_it(value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"TOKENLEDGER_CIPHER_KEY": value})
    assert problem in str(refused.value) and "TOKENLEDGER_CIPHER_KEY" in str(refused.value)
    assert value not in str(refused.value)
    with pytest.raises(SettingsError):
        Settings(store="x.db", cipher_key=value)
