"""Driving the token service as its callers do: a child token, a login, and whether a token still works."""

from __future__ import annotations

from tokenledger.application.token_service import TokenService
from tokenledger.domain.caller import Caller
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import PermissionDenied

ADDR = "192.0.2.7"


def child_of(service: TokenService, caller: Caller, **options: object) -> str:
    options.setdefault("policies", ("default", "web"))
    return service.create(caller, CreateToken(**options)).client_token  # type: ignore[arg-type]


def login(service: TokenService, token: str) -> Caller:
    return service.authenticate(token, ADDR)


def is_usable(service: TokenService, token: str) -> bool:
    try:
        login(service, token)
    except PermissionDenied:
        return False
    return True
