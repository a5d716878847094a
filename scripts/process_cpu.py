"""CPU time of whole process trees, read from /proc: a server's master and its workers, or a
PostgreSQL postmaster and its backends. A benchmark reads it before and after a phase and divides
by the requests served, a figure steadier than throughput on a shared machine."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root_pid: int) -> float:
    """User plus system CPU seconds of ``root_pid`` and every live descendant, plus what their
    reaped children used."""
    stats = _all_stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0, [root_pid]
    while pending:
        pid = pending.pop()
        if pid in stats:
            total += stats[pid][1]
        pending.extend(children.get(pid, []))
    return total / TICKS_PER_SECOND


def _all_stats() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks: utime + stime + cutime + cstime)."""
    stats: dict[int, tuple[int, int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
        stats[int(entry.name)] = (int(fields[1]), sum(int(value) for value in fields[11:15]))
    return stats
