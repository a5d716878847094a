"""The part of HCL1 that Vault policies use, and its JSON form, read into a syntax tree.

Blocks, ``key = value``, strings, numbers, booleans, lists, objects, ``#`` ``//`` ``/* */``
comments; JSON when the text starts with ``{``. Errors read like HCL's own (``At 1:35: ...``).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass


class Malformed(Exception):
    """A policy Vault would refuse; the message follows ``failed to parse policy: ``."""


@dataclass(frozen=True)
class Literal:
    kind: str  # STRING, NUMBER, BOOL or NULL
    text: str
    at: str


@dataclass(frozen=True)
class List:
    elements: list[Node]
    at: str


@dataclass(frozen=True)
class Object:
    items: list[Item]
    at: str

    def values(self, key: str) -> list[Node]:
        return [item.value for item in self.items if item.keys[0] == key]


@dataclass(frozen=True)
class Item:
    keys: list[str]
    value: Node
    assign_line: int  # 0 for a block written without "=", as HCL reports it


Node = Literal | List | Object
GO_TYPE = {Literal: "*ast.LiteralType", List: "*ast.ListType", Object: "*ast.ObjectType"}
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
            raise Malformed(f"At {at}: {_scan_failure(text[offset:])}")
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
    return f"illegal char {quoted(rest[0])}"


def _unquote(raw: str, at: str) -> str:
    def replace(escape: re.Match[str]) -> str:
        code = escape.group(1)
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        if len(code) > 1 and int(code[1:], 16) <= 0x10FFFF:
            return chr(int(code[1:], 16))
        raise Malformed(f"At {at}: illegal char escape")

    return _ESCAPE.sub(replace, raw[1:-1])


class _Reader:
    """Recursive descent over the tokens, in HCL1 or in JSON mode."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokens(text)
        self._position = 0

    def hcl_document(self) -> Object:
        return self._hcl_items(closing="EOF", at="1:1")

    def json_document(self) -> Object:
        document = self._json_value()
        self._expect("EOF")
        if not isinstance(document, Object):
            raise Malformed("does not contain a root object")
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
            raise Malformed(f"At {token.at}: expected: {_TOKEN_NAMES.get(kind, kind)} "
                             f"got: {token.describe()}")  # fmt: skip
        return token

    def _hcl_items(self, closing: str, at: str) -> Object:
        items = []
        while self._peek().kind != closing:
            items.append(self._hcl_item())
            if closing == "}" and self._peek().kind == ",":
                self._take()
        self._take()
        return Object(items, at)

    def _hcl_item(self) -> Item:
        keys = []
        while self._peek().kind in ("IDENT", "STRING"):
            keys.append(self._take().text)
        token = self._peek()
        if keys and token.kind == "{":
            return Item(keys, self._hcl_value(), 0)
        if len(keys) == 1 and token.kind == "=":
            self._take()
            return Item(keys, self._hcl_value(), token.line)
        if keys and token.kind == "=":
            raise Malformed(f"At {token.at}: nested object expected: LBRACE got: ASSIGN")
        expected = "ASSIGN | LBRACE" if keys else "IDENT | STRING"
        raise Malformed(f"At {token.at}: expected: {expected} got: {token.describe()}")

    def _hcl_value(self) -> Node:
        token = self._take()
        if token.kind in ("STRING", "NUMBER", "BOOL"):
            return Literal(token.kind, token.text, token.at)
        if token.kind == "{":
            return self._hcl_items(closing="}", at=token.at)
        if token.kind == "[":
            return self._list(token, self._hcl_value)
        raise Malformed(f"At {token.at}: Unknown token: {token.describe()} {token.text}")

    def _json_value(self) -> Node:
        token = self._take()
        if token.kind in ("STRING", "NUMBER", "BOOL"):
            return Literal(token.kind, token.text, token.at)
        if token.kind == "IDENT" and token.text == "null":
            return Literal("NULL", token.text, token.at)
        if token.kind == "[":
            return self._list(token, self._json_value)
        if token.kind != "{":
            raise Malformed(f"At {token.at}: unexpected token: {token.describe()}")
        items = []
        while self._peek().kind != "}":
            key = self._expect("STRING")
            colon = self._expect(":")
            items.append(Item([key.text], self._json_value(), colon.line))
            if self._peek().kind != ",":
                break
            self._take()
        self._expect("}")
        return Object(items, token.at)

    def _list(self, opening: _Token, element: Callable[[], Node]) -> List:
        elements = []
        while self._peek().kind != "]":
            elements.append(element())
            if self._peek().kind != ",":
                break
            self._take()
        self._expect("]")
        return List(elements, opening.at)


def _flattened(node: Node) -> Node:
    """HCL's JSON reading: an object whose members are all objects becomes labelled blocks."""
    if isinstance(node, List):
        return List([_flattened(element) for element in node.elements], node.at)
    if isinstance(node, Object):
        return _flattened_object(node)
    return node


def _flattened_object(node: Object) -> Object:
    return Object([flat for item in node.items for flat in _expanded(item)], node.at)


def _expanded(item: Item) -> list[Item]:
    value = item.value
    if isinstance(value, Object) and value.items and all(
        isinstance(member.value, Object) for member in value.items
    ):
        nested = [Item(item.keys + member.keys, member.value, item.assign_line)
                  for member in value.items]  # fmt: skip
    elif isinstance(value, List) and value.elements and all(
        isinstance(element, Object) for element in value.elements
    ):
        nested = [Item(item.keys, element, item.assign_line) for element in value.elements]
    else:
        return [Item(item.keys, _flattened(value), item.assign_line)]
    return [flat for child in nested for flat in _expanded(child)]


def syntax_tree(text: str) -> Object:
    reader = _Reader(text)
    return reader.json_document() if text.lstrip().startswith("{") else reader.hcl_document()


def quoted(text: str) -> str:
    """Go's %q of a string, as Vault's messages show names and patterns."""
    return json.dumps(text, ensure_ascii=False)
