"""The OpenAPI 3 description of every route, built from the marshmallow schemas."""

from __future__ import annotations

from flask import Flask


def register_openapi(app: Flask) -> None:
    """Serve the spec at ``/v1/sys/internal/specs/openapi`` (Vault's path)."""
