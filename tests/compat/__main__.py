"""``python -m tests.compat``: run the differential suite against fresh OpenBao and tokenledger dev
servers and print its summary (``-v`` lists the allowed differences too); ``--readme`` prints the
README's "Differences from Vault" section instead."""

from __future__ import annotations

import sys

from tests.compat.allowlist import readme_section
from tests.compat.harness import print_summary, run_against_fresh_servers

if __name__ == "__main__":
    if "--readme" in sys.argv[1:]:
        print(readme_section(), end="")
        sys.exit(0)
    sys.exit(print_summary(run_against_fresh_servers(), verbose="-v" in sys.argv[1:]))
