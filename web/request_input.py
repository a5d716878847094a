"""Reading a Vault request: the caller's token from its headers, the parameters from its body."""

from __future__ import annotations

import codecs
import io
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Request, request
from marshmallow import Schema, ValidationError

from tokenledger.domain.errors import InvalidRequest
from tokenledger.web.envelope import note_ignored
from tokenledger.web.fields import DIALECT, VALIDATION_PREFIX, ConversionFailed, JsonNumber
from tokenledger.web.namespace import SITE_PARAMETER
from tokenledger.web.served import served_request
from tokenledger.wiring.settings import DEFAULT_MAX_REQUEST_SIZE

# Vault's limit on how deeply JSON containers nest (``CustomMaxJSONDepth``).
MAX_JSON_DEPTH = 500
JSON_ERROR = "error parsing JSON"
JSON_DECODE_PREFIX = "failed to decode JSON input: "
NUL_ERROR = "NUL characters are not allowed in requests"
_BODY_KEY = "tokenledger.body"
_PARAMETERS_KEY = "tokenledger.parameters"
_READ_SIZE = 64 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _go_replacement(error: UnicodeError) -> tuple[str, int]:
    """Go's decoder reads each byte that is not UTF-8 as U+FFFD, and accepts the body."""
    assert isinstance(error, UnicodeDecodeError)
    return "\ufffd" * (error.end - error.start), error.end


GO_REPLACE = "tokenledger.go-replace"
codecs.register_error(GO_REPLACE, _go_replacement)


