"""Drives OpenBao's ``bao`` command line against two servers and compares what it prints.

``BaoCli`` runs one ``bao`` command against one server (``VAULT_ADDR``/``VAULT_TOKEN`` set, ``HOME``
a private directory so no token helper file is shared) and parses its output into rows: Vault's
``Key  Value`` table as key -> value, ``-format=json`` flattened to dotted keys, a ``Keys`` list or
plain lines numbered, and stderr as its non-blank lines (the server's address replaced by
``$ADDR``). Token and accessor values are replaced by a placeholder numbered in order of first
appearance and carrying their shape, so that the same token seen twice compares equal on both
servers. ``compare`` then matches two runs row by row: times and request IDs by shape only, TTL
countdowns within a tolerance, everything else exactly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TTL_TOLERANCE_SECONDS = 10
SECRET_KEYS = frozenset({"token", "id", "client_token", "accessor", "token_accessor"})
COUNTDOWN_KEYS = frozenset({"ttl"})
SHAPE_ONLY_KEYS = frozenset({"creation_time", "issue_time", "expire_time", "last_renewal_time",
                             "last_renewal", "request_id"})
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
GO_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")
# OpenBao's tokens start "s." and "b."; Vault's (1.10 and later) "hvs." and "hvb.", as tokenledger's
# do. Vault wins: the prefix is compared as Vault's, the rest of the shape as it is.
VAULT_PREFIXES = {"s": "hvs", "b": "hvb", "r": "hvr"}
ADDRESS_ENVIRONMENT = ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "VAULT_FORMAT", "BAO_ADDR",
                       "BAO_TOKEN", "BAO_NAMESPACE", "BAO_FORMAT", "VAULT_CACERT", "BAO_CACERT")


@dataclass
class Outcome:
    """One command's exit status and parsed output (values still raw: unmasked)."""

    label: str
    code: int
    rows: dict[str, str]
    errors: list[str]
    stdout: str

    def value(self, key: str) -> str:
        """A row's value (a JSON string's quotes dropped); the command must have printed it."""
        assert self.code == 0 and key in self.rows, (self.label, key, self.stdout, self.errors)
        value = self.rows[key]
        return value[1:-1] if value.startswith('"') and value.endswith('"') else value


@dataclass
class BaoCli:
    """``bao`` against one server; ``outcomes`` is what it printed, in order."""

    binary: str
    address: str
    token: str
    home: Path
    outcomes: list[Outcome] = field(default_factory=list)

    def __call__(self, label: str, *argv: str, token: str | None = None, stdin: str | None = None,
                 json_output: bool = False) -> Outcome:
        environment = {key: value for key, value in os.environ.items() if key not in ADDRESS_ENVIRONMENT}
        environment.update(HOME=str(self.home), VAULT_ADDR=self.address,
                           VAULT_TOKEN=self.token if token is None else token)
        finished = subprocess.run([self.binary, *argv], input=stdin, capture_output=True, text=True,
                                  env=environment, timeout=30, check=False)
        outcome = Outcome(label, finished.returncode, parse(finished.stdout, json_output),
                          [line.replace(self.address, "$ADDR") for line in finished.stderr.splitlines()
                           if line.strip()], finished.stdout)
        self.outcomes.append(outcome)
        return outcome


def parse(stdout: str, json_output: bool) -> dict[str, str]:
    if json_output and stdout.strip():
        rows: dict[str, str] = {}
        _flatten(json.loads(stdout), "", rows)
        return rows
    lines = stdout.rstrip("\n").splitlines()
    if len(lines) >= 2 and lines[0].split() == ["Key", "Value"] and set(lines[1].split()) == {"---", "-----"}:
        return {row[0]: row[1] if len(row) > 1 else "" for row in
                (re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in lines[2:] if line.strip())}
    if len(lines) >= 2 and lines[:2] == ["Keys", "----"]:
        return {f"keys.{index}": line.strip() for index, line in enumerate(lines[2:])}
    return {f"line.{index}": line.rstrip() for index, line in enumerate(lines)}


def _flatten(value: Any, prefix: str, rows: dict[str, str]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, rows)
    elif isinstance(value, list) and value and prefix.endswith("keys"):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", rows)
    else:
        rows[prefix] = json.dumps(value, sort_keys=True)


# ------------------------------------------------------------------------------- masking


