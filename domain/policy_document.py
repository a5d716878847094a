"""Vault ACL policy documents: the policy language (HCL1 or its JSON form) read into path rules.

Vault reads policies with HCL1 and then checks them in ``vault/policy.go``; this module reads
the part of HCL1 that policies use (blocks, ``key = value``, strings, numbers, booleans, lists,
objects, ``#`` ``//`` ``/* */`` comments, JSON when the text starts with ``{``) and applies the
same checks, with Vault's error strings.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

from domain.durations import DurationError, parse_duration
from domain.errors import InvalidRequest
from domain.policies import DEFAULT, NOT_ASSIGNABLE, ROOT

DENY = "deny"
GRANTABLE = frozenset(
    {"create", "read", "update", "patch", "delete", "list", "sudo", "subscribe", "recover"}
)
CAPABILITIES = GRANTABLE | {DENY}
_LEGACY_POLICIES = {
    "read": ("read", "list"),
    "write": ("create", "read", "update", "delete", "list"),
    "sudo": ("create", "read", "update", "delete", "list", "sudo"),
}
_TOP_LEVEL_KEYS = ("name", "path")
_PATH_KEYS = (
    "comment", "policy", "capabilities", "allowed_parameters", "denied_parameters",
    "required_parameters", "min_wrapping_ttl", "max_wrapping_ttl", "mfa_methods",
    "control_group", "subscribe_event_types",
)  # fmt: skip
_IMMUTABLE = frozenset({ROOT}) | NOT_ASSIGNABLE


@dataclass(frozen=True)
class PathRule:
    """One ``path`` block: the pattern (leading ``/`` removed, globs kept) and what it grants."""

    pattern: str
    capabilities: frozenset[str]

    @property
    def is_templated(self) -> bool:
        """Holds ``{{identity...}}`` directives, which need an identity entity to resolve."""
        return "{{" in self.pattern


@dataclass(frozen=True)
class PolicyDocument:
    name: str
    text: str
    rules: tuple[PathRule, ...]


def parse_policy(name: str, text: str) -> PolicyDocument:
    if text == "":
        raise InvalidRequest("'policy' parameter not supplied or empty")
    try:
        rules = tuple(_rules_in(_syntax_tree(text)))
    except _Malformed as error:
        raise InvalidRequest(f"failed to parse policy: {error}") from None
    except RecursionError:
        raise InvalidRequest("failed to parse policy: nested too deeply") from None
    return PolicyDocument(normalize_policy_name(name), text, rules)


def normalize_policy_name(name: str) -> str:
    return name.strip().lower()


def check_policy_name_writable(name: str) -> str:
    """The normalised name, or Vault's refusal to write it."""
    normalized = _named(name)
    if normalized in _IMMUTABLE:
        raise InvalidRequest(f'cannot update "{normalized}" policy')
    return normalized


def check_policy_name_deletable(name: str) -> str:
    """The normalised name, or Vault's refusal to delete it."""
    normalized = _named(name)
    if normalized in _IMMUTABLE:
        raise InvalidRequest(f'cannot delete "{normalized}" policy')
    if normalized == DEFAULT:
        raise InvalidRequest("cannot delete default policy")
    return normalized


def _named(name: str) -> str:
    normalized = normalize_policy_name(name)
    if not normalized:
        raise InvalidRequest("policy name must be provided in the URL")
    return normalized


# ---------------------------------------------------------------- syntax tree (HCL1 / JSON)


class _Malformed(Exception):
    """A policy Vault would refuse; the message follows ``failed to parse policy: ``."""


@dataclass(frozen=True)
class _Literal:
    kind: str  # STRING, NUMBER, BOOL or NULL
    text: str
    at: str


@dataclass(frozen=True)
class _List:
    elements: list[_Node]
    at: str


@dataclass(frozen=True)
class _Object:
    items: list[_Item]
    at: str

    def values(self, key: str) -> list[_Node]:
        return [item.value for item in self.items if item.keys[0] == key]


@dataclass(frozen=True)
class _Item:
    keys: list[str]
    value: _Node
    assign_line: int  # 0 for a block written without "=", as HCL reports it


_Node = Union[_Literal, _List, _Object]
_GO_TYPE = {_Literal: "*ast.LiteralType", _List: "*ast.ListType", _Object: "*ast.ObjectType"}
_TOKEN_NAMES = {"{": "LBRACE", "}": "RBRACE", "[": "LBRACK", "]": "RBRACK", "=": "ASSIGN",
                ":": "COLON", ",": "COMMA"}  # fmt: skip
