"""``python -m tests.compat``: run the differential suite against fresh OpenBao and tokenledger dev
servers and print its summary (``-v`` lists the allowed differences too)."""

from __future__ import annotations

import sys

from tests.compat.harness import print_summary, run_against_fresh_servers

if __name__ == "__main__":
    outcome = run_against_fresh_servers()
    sys.exit(print_summary(outcome, verbose="-v" in sys.argv[1:]))
