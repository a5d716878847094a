"""The benchmark's figure for recording uses (issue 18): what recording a token's use adds to the
lookup-self path as the gate serves it (authenticate the token, serve, then record the use if one
is due). With the default interval (60 s) a token used more than once a minute records one use a
minute, and every other request only decides that none is due: the figure times that decision
for a page of requests against authenticating them (CPU time, in interleaved rounds, medians), as
the ratio of the path with it to the path without it. With an interval of 0 every request writes
a ``TokenUsed``: its ratio shows what the interval saves. A ratio, not a time."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from tokenledger.application.token_service import Access
from tokenledger.domain.caller import Caller
from tokenledger.domain.commands import CreateToken
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings

ROUNDS = 21
TOKENS = 50
LOOKUP_SELF = Access("auth/token/lookup-self", "read")


def usage_cost(work: Path, lookups: int, root: str) -> dict[str, Any]:
    store = str(work / "usage.db")
    runtimes = [bootstrap(Settings(store=store, usage_interval=interval)) for interval in (60.0, 0.0)]
    try:
        default, every = runtimes
        default.service.initialise(root)
        tokens = _tokens(default, root)
        _record_all(default, _callers(default, tokens, len(tokens)))  # each token's first use
        seconds: dict[str, list[float]] = {"authenticate": [], "decide": [], "every": []}
        for _ in range(ROUNDS):
            callers = _timed(seconds["authenticate"], lambda: _callers(default, tokens, lookups))
            _timed(seconds["decide"], partial(_record_all, default, callers))
        for _ in range(ROUNDS):
            callers = _callers(every, tokens, lookups)
            _timed(seconds["every"], partial(_record_all, every, callers))
    finally:
        for runtime in runtimes:
            runtime.close()
    median = {name: statistics.median(values) for name, values in seconds.items()}
    path = median["authenticate"]
    return {
        "usage_lookup_path_us": round(path / lookups * 1e6, 2),
        "usage_decision_us": round(median["decide"] / lookups * 1e6, 3),
        "usage_lookup_cost_ratio_on_vs_off": round((path + median["decide"]) / path, 3),
        "usage_lookup_cost_ratio_every_use_vs_off": round((path + median["every"]) / path, 3),
    }


def _tokens(runtime: Runtime, root: str) -> list[str]:
    caller = runtime.service.authenticate(root, "127.0.0.1")
    command = CreateToken(policies=("default",), ttl=3600)
    return [runtime.service.create(caller, command).client_token for _ in range(TOKENS)]


def _callers(runtime: Runtime, tokens: list[str], count: int) -> list[Caller]:
    return [runtime.service.authenticate(tokens[number % len(tokens)], "127.0.0.1") for number in range(count)]


def _record_all(runtime: Runtime, callers: list[Caller]) -> None:
    for caller in callers:
        runtime.service.record_use(caller, LOOKUP_SELF)


def _timed(into: list[float], work: Callable[[], Any]) -> Any:
    """``work``'s result; its CPU time appended to ``into`` (CPU time: other processes on a shared
    machine move it far less than they move the wall clock)."""
    started = time.process_time()
    result = work()
    into.append(time.process_time() - started)
    return result
