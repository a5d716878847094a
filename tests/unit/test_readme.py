"""The README's two set-up commands stay true: CI runs the very test command the README shows."""

from __future__ import annotations

import re

from tests.support.paths import REPO


def setup_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_the_readme_has_exactly_two_setup_commands() -> None:
    install_and_serve, run_tests = setup_commands()
    assert "tokenledger server --dev" in install_and_serve
    assert "pytest" in run_tests


def test_ci_runs_the_readmes_test_command() -> None:
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert setup_commands()[1] in ci_lines
