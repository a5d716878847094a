"""Which heavy modules the ``tokenledger`` command loads: no web server, web framework, PostgreSQL driver or schema
library to start: building its parser, and each command's help, leaves flask, gunicorn, psycopg
and marshmallow unloaded (the server command loads them when it starts). Run in a fresh
interpreter, as the console script is."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("flask", "gunicorn", "psycopg", "marshmallow")
RUN_EACH_THEN_LIST_LOADED = (
    "import json, sys\n"
    "from tokenledger.cli.main import main\n"
    "for arguments in json.loads(sys.argv[1]):\n"
    "    try:\n"
    "        code = main(arguments)\n"
    "    except SystemExit as stopped:\n"
    "        code = stopped.code\n"
    f"    loaded = [name for name in {HEAVY!r} if name in sys.modules]\n"
    "    print(json.dumps({'command': arguments, 'exit': code, 'loaded': loaded}))\n"
)


def loaded_by(*commands: list[str]) -> dict[str, list[str]]:
    """The heavy modules loaded once each command (in turn, in one fresh interpreter) has run."""
    finished = subprocess.run([sys.executable, "-c", RUN_EACH_THEN_LIST_LOADED, json.dumps(commands)],
                              capture_output=True, text=True, timeout=120, check=False)
    reports = [json.loads(line) for line in finished.stdout.splitlines() if line.startswith("{\"command\"")]
    assert [report["exit"] for report in reports] == [0] * len(commands), finished.stdout + finished.stderr
    return {" ".join(report["command"]): report["loaded"] for report in reports}