def shape(value: str) -> str:
    """What is kept of a token, accessor, ID or time: its prefix, alphabet and length class."""
    bare = value.strip('"')
    if bare in ("", "n/a", "<nil>", "null", "0"):
        return bare
    if RFC3339.match(bare):
        return "rfc3339" + ("Z" if bare.endswith("Z") else "+offset")
    if bare.isdigit():
        return "unix-seconds" if len(bare) == 10 else "digits"
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", bare):
        return "uuid"
    prefix, dot, rest = bare.partition(".")
    if dot and len(prefix) <= 3:
        return f"{VAULT_PREFIXES.get(prefix, prefix)}.+{_length_class(rest)}"
    return f"{_length_class(bare)}"


def _length_class(text: str) -> str:
    """Short values (IDs, accessors, service tokens) by alphabet and length; long ones (batch
    tokens: encrypted, their length each server's own, URL-safe base64 that may by chance hold
    no ``-`` or ``_``) only as long."""
    if len(text) > 40:
        return "long"
    return f"{'base62' if text.isalnum() else 'urlsafe'}{len(text)}"


@dataclass
class Masker:
    """Token-like values of one server's run, each replaced by ``<n:shape>`` in order of first sight."""

    keep: frozenset[str]
    names: dict[str, str] = field(default_factory=dict)

    def learn(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            for key, value in outcome.rows.items():
                bare = value.strip('"')
                if key.rsplit(".", 1)[-1] in SECRET_KEYS and len(bare) >= 8 and bare not in self.keep:
                    self.names.setdefault(bare, f"<{len(self.names) + 1}:{shape(bare)}>")

    def __call__(self, text: str) -> str:
        for value in sorted(self.names, key=len, reverse=True):
            text = text.replace(value, self.names[value])
        return text


# ------------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Difference:
    label: str
    key: str  # "exit", "stderr" or a row's key
    openbao: str | None
    tokenledger: str | None

    def __str__(self) -> str:
        return f"{self.label} | {self.key}: openbao={self.openbao!r} tokenledger={self.tokenledger!r}"


@dataclass
class Tally:
    rows: int = 0
    identical: int = 0
    differences: list[Difference] = field(default_factory=list)


def seconds(value: str) -> float | None:
    bare = value.strip('"')
    if re.fullmatch(r"-?\d+", bare):
        return float(bare)
    matched = GO_DURATION.match(bare)
    if not matched or not bare:
        return None
    hours, minutes, secs = matched.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)


def same_value(key: str, openbao: str, tokenledger: str) -> bool:
    leaf = key.rsplit(".", 1)[-1].removeprefix("token_meta_")
    if leaf in COUNTDOWN_KEYS:
        left, right = seconds(openbao), seconds(tokenledger)
        if left is not None and right is not None:
            return abs(left - right) <= TTL_TOLERANCE_SECONDS
    if leaf in SHAPE_ONLY_KEYS:
        return shape(openbao) == shape(tokenledger)
    return openbao == tokenledger


def compare(openbao: list[Outcome], tokenledger: list[Outcome], openbao_root: str,
            tokenledger_root: str, tally: Tally,
            custom: dict[str, Callable[[Outcome, Outcome], list[Difference]]] | None = None) -> None:
    """Row by row, command by command; each differing row is appended to ``tally.differences``."""
    assert [o.label for o in openbao] == [o.label for o in tokenledger]
    bao_mask, ledger_mask = Masker(frozenset({openbao_root})), Masker(frozenset({tokenledger_root}))
    bao_mask.learn(openbao)
    ledger_mask.learn(tokenledger)
    for left, right in zip(openbao, tokenledger, strict=True):
        label = left.label
        if custom and label in custom:
            found = custom[label](left, right)
            tally.rows += 1
            tally.identical += not found
            tally.differences.extend(found)
            continue
        pairs: list[tuple[str, str | None, str | None]] = [("exit", str(left.code), str(right.code))]
        left_errors = [bao_mask(line) for line in left.errors]
        right_errors = [ledger_mask(line) for line in right.errors]
        pairs.append(("stderr", "\n".join(left_errors), "\n".join(right_errors)))
        for key in dict.fromkeys([*left.rows, *right.rows]):
            pairs.append((key, _masked(bao_mask, left.rows.get(key)), _masked(ledger_mask, right.rows.get(key))))
        for key, mine, theirs in pairs:
            tally.rows += 1
            if mine is not None and theirs is not None and same_value(key, mine, theirs):
                tally.identical += 1
            else:
                tally.differences.append(Difference(label, key, mine, theirs))


def _masked(masker: Masker, value: str | None) -> str | None:
    return None if value is None else masker(value)
