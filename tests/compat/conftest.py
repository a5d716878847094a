"""The differential suite runs once per session; its summary goes to the end of pytest's report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.compat.differential import Outcome
from tests.compat.harness import run_against_fresh_servers, summary

_outcomes: list[Outcome] = []


@pytest.fixture(scope="session")
def outcome() -> Iterator[Outcome]:
    result = run_against_fresh_servers()
    _outcomes.append(result)
    yield result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for result in _outcomes:
        terminalreporter.write_line(summary(result).splitlines()[0])
