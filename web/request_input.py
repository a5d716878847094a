"""Reading a Vault request: the caller's token from its headers, the parameters from its body."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from flask import Request, request
from marshmallow import Schema

from domain.errors import InvalidRequest


def presented_token(request: Request) -> str:
    """``X-Vault-Token`` first, else an ``Authorization: Bearer`` header."""
    token = request.headers.get("X-Vault-Token", "")
    if token:
        return token
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        return authorization[len("Bearer "):].strip()
    return ""


def body_parameters(request: Request) -> dict[str, Any]:
    """The JSON object in the body (or a form, as Vault also takes); an empty body is no parameters.

    Like Vault, a body that looks like JSON is JSON whatever its Content-Type, since curl's ``-d``
    labels everything as a form.
    """
    raw = _raw_body(request)
    stripped = raw.lstrip()
    if not stripped:
        return {}
    if request.mimetype == "application/x-www-form-urlencoded" and stripped[:1] not in (b"{", b"["):
        return dict(parse_qsl(stripped.decode("utf-8", errors="replace")))
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("error parsing JSON") from None
    if not isinstance(parsed, dict):
        raise InvalidRequest("error parsing JSON")
    return parsed


def load(schema: Schema, request: Request, **from_path: str) -> tuple[Any, list[str]]:
    """Parameters validated by ``schema`` (path segments win over the body) and Vault's warning
    about parameters the endpoint does not know."""
    parameters = _unaliased(schema, body_parameters(request))
    parameters.update({k: v for k, v in from_path.items() if v})
    unknown = sorted(key for key in parameters if key not in schema.fields)
    warnings = [f"Endpoint ignored these unrecognized parameters: [{' '.join(unknown)}]"] if unknown else []
    return schema.load(parameters), warnings


def uses_aliases(schema: Schema, request: Request) -> bool:
    """Whether the body spells a parameter the other way the schema knows (``aliases``)."""
    aliases = getattr(schema, "aliases", {})
    return any(key in aliases for key in body_parameters(request))


def _unaliased(schema: Schema, parameters: dict[str, Any]) -> dict[str, Any]:
    aliases: dict[str, str] = getattr(schema, "aliases", {})
    result = {key: value for key, value in parameters.items() if key not in aliases}
    for alias, value in parameters.items():
        name = aliases.get(alias)
        if name is None:
            continue
        if name in result and result[name] != value:
            raise InvalidRequest(f'conflicting values for "{alias}" and "{name}"')
        result[name] = value
    return result


def refuse_nul_characters() -> None:
    """A NUL character anywhere in a request is refused up front: PostgreSQL cannot store one in
    text, and no name, path or value Vault takes has any use for it."""
    raw = _raw_body(request)
    query = request.environ.get("QUERY_STRING", "")
    maybe_in_query = "%00" in query or "\x00" in query  # parse the query only where it may hold one
    in_url = "\x00" in request.path or (
        maybe_in_query and any("\x00" in value for value in request.args.values()))
    if in_url or b"\x00" in raw or b"\\u0000" in raw:
        raise InvalidRequest("NUL characters are not allowed in requests")


def _raw_body(request: Request) -> bytes:
    """The body as sent, read once; without a length or chunks a request has none (RFC 9112,
    6.3), and nothing is read."""
    chunked = "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return request.get_data(cache=True) if chunked or request.content_length else b""
