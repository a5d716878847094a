"""The HTTP side of ``tokenledger token|policy``: where the server is, which token to present, one
request per call, and every failure turned into a one-line :class:`CliError`."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from tokenledger.cli.vault.args import FORMATS, parse_bool_text
from tokenledger.domain.durations import DurationError, parse_duration

DEFAULT_ADDRESS = "http://127.0.0.1:8200"
DEFAULT_TIMEOUT_SECONDS = 60
USAGE = 2
FAILURE = 1
REDACTED = "<redacted>"


class CliError(Exception):
    """A failure to report on one line; ``code`` is the exit status (2 usage, 1 otherwise)."""

    def __init__(self, message: str, code: int = FAILURE) -> None:
        super().__init__(message)
        self.code = code


class ApiError(CliError):
    """The server answered with an error status: Vault's message, condensed onto one line."""

    def __init__(self, method: str, url: str, status: int, errors: list[str]) -> None:
        listed = " ".join(f"* {error}" for error in errors)
        super().__init__(f"Error making API request. URL: {method} {url} Code: {status}. Errors: {listed}".rstrip())
        self.status = status
        self.errors = errors


def first_set(environ: Mapping[str, str], *variables: str) -> str:
    for variable in variables:
        value = environ.get(variable, "").strip()
        if value:
            return value
    return ""


@dataclass
class Client:
    """One server, one token: what the flags and the environment say, checked before any request."""

    address: str
    token: str
    namespace: str
    verify: bool | str
    timeout: float
    secrets: set[str] = field(default_factory=set)

    @classmethod
    def from_arguments(cls, arguments: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Client:
        env = os.environ if environ is None else environ
        address = (arguments.address or first_set(env, "TOKENLEDGER_ADDR", "VAULT_ADDR") or DEFAULT_ADDRESS)
        address = address.strip().rstrip("/")
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CliError(f'invalid server address "{address}": expected http://HOST:PORT or '
                           "https://HOST:PORT", USAGE)
        if parts.username or parts.password:
            raise CliError("the server address must not carry credentials", USAGE)
        namespace = arguments.namespace if arguments.namespace is not None else first_set(
            env, "TOKENLEDGER_NAMESPACE", "VAULT_NAMESPACE")
        token = first_set(env, "TOKENLEDGER_TOKEN", "VAULT_TOKEN")
        client = cls(address=address, token=token, namespace=namespace.strip("/"),
                     verify=_verify(arguments, env), timeout=_timeout(env))
        client.keep_secret(token)
        return client

    def keep_secret(self, value: str | None) -> None:
        """Never echo this value: error messages have it replaced by ``<redacted>``."""
        if value and len(value) >= 4:
            self.secrets.add(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The JSON body of a successful answer (None for 204); raises :class:`CliError`."""
        token = self.token
        if not token:
            raise CliError("no token: set VAULT_TOKEN (or TOKENLEDGER_TOKEN) to the token to act with", USAGE)
        url = f"{self.address}/v1/{path}"
        headers = {"X-Vault-Token": token, "X-Vault-Request": "true"}
        if self.namespace:
            headers["X-Vault-Namespace"] = self.namespace
        try:
            response = requests.request(method, url, headers=headers, json=body, timeout=self.timeout,
                                        verify=self.verify, allow_redirects=False)
        except requests.exceptions.Timeout:
            raise CliError(f"no answer from {self.address} within {self.timeout:g} s") from None
        except requests.exceptions.SSLError as error:
            raise CliError(f"TLS failure talking to {self.address}: {_reason(error)}") from None
        except requests.exceptions.ConnectionError as error:
            raise CliError(f"server unreachable at {self.address}: {_reason(error)}") from None
        except requests.exceptions.RequestException as error:
            raise CliError(f"request to {self.address} failed: {_reason(error)}") from None
        return _answer(method, url, response)


def path_segment(value: str) -> str:
    """One path segment of a request: a role or policy name, never a token."""
    return quote(value, safe="")


def output_format(arguments: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    chosen = (getattr(arguments, "format", None) or env.get("VAULT_FORMAT", "") or "table").lower()
    if chosen not in FORMATS:
        raise CliError(f'invalid output format "{chosen}" (from VAULT_FORMAT): expected table or json', USAGE)
    return chosen


def _answer(method: str, url: str, response: requests.Response) -> dict[str, Any] | None:
    if response.status_code == 204:
        return None
    text = response.text
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if 200 <= response.status_code < 300:
        if text.strip() and not isinstance(body, dict):
            raise CliError(f"the server at {url} answered {response.status_code} with a body that is not "
                           "a JSON object")
        return body
    if response.is_redirect:
        raise CliError(f"the server answered {response.status_code} redirecting to "
                       f"{response.headers.get('Location', '?')}; point VAULT_ADDR there instead")
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        errors = [_one_line(str(error)) for error in body["errors"]]
    else:
        errors = [_one_line(text)[:200]] if text.strip() else []
    raise ApiError(method, url, response.status_code, errors)


def _one_line(text: str) -> str:
    return " ".join(text.split())


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _reason(error: BaseException) -> str:
    """The innermost cause in a few words (``connection refused``), not urllib3's whole chain."""
    text = str(error)
    found = _ERRNO.findall(text)
    if found:
        return str(found[-1]).strip().rstrip(".").lower()
    if "Connection refused" in text:
        return "connection refused"
    return _one_line(text)[:200] or type(error).__name__


def _verify(arguments: argparse.Namespace, env: Mapping[str, str]) -> bool | str:
    skip = arguments.tls_skip_verify
    if skip is None:
        skip = bool(parse_bool_text(env.get("VAULT_SKIP_VERIFY", "").strip()))
    if skip:
        return False
    return arguments.ca_cert or env.get("VAULT_CACERT", "").strip() or True


def _timeout(env: Mapping[str, str]) -> float:
    text = env.get("VAULT_CLIENT_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = parse_duration(text)
    except DurationError as error:
        raise CliError(f"invalid VAULT_CLIENT_TIMEOUT: {error}", USAGE) from None
    if seconds <= 0:
        raise CliError("invalid VAULT_CLIENT_TIMEOUT: must be positive", USAGE)
    return float(seconds)
