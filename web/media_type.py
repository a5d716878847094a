"""A PATCH's Content-Type, checked as Vault's HTTP layer checks it before anything else (before the
token, the path and the body): Go's ``mime.ParseMediaType`` must accept the header (else 400 with
Go's words), and the media type must be JSON merge patch (else 415)."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from tokenledger.web.envelope import error_response
from tokenledger.web.request_input import body_parameters

MERGE_PATCH = "application/merge-patch+json"
_SPECIALS = frozenset('()<>@,;:\\"/[]?=')


class MediaTypeError(ValueError):
    """Go's ``mime`` package's error for a Content-Type it cannot parse."""


def refuse_unpatchable() -> Response | None:
    """A ``before_request`` hook: a PATCH below ``/v1/`` without JSON merge patch's Content-Type is
    refused, and a PATCH's body is parsed (a malformed one is a 400), all before authentication."""
    if request.method != "PATCH" or not request.path.startswith("/v1/"):
        return None
    try:
        media_type = parse_media_type(request.headers.get("Content-Type", ""))
    except MediaTypeError as error:
        return error_response(400, str(error))
    if media_type != MERGE_PATCH:
        return error_response(415, f"PATCH requires Content-Type of {MERGE_PATCH}, provided {media_type}")
    body_parameters(request)
    return None


def parse_media_type(header: str) -> str:
    """The media type of ``header`` (lower-cased, without parameters), as Go's
    ``mime.ParseMediaType`` returns it, or its error."""
    base = header.split(";", 1)[0]
    media_type = base.strip(" \t\r\n\v\f").lower()
    _check_media_type(media_type)
    _check_parameters(header[len(base):])
    return media_type


def _check_media_type(media_type: str) -> None:
    kind, rest = _token(media_type)
    if not kind:
        raise MediaTypeError("mime: no media type")
    if not rest:
        return
    if not rest.startswith("/"):
        raise MediaTypeError("mime: expected slash after first token")
    subtype, rest = _token(rest[1:])
    if not subtype:
        raise MediaTypeError("mime: expected token after slash")
    if rest:
        raise MediaTypeError("mime: unexpected content after media subtype")


def _check_parameters(text: str) -> None:
    """``; name=value`` pairs (a value a token or a quoted string); a trailing ``;`` is allowed."""
    seen: set[str] = set()
    while text := text.lstrip():
        if not text.startswith(";"):
            raise MediaTypeError("mime: invalid media parameter")
        name, rest = _token(text[1:].lstrip())
        rest = rest.lstrip()
        if not name or not rest.startswith("="):
            if text.strip() == ";":
                return
            raise MediaTypeError("mime: invalid media parameter")
        value_ok, text = _value(rest[1:].lstrip())
        if not value_ok:
            raise MediaTypeError("mime: invalid media parameter")
        if name.lower() in seen:
            raise MediaTypeError("mime: duplicate parameter name")
        seen.add(name.lower())


def _value(text: str) -> tuple[bool, str]:
    if not text.startswith('"'):
        value, rest = _token(text)
        return bool(value), rest
    index = 1
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            index += 2
            continue
        if text[index] == '"':
            return True, text[index + 1:]
        index += 1
    return False, text


def _token(text: str) -> tuple[str, str]:
    """The longest leading run of RFC 2045 token characters, and the rest."""
    end = 0
    while end < len(text) and 0x20 < ord(text[end]) < 0x7F and text[end] not in _SPECIALS:
        end += 1
    return text[:end], text[end:]