_LEXEME = re.compile(
    r"""(?P<SPACE>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
      | (?P<STRING>"(?:[^"\\\n]|\\.)*")
      | (?P<NUMBER>-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))
      | (?P<IDENT>[^\W\d][\w.\-]*)
      | (?P<PUNCT>[{}\[\]=:,])""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/",
                   "a": "\a", "b": "\b", "f": "\f", "v": "\v"}  # fmt: skip


@dataclass(frozen=True)
class _Token:
    kind: str  # STRING, NUMBER, BOOL, IDENT, EOF, or the punctuation character itself
    text: str
    at: str
    line: int

    def describe(self) -> str:
        return _TOKEN_NAMES.get(self.kind, self.kind)


def _tokens(text: str) -> list[_Token]:
    line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
    tokens: list[_Token] = []
    offset = 0
    while True:
        line = bisect_right(line_starts, offset)
        at = f"{line}:{offset - line_starts[line - 1] + 1}"
        if offset == len(text):
            return [*tokens, _Token("EOF", "", at, line)]
        lexeme = _LEXEME.match(text, offset)
        if lexeme is None:
            raise _Malformed(f"At {at}: {_scan_failure(text[offset:])}")
        kind, raw = lexeme.lastgroup or "", lexeme.group()
        offset = lexeme.end()
        if kind == "STRING":
            tokens.append(_Token(kind, _unquote(raw, at), at, line))
        elif kind == "IDENT" and raw in ("true", "false"):
            tokens.append(_Token("BOOL", raw, at, line))
        elif kind != "SPACE":
            tokens.append(_Token(raw if kind == "PUNCT" else kind, raw, at, line))


def _scan_failure(rest: str) -> str:
    if rest.startswith('"'):
        return "literal not terminated"
    if rest.startswith("/*"):
        return "comment not terminated"
    return f"illegal char {_quoted(rest[0])}"


def _unquote(raw: str, at: str) -> str:
    def replace(escape: re.Match[str]) -> str:
        code = escape.group(1)
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        if len(code) > 1 and int(code[1:], 16) <= 0x10FFFF:
            return chr(int(code[1:], 16))
        raise _Malformed(f"At {at}: illegal char escape")

    return _ESCAPE.sub(replace, raw[1:-1])


class _Reader:
    """Recursive descent over the tokens, in HCL1 or in JSON mode."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokens(text)
        self._position = 0

    def hcl_document(self) -> _Object:
        return self._hcl_items(closing="EOF", at="1:1")

    def json_document(self) -> _Object:
        document = self._json_value()
        self._expect("EOF")
        if not isinstance(document, _Object):
            raise _Malformed("does not contain a root object")
        return _flattened_object(document)

    def _peek(self) -> _Token:
        return self._tokens[self._position]

    def _take(self) -> _Token:
        token = self._tokens[self._position]
        self._position = min(self._position + 1, len(self._tokens) - 1)
        return token

    def _expect(self, kind: str) -> _Token:
        token = self._take()
        if token.kind != kind:
            raise _Malformed(f"At {token.at}: expected: {_TOKEN_NAMES.get(kind, kind)} "
                             f"got: {token.describe()}")  # fmt: skip
        return token

    def _hcl_items(self, closing: str, at: str) -> _Object:
        items = []
        while self._peek().kind != closing:
            items.append(self._hcl_item())
            if closing == "}" and self._peek().kind == ",":
                self._take()
        self._take()
        return _Object(items, at)

    def _hcl_item(self) -> _Item:
        keys = []
        while self._peek().kind in ("IDENT", "STRING"):
            keys.append(self._take().text)
        token = self._peek()
        if keys and token.kind == "{":
            return _Item(keys, self._hcl_value(), 0)
        if len(keys) == 1 and token.kind == "=":
            self._take()
            return _Item(keys, self._hcl_value(), token.line)
        if keys and token.kind == "=":
            raise _Malformed(f"At {token.at}: nested object expected: LBRACE got: ASSIGN")
        expected = "ASSIGN | LBRACE" if keys else "IDENT | STRING"
        raise _Malformed(f"At {token.at}: expected: {expected} got: {token.describe()}")

    def _hcl_value(self) -> _Node:
        token = self._take()
        if token.kind in ("STRING", "NUMBER", "BOOL"):
            return _Literal(token.kind, token.text, token.at)
        if token.kind == "{":
            return self._hcl_items(closing="}", at=token.at)
        if token.kind == "[":
            return self._list(token, self._hcl_value)
        raise _Malformed(f"At {token.at}: Unknown token: {token.describe()} {token.text}")

    def _json_value(self) -> _Node:
        token = self._take()
        if token.kind in ("STRING", "NUMBER", "BOOL"):
            return _Literal(token.kind, token.text, token.at)
        if token.kind == "IDENT" and token.text == "null":
            return _Literal("NULL", token.text, token.at)
        if token.kind == "[":
            return self._list(token, self._json_value)
        if token.kind != "{":
            raise _Malformed(f"At {token.at}: unexpected token: {token.describe()}")
        items = []
        while self._peek().kind != "}":
            key = self._expect("STRING")
            colon = self._expect(":")
            items.append(_Item([key.text], self._json_value(), colon.line))
            if self._peek().kind != ",":
                break
            self._take()
        self._expect("}")
        return _Object(items, token.at)

    def _list(self, opening: _Token, element: Callable[[], _Node]) -> _List:
        elements = []
        while self._peek().kind != "]":
            elements.append(element())
            if self._peek().kind != ",":
                break
            self._take()
        self._expect("]")
        return _List(elements, opening.at)


def _flattened(node: _Node) -> _Node:
    """HCL's JSON reading: an object whose members are all objects becomes labelled blocks."""
    if isinstance(node, _List):
        return _List([_flattened(element) for element in node.elements], node.at)
    if isinstance(node, _Object):
        return _flattened_object(node)
    return node


def _flattened_object(node: _Object) -> _Object:
    return _Object([flat for item in node.items for flat in _expanded(item)], node.at)


def _expanded(item: _Item) -> list[_Item]:
    value = item.value
    if isinstance(value, _Object) and value.items and all(
        isinstance(member.value, _Object) for member in value.items
    ):
        nested = [_Item(item.keys + member.keys, member.value, item.assign_line)
                  for member in value.items]  # fmt: skip
    elif isinstance(value, _List) and value.elements and all(
        isinstance(element, _Object) for element in value.elements
    ):
        nested = [_Item(item.keys, element, item.assign_line) for element in value.elements]
    else:
        return [_Item(item.keys, _flattened(value), item.assign_line)]
    return [flat for child in nested for flat in _expanded(child)]


def _syntax_tree(text: str) -> _Object:
    reader = _Reader(text)
    return reader.json_document() if text.lstrip().startswith("{") else reader.hcl_document()


# ---------------------------------------------------------------- policy checks (vault/policy.go)


def _rules_in(document: _Object) -> list[PathRule]:
    _check_keys(document, _TOP_LEVEL_KEYS, prefix="")
    for name in document.values("name"):
        _string(name, "root.name")
    return [_path_rule(item) for item in document.items if item.keys[0] == "path"]


def _path_rule(item: _Item) -> PathRule:
    label = item.keys[1] if len(item.keys) > 1 else "path"
    _check_templating(label)
    prefix = f"path {_quoted(label)}: "
    block = _check_keys(item.value, _PATH_KEYS, prefix)
    try:
        legacy, capabilities = _decode_block(block)
    except _Malformed as error:
        raise _Malformed(f"{prefix}{error}") from None
    pattern = label.removeprefix("/")
    if "+*" in pattern:
        raise _Malformed(f"path {_quoted(pattern)}: invalid use of wildcards ('+*' is forbidden)")
    if legacy == DENY:
        capabilities = [DENY]
    elif legacy:
        if legacy not in _LEGACY_POLICIES:
            raise _Malformed(f"{prefix}invalid policy {_quoted(legacy)}")
        capabilities += _LEGACY_POLICIES[legacy]
    for capability in capabilities:
        if capability == DENY:
            return PathRule(pattern, frozenset({DENY}))
        if capability not in GRANTABLE:
            raise _Malformed(f"{prefix}invalid capability {_quoted(capability)}")
    _check_block_settings(block)
    return PathRule(pattern, frozenset(capabilities))


def _check_keys(node: _Node, valid: tuple[str, ...], prefix: str) -> _Object:
    if not isinstance(node, _Object):
        raise _Malformed(f"{prefix}cannot check HCL keys of type {_GO_TYPE[type(node)]}")
    invalid = [
        f"{prefix}invalid key {_quoted(item.keys[0])} on line {item.assign_line}"
        for item in node.items
        if item.keys[0] not in valid
    ]
    if invalid:
        raise _Malformed(_error_list(invalid))
    return node


def _decode_block(block: _Object) -> tuple[str, list[str]]:
    """Type-checks every known key as Vault's HCL decoding does; returns (policy, capabilities)."""
    legacy = ""
    for value in block.values("policy"):
        legacy = _string(value, "root.Policy")
    capabilities = [
        capability
        for value in block.values("capabilities")
        for capability in _strings(value, "root.Capabilities")
    ]
    for key in ("allowed_parameters", "denied_parameters"):
        for value in block.values(key):
            _check_parameter_map(value, f"root.{key}")
    for key in ("required_parameters", "mfa_methods", "subscribe_event_types"):
        for value in block.values(key):
            _strings(value, f"root.{key}")
    for value in block.values("control_group"):
        if not isinstance(value, _Object):
            raise _Malformed(f"At {value.at}: root.control_group: not an object type for struct "
                             f"({_GO_TYPE[type(value)]})")  # fmt: skip
    return legacy, capabilities


def _check_block_settings(block: _Object) -> None:
    """What Vault checks only for rules that are not ``deny``."""
    minimum = _duration(block.values("min_wrapping_ttl"), "error parsing min_wrapping_ttl")
    maximum = _duration(block.values("max_wrapping_ttl"), "error parsing max_wrapping_ttl")
    for group in block.values("control_group"):
        assert isinstance(group, _Object)
        _duration(group.values("ttl"), "error parsing control group max ttl")
        if not group.values("factor"):
            raise _Malformed("no control group factors provided")
    if minimum and maximum and maximum < minimum:
        raise _Malformed("max_wrapping_ttl cannot be less than min_wrapping_ttl")


def _check_templating(label: str) -> None:
    head, *directives = label.split("{{")
    if "}}" in head or any(directive.count("}}") != 1 for directive in directives):
        raise _Malformed("failed to validate policy templating: unbalanced templating characters")


def _string(node: _Node, field: str) -> str:
    if isinstance(node, _Literal) and node.kind != "NULL":
        return node.text
    raise _Malformed(f"At {node.at}: {field}: unknown type for string {_GO_TYPE[type(node)]}")


def _strings(node: _Node, field: str) -> list[str]:
    if isinstance(node, _Literal):
        raise _Malformed(f"At {node.at}: unknown slice type: {_GO_TYPE[_Literal]}")
    elements = node.elements if isinstance(node, _List) else [node]
    return [_string(element, f"{field}[{index}]") for index, element in enumerate(elements)]


def _check_parameter_map(node: _Node, field: str) -> None:
    if not isinstance(node, _Object):
        raise _Malformed(f"At {node.at}: {field}: not an object type for map "
                         f"({_GO_TYPE[type(node)]})")  # fmt: skip
    for item in node.items:
        if isinstance(item.value, _Literal):
            raise _Malformed(f"At {item.value.at}: unknown slice type: {_GO_TYPE[_Literal]}")


def _duration(nodes: list[_Node], context: str) -> int:
    seconds = 0
    for node in nodes:
        try:
            seconds = parse_duration(_duration_input(node))
        except DurationError as error:
            raise _Malformed(f"{context}: {error}") from None
    return seconds


def _duration_input(node: _Node) -> object:
    if isinstance(node, _Literal) and node.kind == "STRING":
        return node.text
    if isinstance(node, _Literal) and node.kind == "NUMBER":
        try:
            return int(node.text, 0)
        except ValueError:
            return float(node.text)
    raise DurationError("could not parse duration from input")


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _error_list(messages: list[str]) -> str:
    """go-multierror's rendering, which Vault passes through to the client."""
    if len(messages) == 1:
        return f"1 error occurred:\n\t* {messages[0]}\n\n"
    bullets = "\n\t".join(f"* {message}" for message in messages)
    return f"{len(messages)} errors occurred:\n\t{bullets}\n\n"


DEFAULT_POLICY_TEXT = """\
# Built-in "default" policy: what every non-root token may do about itself.

# Read, renew and revoke the calling token; ask what it may do on a path.
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self"  { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self"  { capabilities = ["update"] }

# Read the identity entity behind the token (resolves only for tokens that have one).
path "identity/entity/id/{{identity.entity.id}}"     { capabilities = ["read"] }
path "identity/entity/name/{{identity.entity.name}}" { capabilities = ["read"] }

# The merged ACL of the calling token, as UIs show it.
path "sys/internal/ui/resultant-acl" { capabilities = ["read"] }

# Renew or look up a lease whose id the caller already knows.
path "sys/renew"         { capabilities = ["update"] }
path "sys/leases/renew"  { capabilities = ["update"] }
path "sys/leases/lookup" { capabilities = ["update"] }

# The token's private cubbyhole.
path "cubbyhole/*" { capabilities = ["create", "read", "update", "delete", "list"] }

# Response wrapping: wrap a value, inspect a wrapping token, unwrap it.
path "sys/wrapping/wrap"   { capabilities = ["update"] }
path "sys/wrapping/lookup" { capabilities = ["update"] }
path "sys/wrapping/unwrap" { capabilities = ["update"] }

# Stateless helpers.
path "sys/tools/hash"     { capabilities = ["update"] }
path "sys/tools/hash/*"   { capabilities = ["update"] }
path "sys/tools/random"   { capabilities = ["update"] }
path "sys/tools/random/*" { capabilities = ["update"] }

# Control group requests the caller holds the accessor of; OIDC provider authorization.
path "sys/control-group/request"          { capabilities = ["update"] }
path "identity/oidc/provider/+/authorize" { capabilities = ["read", "update"] }
"""
