"""The differential engine: one scripted step sent to OpenBao and to tokenledger, and the two
answers compared field by field.

A step names tokens and accessors by variables (``${child}``) because each server issues its own
values; the runner keeps one binding per server and writes the variables back into both answers
before comparing them, so an accessor echoed in a lookup compares equal on both sides. What stays
different by nature (request ids, times, fresh token values) compares by JSON type only, and a
counting-down ``ttl`` within a tolerance.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

ABSENT: Any = object()  # no body at all (distinct from JSON null)
VARIABLE = re.compile(r"\$\{(\w+)\}")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
ACCESSOR = re.compile(r"[A-Za-z0-9]{24}(\.\w+)?")
TTL_TOLERANCE = 5  # seconds a counting-down ttl may drift between the two servers' answers
COUNTING_DOWN = {"ttl", "lease_duration"}
CLOCK = {"creation_time", "last_renewal_time"}  # unix seconds: the two servers' clocks tick apart
# Values fresh on every answer: compared by JSON type only.
VOLATILE = {"request_id", "lease_id", "client_token", "accessor", "id", "entity_id"}
ENVELOPE = ("request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth",
            "mount_type")


@dataclass(frozen=True)
class Step:
    """One request. ``token`` names the variable holding the token to send (None sends none);
    ``save`` binds variables to dotted paths of the answer (``auth.client_token``)."""

    name: str
    method: str
    path: str
    body: Any = ABSENT
    raw: bytes | None = None
    token: str | None = "root"
    headers: Mapping[str, str] = field(default_factory=dict)
    save: Mapping[str, str] = field(default_factory=dict)
    pause: float = 0.0  # seconds to wait first (once, for both servers): a TTL runs out


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # parsed JSON, or the text when the answer is not JSON, or None when empty


@dataclass(frozen=True)
class Difference:
    step: str
    where: str  # "status", "errors", "keys:data", "type:data.ttl", "value:auth.policies", ...
    tokenledger: Any
    openbao: Any

    def __str__(self) -> str:
        return f"{self.step} [{self.where}] tokenledger={self.tokenledger!r} openbao={self.openbao!r}"


class Server:
    """One side of the comparison: its address and its variable bindings."""

    def __init__(self, name: str, address: str, root_token: str) -> None:
        self.name = name
        self.address = address
        self.bindings: dict[str, str] = {"root": root_token}
        self.session = requests.Session()

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return VARIABLE.sub(lambda match: self.bindings.get(match.group(1), match.group(0)), value)
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        if isinstance(value, dict):
            return {self.fill(key): self.fill(item) for key, item in value.items()}
        return value

    def send(self, step: Step) -> Answer:
        headers = {key: self.fill(value) for key, value in step.headers.items()}
        if step.token is not None:
            headers["X-Vault-Token"] = self.bindings.get(step.token, step.token)
        data: bytes | None = step.raw
        if step.body is not ABSENT:
            data = json.dumps(self.fill(step.body)).encode()
        try:
            response = self.session.request(step.method, f"{self.address}/v1/{self.fill(step.path)}", data=data,
                                            headers=headers, timeout=15, allow_redirects=False)
        except requests.ConnectionError as error:
            self.session = requests.Session()
            return Answer(0, f"no answer: {type(error).__name__}")
        answer = Answer(response.status_code, _parsed(response))
        for variable, dotted in step.save.items():
            value = _dig(answer.body, dotted)
            if isinstance(value, str):
                self.bindings[variable] = value
        return answer

    def unfill(self, value: Any) -> Any:
        """The answer with this server's bound values written back as their variables."""
        if isinstance(value, str):
            for variable, bound in sorted(self.bindings.items(), key=lambda item: -len(item[1])):
                if bound and bound in value:
                    value = value.replace(bound, "${" + variable + "}")
            return value
        if isinstance(value, list):
            return [self.unfill(item) for item in value]
        if isinstance(value, dict):
            return {key: self.unfill(item) for key, item in value.items()}
        return value


