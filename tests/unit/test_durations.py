import pytest

from tokenledger.domain.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        (3600, 3600),
        ("3600", 3600),
        ("", 0),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("90s", 90),
        ("7d", 7 * 86400),
        ("1d12h", 36 * 3600),
        ("1500ms", 1),
        ("-5m", -300),
    ],
)
def test_vault_duration_syntax_is_read_as_whole_seconds(given: object, seconds: int) -> None:
    assert parse_duration(given) == seconds


@pytest.mark.parametrize("given", ["abc", "1x", "h", "1h-", True, [1], {"a": 1}])
def test_anything_else_is_not_a_duration(given: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(given)


def test_a_bad_duration_is_named_in_the_message_as_go_would() -> None:
    with pytest.raises(DurationError, match='time: invalid duration "abc"'):
        parse_duration("abc")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(768 * 3600, "768h"), (5400, "1h30m"), (90, "1m30s"), (7205, "2h5s"), (45, "45s"), (0, "0s")],
)
def test_durations_are_shown_the_way_vault_shows_them_in_warnings(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
