"""Builders for the scripted steps: a token is a variable (``${name}``) and its accessor
``${name_acc}``, bound per server from the create answer."""

from __future__ import annotations

from typing import Any

from tests.compat.differential import ABSENT, Step


def var(name: str) -> str:
    return "${" + name + "}"


def create(label: str, name: str, body: Any = None, *, token: str | None = "root",
           path: str = "auth/token/create") -> Step:
    return Step(f"{label}: create", "POST", path, {} if body is None else body, token=token,
                save={name: "auth.client_token", f"{name}_acc": "auth.accessor"})


def lookups(label: str, name: str, *, as_root: bool = True) -> list[Step]:
    """Every way to look a token up: itself, by value (body, query), by accessor."""
    steps = [Step(f"{label}: lookup-self", "GET", "auth/token/lookup-self", token=name)]
    if as_root:
        steps += [
            Step(f"{label}: lookup", "POST", "auth/token/lookup", {"token": var(name)}),
            Step(f"{label}: lookup-accessor", "POST", "auth/token/lookup-accessor", {"accessor": var(f"{name}_acc")}),
        ]
    return steps


def get(label: str, path: str, token: str | None = "root") -> Step:
    return Step(label, "GET", path, token=token)


def post(label: str, path: str, body: Any = ABSENT, token: str | None = "root", **save: str) -> Step:
    return Step(label, "POST", path, body, token=token, save=save)


def listing(label: str, path: str, token: str | None = "root") -> Step:
    return Step(label, "LIST", path, token=token)


def delete(label: str, path: str, token: str | None = "root") -> Step:
    return Step(label, "DELETE", path, token=token)
