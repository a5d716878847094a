"""The benchmark's baseline: the smallest Flask app, served exactly as tokenledger is (gunicorn's
master, ``tokenledger.wiring.http_worker`` workers, the same timeouts from the environment).

    python scripts/hello_app.py --bind 127.0.0.1:PORT [--workers N] [--threads N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flask import Flask, jsonify

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tokenledger.wiring.server import HttpServer
from tokenledger.wiring.settings import Settings
from tokenledger.wiring.whole_request import WsgiApp

app = Flask("hello")


@app.get("/hello")
def hello():  # type: ignore[no-untyped-def]
    return jsonify({"data": {"hello": "world"}})


class HelloServer(HttpServer):
    def load_wsgi_app(self) -> WsgiApp:
        return app  # type: ignore[return-value]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    options = parser.parse_args()
    HelloServer(Settings.from_env(), options.bind, options.workers, options.threads).run()
