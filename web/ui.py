"""The audit web page: a token's tree and timeline, now or as of a past instant."""

from __future__ import annotations

from flask import Blueprint

from web.bootstrap import Runtime


def create_ui_blueprint(runtime: Runtime) -> Blueprint:
    """Mount it at ``/ui``."""
    return Blueprint("audit_ui", __name__)
