"""Activity and search answers as JSON (the ``sys/ledger/history/activity`` API and the page's tables
show the same numbers)."""

from __future__ import annotations

from typing import Any

from tokenledger.application.activity import KINDS, Activity
from tokenledger.application.formats import go_time


def activity_data(activity: Activity) -> dict[str, Any]:
    wanted = activity.filter
    return {
        "from": go_time(wanted.start), "to": go_time(wanted.end), "step": wanted.step,
        "role": wanted.role, "creator": wanted.creator, "live_at_start": activity.live_at_start,
        "totals": {kind: activity.total(kind) for kind in KINDS},
        "buckets": [{"start": go_time(bucket.start), **bucket.counts, "live": bucket.live}
                    for bucket in activity.buckets],
    }