class RequestTooLarge(Exception):
    """The body is longer than ``max_request_size``: HTTP 413 with Go's words, as OpenBao answers it
    (Vault answers 413 too)."""

    def __init__(self) -> None:
        super().__init__("http: request body too large")


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
    labels everything as a form. Parsed once per request.
    """
    parameters: dict[str, Any] | None = request.environ.get(_PARAMETERS_KEY)
    if parameters is None:
        parameters = _parsed(request, received_body(request))
        request.environ[_PARAMETERS_KEY] = parameters
    return dict(parameters)


def _parsed(request: Request, raw: bytes) -> dict[str, Any]:
    stripped = raw.lstrip()
    if not stripped:
        return {}
    parameters = _form_parameters(stripped) if _is_form(request, stripped) else _json_object(raw)
    _check_texts(parameters)
    return parameters


def _is_form(request: Request, stripped: bytes) -> bool:
    return request.mimetype == "application/x-www-form-urlencoded" and stripped[:1] not in (b"{", b"[")


def _form_parameters(body: bytes) -> dict[str, Any]:
    return dict(parse_qsl(body.decode("utf-8", errors="replace")))


def _json_object(raw: bytes) -> dict[str, Any]:
    """Parsed as Go's decoder would: no ``NaN`` or ``Infinity`` (nor a number too large to be
    finite), nesting no deeper than Vault allows, the first JSON value of the body (what follows
    it must look like the start of another), and Vault's words for what is wrong (Go's decoder's,
    after ``failed to decode JSON input: ``). A ``null`` body is no parameters."""
    decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
    try:
        text = raw.decode("utf-8", errors=GO_REPLACE)
        parsed, end = decoder.raw_decode(text, len(text) - len(text.lstrip(_JSON_SPACE)))
    except json.JSONDecodeError as error:
        raise InvalidRequest(JSON_DECODE_PREFIX + _go_json_error(error)) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidRequest(JSON_ERROR) from None
    rest = text[end:].lstrip(_JSON_SPACE)
    if rest and rest[0] not in _VALUE_STARTS:
        raise InvalidRequest(f"{JSON_DECODE_PREFIX}invalid character {_go_char(rest[0])} "
                             "looking for beginning of value")
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise InvalidRequest(JSON_DECODE_PREFIX + f"json: cannot unmarshal {_go_json_kind(parsed)} into Go value "
                             "of type map[string]interface {}")
    return parsed


_JSON_SPACE = " \t\n\r"
_VALUE_STARTS = frozenset('{["-0123456789tfn')


def _go_json_error(error: json.JSONDecodeError) -> str:
    """Go's ``encoding/json`` message for the first problem: the input ends too early, or a
    character that cannot be where it is."""
    text, position = error.doc, error.pos
    if error.msg.startswith("Unterminated string"):
        return "unexpected EOF"
    while position < len(text) and text[position] in _JSON_SPACE:
        position += 1
    if position >= len(text):
        return "unexpected EOF"
    character = _go_char(text[position])
    before = text[:position].rstrip(_JSON_SPACE)
    if text[position] in "}]" and before.endswith(","):
        return "invalid character ',' looking for beginning of value"  # OpenBao names a trailing comma
    if error.msg.startswith("Expecting ':'"):
        return f"invalid character {character} after object key"
    if error.msg.startswith("Expecting ',' delimiter") and _inside(text, position) == "{":
        return f"invalid character {character} after object key:value pair"
    if error.msg.startswith("Expecting ',' delimiter"):
        return f"invalid character {character} after array element"
    if error.msg.startswith("Expecting property name"):
        return f"invalid character {character} looking for beginning of object key string"
    if error.msg.startswith(("Invalid control character", "Invalid \\escape", "Invalid \\uXXXX")):
        return f"invalid character {character} in string literal"
    return f"invalid character {character} looking for beginning of value"


def _inside(text: str, position: int) -> str:
    """The innermost container open at ``position`` (strings skipped), ``{`` or ``[``."""
    stack: list[str] = []
    in_string = escaped = False
    for character in text[:position]:
        if in_string:
            escaped, in_string = (False, True) if escaped else (character == "\\", character != '"')
        elif character == '"':
            in_string = True
        elif character in "{[":
            stack.append(character)
        elif character in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _go_char(character: str) -> str:
    """A character as Go's JSON errors quote it: ``'x'``, ``'\\''``, ``'\\n'``."""
    if character == "'":
        return "'\\''"
    if character == '"':
        return "'\"'"
    return repr(character) if character.isprintable() else "'" + json.dumps(character)[1:-1] + "'"


def _go_json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


def _refuse_constant(literal: str) -> float:
    raise ValueError(f"{literal} is not JSON")


def _finite_float(text: str) -> JsonNumber:
    value = JsonNumber(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _check_texts(parameters: dict[str, Any]) -> None:
    """Every key and string, however deep: a lone surrogate (JSON's ``\\ud800``, or its UTF-8 bytes,
    which ``json.loads`` lets through) cannot be encoded for the store, and a NUL cannot be stored
    in PostgreSQL text. Walked without recursion."""
    pending: list[tuple[Any, int]] = [(parameters, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequest(JSON_ERROR)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                pending += [(key, depth), (item, depth + 1)]


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise InvalidRequest(NUL_ERROR)
    if not text.isascii() and _LONE_SURROGATE.search(text):
        raise InvalidRequest(JSON_ERROR)


@dataclass(frozen=True)
class RequestBody:
    """A request's parameters as its route's ``schema`` takes them, the path parameters
    ``from_path`` winning over the body's; loaded when the handler asks (``load``)."""

    schema: Schema
    from_path: Mapping[str, str]

    def load(self) -> tuple[Any, list[str]]:
        return load(self.schema, request, **self.from_path)

    def uses_aliases(self) -> bool:
        return uses_aliases(self.schema, request)


def load(schema: Schema, request: Request, **from_path: str) -> tuple[Any, list[str]]:
    """Parameters validated by ``schema`` as Vault's framework reads a body.

    A ``null`` is a parameter not given. Path segments win over the body. Parameters the endpoint
    does not know are ignored, and so are the other product's kebab-case spellings (``aliases``)
    unless the request is in that dialect. What was ignored or replaced by the path is kept for
    ``vault_response``, which names them after the endpoint's own warnings, as Vault does; an
    answer without a body (204) names nothing. The warnings returned are the endpoint's own
    (none, here), for the handler to add to."""
    body = body_parameters(request)
    dialect = in_dialect(schema, request)
    aliases: dict[str, str] = getattr(schema, "aliases", {}) if dialect else {}
    given = {key: value for key, value in from_path.items() if value}
    known = set(schema.fields) | set(aliases)
    ignored = sorted(key for key in body if key not in known and key not in given)
    replaced = sorted(key for key in given if body.get(key) is not None)
    present = {key: value for key, value in body.items()
               if key in known and (value is not None or _takes_null(schema, key))}
    parameters = {**_unaliased(aliases, present), **given}
    note_ignored(ignored, replaced)
    token = DIALECT.set(dialect)
    try:
        loaded = schema.load(parameters)
    except ValidationError as error:
        prefix = "" if getattr(schema, "existence_checked", False) else VALIDATION_PREFIX
        raise ConversionFailed(error, prefix) from None
    finally:
        DIALECT.reset(token)
    return loaded, []


def _takes_null(schema: Schema, key: str) -> bool:
    """Whether a ``null`` for ``key`` reaches the handler: only where the field allows one (roles'
    ``token_type``, whose ``null`` Vault's handler refuses); elsewhere it is a parameter not given."""
    field = schema.fields.get(key)
    return field is not None and field.allow_none


def in_dialect(schema: Schema, request: Request) -> bool:
    """Whether the request is in the other product's dialect: it addresses a ``site``, or its body
    spells a parameter the kebab-case way. Only then are ``aliases`` (``metadata`` too) known."""
    aliases: dict[str, str] = getattr(schema, "aliases", {})
    return bool(aliases) and (SITE_PARAMETER in request.args
                              or any("-" in key and key in aliases for key in body_parameters(request)))


def uses_aliases(schema: Schema, request: Request) -> bool:
    """Whether the request is in the dialect and the body spells a parameter the other way the
    schema knows (``aliases``)."""
    aliases = getattr(schema, "aliases", {})
    return in_dialect(schema, request) and any(key in aliases for key in body_parameters(request))


def _unaliased(aliases: Mapping[str, str], parameters: dict[str, Any]) -> dict[str, Any]:
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
    request = served_request()
    raw = received_body(request)
    query = request.environ.get("QUERY_STRING", "")
    maybe_in_query = "%00" in query or "\x00" in query  # parse the query only where it may hold one
    in_url = "\x00" in request.path or (
        maybe_in_query and any("\x00" in value for value in request.args.values()))
    if in_url or b"\x00" in raw or b"\\u0000" in raw or _nul_in_form(request, raw):
        raise InvalidRequest(NUL_ERROR)


def _nul_in_form(request: Request, raw: bytes) -> bool:
    """A form's ``%00`` is a NUL only once decoded (``%2500`` is none)."""
    stripped = raw.lstrip()
    if b"%00" not in raw or not _is_form(request, stripped):
        return False
    return any("\x00" in text for pair in _form_parameters(stripped).items() for text in pair)


def body_reader(max_request_size: int, *, parse_updates: bool = False) -> Callable[[], None]:
    """A ``before_request`` hook that reads the body once, at most ``max_request_size`` bytes.
    With ``parse_updates``, a POST or PUT body is also parsed, before routing and authentication,
    as Vault parses it: a malformed body is a 400 whether or not the endpoint takes parameters."""
    limit = body_limit(max_request_size)

    def read_body() -> None:
        request = served_request()
        received_body(request, limit)
        if parse_updates and request.method in ("POST", "PUT"):
            body_parameters(request)

    return read_body


def body_limit(max_request_size: int) -> int | None:
    """As Vault reads its ``max_request_size``: 0 is the default, a negative size no limit."""
    return None if max_request_size < 0 else (max_request_size or DEFAULT_MAX_REQUEST_SIZE)


def received_body(request: Request, limit: int | None = DEFAULT_MAX_REQUEST_SIZE) -> bytes:
    """The body as sent, read once (by the first caller, with its limit) straight from the WSGI
    input, so that neither Flask's settings nor the server decide how much is read. Later readers,
    werkzeug's ``request.form`` too, get the same bytes."""
    environ = request.environ
    body: bytes | None = environ.get(_BODY_KEY)
    if body is None:
        body = _read_body(environ, limit)
        environ.update({_BODY_KEY: body, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
    return body


def _read_body(environ: dict[str, Any], limit: int | None) -> bytes:
    """Without a length or chunks a request has none (RFC 9112, 6.3), and nothing is read; a
    declared length over the limit is refused before reading any of it. A chunked body is read
    only from a server that says it ends the stream (``wsgi.input_terminated``), as werkzeug does."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        if not environ.get("wsgi.input_terminated"):
            return b""
        body = _read(environ["wsgi.input"], None if limit is None else limit + 1)
    else:
        length = _declared_length(environ)
        if not length:
            return b""
        if limit is not None and length > limit:
            raise RequestTooLarge()
        body = _read(environ["wsgi.input"], length)
        if len(body) < length:
            raise InvalidRequest("error reading data")  # the client went away mid-body
    if limit is not None and len(body) > limit:
        raise RequestTooLarge()
    return body


def _declared_length(environ: dict[str, Any]) -> int:
    text = environ.get("CONTENT_LENGTH", "").strip()
    if text and not text.isdigit():
        raise InvalidRequest("invalid Content-Length")
    return int(text or 0)


def _read(stream: IO[bytes], wanted: int | None) -> bytes:
    """Up to ``wanted`` bytes (all, if None). Whatever the server raises while it reads (gunicorn's
    errors for a bad chunk size are no ``OSError``) is the client's malformed body: a 400."""
    parts: list[bytes] = []
    received = 0
    try:
        while wanted is None or received < wanted:
            part = stream.read(_READ_SIZE if wanted is None else min(_READ_SIZE, wanted - received))
            if not part:
                break
            parts.append(part)
            received += len(part)
    except Exception:
        raise InvalidRequest("error reading data") from None
    return b"".join(parts)
