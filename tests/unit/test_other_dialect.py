"""The other product's durations: years and days, as well as Vault's units."""

from __future__ import annotations

import pytest

from tokenledger.domain.durations import parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("1y2d5h", 31_726_800), ("5h", 18_000), ("10m30s", 630),
                                               ("1y", 31_536_000), ("2d", 172_800)])
def test_durations_take_years_and_days(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
