"""The same requests to a real OpenBao and to tokenledger: every difference is on the allow-list,
every allow-list entry still describes a difference, and the README says what the list says."""

from __future__ import annotations

import re

from tests.compat.allowlist import ALLOWED, README_HEADING, readme_section
from tests.compat.differential import Outcome
from tests.compat.harness import summary, unexplained
from tests.compat.scenarios import all_steps
from tests.support.paths import REPO

MINIMUM_STEPS = 800


def test_the_suite_is_large(outcome: Outcome) -> None:
    assert outcome.steps >= MINIMUM_STEPS, summary(outcome)


def test_every_difference_is_on_the_allow_list(outcome: Outcome) -> None:
    assert not unexplained(outcome), summary(outcome)


def test_every_allow_list_entry_is_still_needed(outcome: Outcome) -> None:
    unused = [entry.title for entry in ALLOWED if not any(entry.covers(d) for d in outcome.differences)]
    assert not unused, f"these entries no longer match any difference; drop them: {unused}"


def test_the_readme_lists_the_allowed_differences() -> None:
    readme = (REPO / "README.md").read_text()
    found = re.search(rf"^{re.escape(README_HEADING)}\n.*?(?=^## |\Z)", readme, re.S | re.M)
    assert found is not None, f"README.md lacks {README_HEADING!r}"
    assert found.group(0).rstrip() == readme_section().rstrip(), "regenerate it: python -m tests.compat --readme"


def test_step_names_are_unique() -> None:
    names = [step.name for step in all_steps()]
    assert len(names) == len(set(names)), "the summary and the allow-list tell steps apart by name"
