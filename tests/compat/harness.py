"""Both servers started side by side, every scenario run through them, and the summary."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from scripts.servers import dev_server
from tests.compat.allowlist import allowed
from tests.compat.differential import Difference, Outcome, Server, run
from tests.compat.scenarios import all_steps
from tests.support.openbao import running_openbao

ROOT_TOKEN = "compat-root-token"


def run_against_fresh_servers() -> Outcome:
    with running_openbao() as bao, tempfile.TemporaryDirectory(prefix="tokenledger-compat-") as home, \
            dev_server(ROOT_TOKEN, Path(home) / "ledger.db") as ours:
        return run(all_steps(), Server("tokenledger", ours.url, ROOT_TOKEN),
                   Server("openbao", bao.address, bao.root_token))


def unexplained(outcome: Outcome) -> list[Difference]:
    return [difference for difference in outcome.differences if allowed(difference) is None]


def summary(outcome: Outcome, verbose: bool = False) -> str:
    failing = unexplained(outcome)
    differing = len({difference.step for difference in outcome.differences})
    failing_steps = len({difference.step for difference in failing})
    lines = [f"differential suite: {outcome.steps} steps: {outcome.identical} identical, "
             f"{differing - failing_steps} differ only as allowed, {failing_steps} differ otherwise "
             f"({len(failing)} differences not on the allow-list)"]
    by_entry = Counter(entry.title for d in outcome.differences if (entry := allowed(d)) is not None)
    lines += [f"  allowed x{count}: {title}" for title, count in sorted(by_entry.items())]
    shown = outcome.differences if verbose else failing
    lines += [f"  {'ALLOWED ' if allowed(d) else ''}{d}" for d in shown]
    return "\n".join(lines)


def print_summary(outcome: Outcome, verbose: bool = False) -> int:
    print(summary(outcome, verbose))
    return 1 if unexplained(outcome) else 0
