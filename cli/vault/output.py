"""Printing as the ``vault`` CLI does: ``Key  Value`` tables, Go's ``%v`` rendering of values,
durations in Go's form (``768h``, ``1h30m``), warnings on stderr, or the API's JSON as it came."""

from __future__ import annotations

import json
import sys
from typing import Any

from tokenledger.cli.vault.client import CliError
from tokenledger.domain.durations import format_duration

GLUE = "    "


def go_value(value: Any) -> str:
    """Go's ``%v``: ``<nil>``, ``true``, ``[a b]``, ``map[k:v]``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_value(value[key])}" for key in sorted(value)) + "]"
    return str(value)


def go_quoted_list(values: Any) -> str:
    """Go's ``%q`` of a ``[]string``: ``["default" "web"]``."""
    return "[" + " ".join(json.dumps(str(value)) for value in (values or [])) + "]"


def looks_like_duration(key: str) -> bool:
    return key in ("period", "ttl") or key.endswith(("_period", "_ttl", "_timeout"))


def human_duration(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return format_duration(value)
    return go_value(value)


def secret_rows(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows of Vault's table for a response: its ``auth`` block, then ``data`` by key."""
    rows: list[tuple[str, str]] = []
    auth = body.get("auth")
    if isinstance(auth, dict):
        if auth.get("client_token"):
            rows.append(("token", str(auth["client_token"])))
        rows.append(("token_accessor", str(auth.get("accessor") or "")))
        lease = auth.get("lease_duration") or 0
        rows.append(("token_duration", "∞" if lease == 0 else human_duration(lease)))
        rows.append(("token_renewable", go_value(bool(auth.get("renewable")))))
        rows.append(("token_policies", go_quoted_list(auth.get("token_policies"))))
        rows.append(("identity_policies", go_quoted_list(auth.get("identity_policies"))))
        rows.append(("policies", go_quoted_list(auth.get("policies"))))
        metadata = auth.get("metadata") or {}
        rows.extend((f"token_meta_{key}", go_value(metadata[key])) for key in sorted(metadata))
    data = body.get("data")
    if isinstance(data, dict):
        for key in sorted(data):
            value = data[key]
            rows.append((key, human_duration(value) if looks_like_duration(key) else go_value(value)))
    return rows


def table(rows: list[tuple[str, str]]) -> str:
    """Two columns under ``Key``/``Value`` headers; an empty value shows as ``n/a``."""
    everything = [("Key", "Value"), ("---", "-----"), *rows]
    width = max(len(key) for key, _ in everything)
    return "\n".join(f"{key.ljust(width)}{GLUE}{value if value != '' else 'n/a'}".rstrip()
                     for key, value in everything)


def print_json(body: Any) -> None:
    """The API's response body as it came (indented), key order kept."""
    if body is not None:
        print(json.dumps(body, indent=2, ensure_ascii=False))


def print_warnings(body: dict[str, Any] | None) -> None:
    warnings = (body or {}).get("warnings") or []
    if warnings:
        lines = ["WARNING! The following warnings were returned from the server:", ""]
        lines += [f"  * {' '.join(str(warning).split())}" for warning in warnings]
        print("\n".join(lines) + "\n", file=sys.stderr)


def print_secret(body: dict[str, Any] | None, output: str, field: str = "") -> None:
    """A response with ``auth`` or ``data``: Vault's table, one field, or the JSON."""
    if output == "json" and not field:
        print_json(body)
        return
    print_warnings(body)
    rows = secret_rows(body or {})
    if field:
        values = dict(rows)
        if field not in values:
            raise CliError(f'field "{field}" not present in the response')
        print(values[field])
        return
    if rows:
        print(table(rows))


def print_keys(keys: list[str], *, header: bool) -> None:
    lines = (["Keys", "----"] if header else []) + [str(key) for key in keys]
    print("\n".join(lines))
