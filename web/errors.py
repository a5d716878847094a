"""Every error the HTTP layer can answer, mapped in one place to Vault's status codes and shape."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import psycopg
from eventsourcing.persistence import PersistenceError
from flask import Blueprint, Flask, Response
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from tokenledger.domain.errors import ConcurrentUpdate, InvalidRequest, LedgerError, PermissionDenied, multierror
from tokenledger.web.consistency import IndexNotReached
from tokenledger.web.envelope import error_response
from tokenledger.web.fields import VALIDATION_PREFIX, BareMessage, ConversionFailed
from tokenledger.web.request_input import RequestTooLarge

log = logging.getLogger(__name__)

UNSUPPORTED_PATH = multierror("unsupported path")
UNSUPPORTED_OPERATION = multierror("unsupported operation")
STORE_FULL = "the store is full (database or disk is full): the request was not recorded; reads still work"
STORE_EXHAUSTED = "the store is out of resources: the request was not recorded; try again later"
STORE_UNAVAILABLE = "the store is unavailable: no primary database answered in time; retry the request"
_POSTGRES_DISK_FULL = "53100"
_POSTGRES_INSUFFICIENT_RESOURCES = "53"  # the SQLSTATE class: disk full, out of memory, too many connections


def register_error_handlers(target: Flask | Blueprint) -> None:
    target.register_error_handler(PermissionDenied, _permission_denied)
    target.register_error_handler(InvalidRequest, _invalid_request)
    target.register_error_handler(ConcurrentUpdate, _conflict)
    target.register_error_handler(IndexNotReached, _precondition_failed)
    target.register_error_handler(ValidationError, _validation_failed)
    target.register_error_handler(RequestTooLarge, _too_large)
    for store_error in (PersistenceError, sqlite3.Error, psycopg.Error):
        target.register_error_handler(store_error, _server_error)
    if isinstance(target, Flask):
        target.register_error_handler(NotFound, _not_found)
        target.register_error_handler(MethodNotAllowed, _method_not_allowed)
        target.register_error_handler(HTTPException, _http_error)
        target.register_error_handler(Exception, _server_error)


def error_of(error: LedgerError) -> Response:
    """The answer to ``error`` where no error handler is at work (inside another one)."""
    if isinstance(error, PermissionDenied):
        return _permission_denied(error)
    if isinstance(error, InvalidRequest):
        return _invalid_request(error)
    return _conflict(error)


def _permission_denied(error: PermissionDenied) -> Response:
    return error_response(403, str(error))


def _invalid_request(error: InvalidRequest) -> Response:
    return error_response(400, str(error))


def _conflict(error: LedgerError) -> Response:
    return error_response(409, str(error))


def _precondition_failed(error: LedgerError) -> Response:
    return error_response(412, str(error))


def _too_large(error: RequestTooLarge) -> Response:
    return error_response(413, str(error))


def _validation_failed(error: ValidationError) -> Response:
    return error_response(400, *validation_messages(error))


def validation_messages(error: ValidationError) -> list[str]:
    """Vault's words: the framework's conversion errors (``Field validation failed: error converting
    input for field "ttl": ...``; no prefix where an existence check validated them, ``ConversionFailed``)
    first, then those its handler answers as they are (``BareMessage``)."""
    messages = error.messages
    prefix = error.prefix if isinstance(error, ConversionFailed) else VALIDATION_PREFIX
    if isinstance(messages, dict):
        converting = [
            f'{prefix}error converting input for field "{field}": {"; ".join(texts)}'
            for field, problems in sorted(messages.items())
            if (texts := [m for m in _flatten(problems) if not isinstance(m, BareMessage)])
        ]
        return converting + [m for _, problems in sorted(messages.items()) for m in _flatten(problems)
                             if isinstance(m, BareMessage)]
    return list(_flatten(messages))


def _flatten(problems: object) -> list[str]:
    if isinstance(problems, str):
        return [problems]
    if isinstance(problems, dict):
        return [m for key, value in problems.items() for m in _flatten(value)]
    if isinstance(problems, list):
        return [m for value in problems for m in _flatten(value)]
    return [str(problems)]


def _not_found(error: NotFound) -> Response:
    return error_response(404, no_route_message(error))


def no_route_message(error: NotFound) -> str:
    from flask import request

    if request.path.startswith("/v1/auth/token/"):
        return UNSUPPORTED_PATH
    return f'no handler for route "{request.path.removeprefix("/v1/")}". route entry not found.'


def _method_not_allowed(error: MethodNotAllowed) -> Response:
    return error_response(405, UNSUPPORTED_OPERATION)


def _http_error(error: HTTPException) -> Response:
    return error_response(error.code or 500, error.description or error.name)


def _server_error(error: Exception) -> Response:
    """A 500, except where the store is out of space or resources (it refused the write: its
    transaction rolled back) or unreachable (its primary is gone, or a failover is under way): a
    503 the client may retry."""
    message = _out_of_resources(error) or _unavailable(error)
    if message is None:
        log.exception("internal error while serving a request")
        return error_response(500, "internal error")
    log.error("the store did not serve the request: %s", error)
    return error_response(503, message)


def _out_of_resources(error: BaseException) -> str | None:
    for cause in _causes(error):
        if isinstance(cause, sqlite3.Error) and getattr(cause, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL:
            return STORE_FULL
        sqlstate = (cause.sqlstate or "") if isinstance(cause, psycopg.Error) else ""
        if sqlstate.startswith(_POSTGRES_INSUFFICIENT_RESOURCES):
            return STORE_FULL if sqlstate == _POSTGRES_DISK_FULL else STORE_EXHAUSTED
    return None


def _unavailable(error: BaseException) -> str | None:
    """A lost or refused connection, a wait for one that ran out, a server shutting down or one
    that became read-only: every such error of PostgreSQL's driver is an ``OperationalError``
    (or, for a connection it found closed, an ``InterfaceError``)."""
    lost = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.ReadOnlySqlTransaction)
    return STORE_UNAVAILABLE if any(isinstance(cause, lost) for cause in _causes(error)) else None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from (the library wraps the driver's errors)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__