def _parsed(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _dig(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def compare(step: str, tokenledger: Answer, openbao: Answer) -> list[Difference]:
    found: list[Difference] = []

    def differ(where: str, ours: Any, theirs: Any) -> None:
        found.append(Difference(step, where, ours, theirs))

    if tokenledger.status != openbao.status:
        differ("status", tokenledger.status, openbao.status)
    ours, theirs = tokenledger.body, openbao.body
    if not isinstance(ours, dict) or not isinstance(theirs, dict):
        if _shape(ours) != _shape(theirs):
            differ("body", ours, theirs)
        return found
    if "errors" in ours or "errors" in theirs:
        if ours.get("errors") != theirs.get("errors"):
            differ("errors", ours.get("errors"), theirs.get("errors"))
        return found
    our_keys = {key for key in ours if key in ENVELOPE}
    their_keys = {key for key in theirs if key in ENVELOPE}
    if our_keys != their_keys:
        differ("keys:envelope", sorted(our_keys - their_keys), sorted(their_keys - our_keys))
    for key in ENVELOPE:
        if key in ours and key in theirs and key not in {"request_id", "lease_id"}:
            _compare_value(key, ours[key], theirs[key], differ)
    our_extra, their_extra = set(ours) - set(ENVELOPE), set(theirs) - set(ENVELOPE)
    if our_extra != their_extra:
        differ("keys:top", sorted(our_extra - their_extra), sorted(their_extra - our_extra))
    for key in set(ours) & set(theirs) - set(ENVELOPE):
        _compare_value(key, ours[key], theirs[key], differ)
    return found


def _compare_value(where: str, ours: Any, theirs: Any, differ: Callable[[str, Any, Any], None]) -> None:
    leaf = where.rsplit(".", 1)[-1]
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if set(ours) != set(theirs):
            differ(f"keys:{where}", sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours)))
        for key in sorted(set(ours) & set(theirs)):
            _compare_value(f"{where}.{key}", ours[key], theirs[key], differ)
        return
    if _shape(ours) != _shape(theirs):
        differ(f"type:{where}", ours, theirs)
        return
    if leaf in VOLATILE and not _bound(ours) and not _bound(theirs):
        return
    if isinstance(ours, str) and TIMESTAMP.match(ours) and TIMESTAMP.match(theirs):
        return
    if leaf in COUNTING_DOWN | CLOCK and isinstance(ours, int) and isinstance(theirs, int):
        if abs(ours - theirs) > TTL_TOLERANCE:
            differ(f"value:{where}", ours, theirs)
        return
    if isinstance(ours, list) and isinstance(theirs, list) and all(isinstance(v, str) for v in ours + theirs):
        if leaf == "keys":  # a LIST: its order is the store's, and accessors nobody saved are random
            ours, theirs = _listed(ours), _listed(theirs)
        if ours != theirs:
            differ(f"value:{where}", ours, theirs)
        return
    if ours != theirs:
        differ(f"value:{where}", ours, theirs)


def _listed(keys: list[str]) -> list[str]:
    return sorted("<accessor>" if ACCESSOR.fullmatch(key) else key for key in keys)


def _bound(value: Any) -> bool:
    return isinstance(value, str) and VARIABLE.fullmatch(value) is not None


def _shape(value: Any) -> str:
    """The JSON type, with an integer and a float told apart (Vault's encoder never mixes them)."""
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "object"}.get(
        type(value), type(value).__name__)


@dataclass
class Outcome:
    steps: int = 0
    identical: int = 0
    differences: list[Difference] = field(default_factory=list)


def run(steps: Iterable[Step], tokenledger: Server, openbao: Server) -> Outcome:
    """Each step goes to OpenBao, then to tokenledger, so a ttl has aged alike on both."""
    outcome = Outcome()
    for step in steps:
        time.sleep(step.pause)
        theirs = openbao.send(step)
        ours = tokenledger.send(step)
        found = compare(step.name, Answer(ours.status, tokenledger.unfill(ours.body)),
                        Answer(theirs.status, openbao.unfill(theirs.body)))
        outcome.steps += 1
        outcome.identical += not found
        outcome.differences.extend(found)
    return outcome
