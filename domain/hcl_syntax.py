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
    raw: str = ""  # as written (a string with its quotes), as HCL's messages quote it

    def describe(self) -> str:
        if self.kind == "NUMBER" and not self.raw.lower().startswith(("0x", "-0x")) and set(self.raw) & set(".eE"):
            return "FLOAT"
        return _TOKEN_NAMES.get(self.kind, self.kind)


def _tokens(text: str) -> list[_Token]:
    line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
    tokens: list[_Token] = []
    offset = 0
    while True:
        line = bisect_right(line_starts, offset)
        at = f"{line}:{offset - line_starts[line - 1] + 1}"
        if offset == len(text):  # HCL's scanner has stepped one column past the last character
            return [*tokens, _Token("EOF", "", f"{line}:{offset - line_starts[line - 1] + 2}", line)]
        lexeme = _LEXEME.match(text, offset)
        if lexeme is None:
            raise _scan_failure(text, offset, line_starts)
        kind, raw = lexeme.lastgroup or "", lexeme.group()
        offset = lexeme.end()
        if kind == "STRING":
            tokens.append(_Token(kind, _unquote(raw, _position(offset - len(raw), line_starts)), at, line, raw))
        elif kind == "IDENT" and raw in ("true", "false"):
            tokens.append(_Token("BOOL", raw, at, line, raw))
        elif kind != "SPACE":
            tokens.append(_Token(raw if kind == "PUNCT" else kind, raw, at, line, raw))


def _position(offset: int, line_starts: list[int]) -> str:
    line = bisect_right(line_starts, offset)
    return f"{line}:{offset - line_starts[line - 1] + 1}"


def _scan_failure(text: str, offset: int, line_starts: list[int]) -> Malformed:
    """Where HCL's scanner stops: the end of an unterminated literal, or the odd character."""
    rest = text[offset:]
    if rest.startswith('"'):
        end = rest.find("\n")
        return Malformed(f"At {_position(offset + (len(rest) if end < 0 else end), line_starts)}: "
                         "literal not terminated")  # fmt: skip
    if rest.startswith("/*"):
        return Malformed(f"At {_position(len(text), line_starts)}: comment not terminated")
    return Malformed(f"At {_position(offset, line_starts)}: illegal char")


def _unquote(raw: str, start: str) -> str:
    line, column = (int(part) for part in start.split(":"))

    def replace(escape: re.Match[str]) -> str:
        code = escape.group(1)
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        if len(code) > 1 and int(code[1:], 16) <= 0x10FFFF:
            return chr(int(code[1:], 16))
        raise Malformed(f"At {line}:{column + escape.start() + 2}: illegal char escape")

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
        """HCL's object list: items until ``closing`` (``}``) or the end of the text."""
        items = []
        while not (closing == "}" and self._peek().kind == "}"):
            item = self._hcl_item()
            if item is None:
                break
            items.append(item)
            if self._peek().kind == ",":
                self._take()
        end = self._take()
        if end.kind != closing:
            raise Malformed(f"At {end.at}: object expected closing RBRACE got: {end.describe()}")
        return Object(items, at)

    def _hcl_item(self) -> Item | None:
        """One ``keys = value`` or ``keys { ... }``; None where the text ends before a key, or
        right after ``=`` (HCL ends the list there too)."""
        keys: list[_Token] = []
        while True:
            token = self._peek()
            if token.kind in ("IDENT", "STRING"):
                keys.append(self._take())
                continue
            if token.kind == "EOF" and not keys:
                return None
            if token.kind in ("EOF", "}") and keys:
                raise Malformed(f"At {token.at}: key '{' '.join(key.raw for key in keys)}' "
                                "expected start of object ('{') or assignment ('=')")  # fmt: skip
            if token.kind == "=":
                return self._assignment(keys, self._take())
            if token.kind == "{" and keys:
                return Item([key.text for key in keys], self._hcl_value(), 0)
            expected = "IDENT | STRING" if token.kind == "{" else "IDENT | STRING | ASSIGN | LBRACE"
            raise Malformed(f"At {token.at}: expected: {expected} got: {token.describe()}")

    def _assignment(self, keys: list[_Token], assign: _Token) -> Item | None:
        if len(keys) > 1:
            raise Malformed(f"At {assign.at}: nested object expected: LBRACE got: ASSIGN")
        if not keys:
            raise Malformed(f"At {assign.at}: no object keys found!")
        if self._peek().kind == "EOF":
            return None
        return Item([keys[0].text], self._hcl_value(), assign.line)

    def _hcl_value(self) -> Node:
        token = self._take()
        if token.kind in ("STRING", "NUMBER", "BOOL"):
            return Literal(token.kind, token.text, token.at)
        if token.kind == "{":
            return self._hcl_items(closing="}", at=token.at)
        if token.kind == "[":
            return self._hcl_list(token)
        raise Malformed(f"At {token.at}: Unknown token: {token.at} {token.describe()} {token.raw}")

    def _hcl_list(self, opening: _Token) -> List:
        """HCL's list: commas between elements, any number of stray commas, objects inside."""
        elements: list[Node] = []
        need_comma = False
        while True:
            token = self._peek()
            if need_comma and token.kind not in (",", "]"):
                raise Malformed(f"At {token.at}: error parsing list, expected comma or list end, "
                                f"got: {token.describe()}")  # fmt: skip
            if token.kind in ("STRING", "NUMBER", "BOOL", "{", "["):
                elements.append(self._hcl_value())
                need_comma = token.kind != "["
            elif token.kind == ",":
                self._take()
                need_comma = False
            elif token.kind == "]":
                self._take()
                return List(elements, opening.at)
            else:
                raise Malformed(f"At {token.at}: unexpected token while parsing list: {token.describe()}")

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
