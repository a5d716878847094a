"""Field types and the base schema for Vault request bodies."""

from __future__ import annotations

import re
from contextvars import ContextVar
from fractions import Fraction
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from tokenledger.domain.durations import MAX_SECONDS, DurationError, parse_duration
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.hcl_syntax import quoted

DIALECT: ContextVar[bool] = ContextVar("tokenledger_dialect", default=False)
"""Whether the body being loaded is in the other product's dialect (``?site=`` or kebab-case
fields), where durations also take years and days (set by ``request_input.load``)."""


class BareMessage(str):
    """A field's error that Vault answers as it is, not as the framework's conversion error: those
    its handler finds, after reading the field as a string (``ttl`` on create)."""

    __slots__ = ()


def _go_type(value: Any) -> str:
    return "map[string]interface {}" if isinstance(value, dict) else "[]interface {}"


def _unconvertible(value: Any, go_type: str) -> ValidationError:
    return ValidationError(f"'' expected type '{go_type}', got unconvertible type '{_go_type(value)}'")


def vault_text(value: Any) -> str:
    """A parameter read as a string, as Vault's framework reads one (``mapstructure``'s weak
    decoding): a number as it was written, a boolean as ``1`` or ``0``; a list or object is refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, JsonNumber):
        return value.literal
    if isinstance(value, (int, float)):
        return str(value)
    raise _unconvertible(value, "string")


class JsonNumber(float):
    """A JSON number with a fraction or exponent, keeping the text it was written as: Vault
    decodes numbers as ``json.Number`` (their text), so ``1e3`` is no duration while ``1000`` is."""

    literal: str

    def __new__(cls, literal: str) -> JsonNumber:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


class VaultString(fields.String):
    """A string, or a number or boolean read as one (``vault_text``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return vault_text(value)


_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False", ""})


class VaultBoolean(fields.Boolean):
    """A boolean, or text (a number too) that Go's ``strconv.ParseBool`` reads; ``""`` is false."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (dict, list)):
            raise _unconvertible(value, "bool")
        text = vault_text(value)
        if text in _GO_TRUE or text in _GO_FALSE:
            return text in _GO_TRUE
        raise ValidationError("'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax")


class Duration(fields.Field):  # type: ignore[type-arg]
    """Vault's ``TypeDurationSecond``: whole seconds as a number or string, ``<n>d``, or Go's
    units such as ``1h30m``; never negative. In the other product's dialect, years, days and
    fractions of any unit too (``parse_duration``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if DIALECT.get():
            return _dialect_seconds(value)
        if isinstance(value, (bool, dict, list)):
            raise ValidationError("could not parse duration from input")
        seconds = _vault_seconds(vault_text(value))
        if seconds < 0:
            raise ValidationError(f"cannot provide negative value '{seconds}'")
        return seconds


class DurationText(fields.Field):  # type: ignore[type-arg]
    """A duration that Vault's handler reads from a string field (create's ``ttl``, ``period``,
    ``explicit_max_ttl``, ``lease``): converted as a string first, then parsed, its errors
    answered bare. Negative values are returned for the rules to refuse in Vault's words."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if DIALECT.get():
            return _dialect_seconds(value)
        text = vault_text(value)
        try:
            return _vault_seconds(text)
        except ValidationError as error:
            raise ValidationError(BareMessage(error.messages[0])) from None


def _dialect_seconds(value: Any) -> int:
    try:
        return parse_duration(value.literal if isinstance(value, JsonNumber) else value)
    except DurationError as error:
        raise ValidationError(str(error)) from None


_GO_INT64 = re.compile(r"[+-]?[0-9]+")


def _vault_seconds(text: str) -> int:
    """``parseutil.ParseDurationSecond`` of a string, within this server's century."""
    if text == "":
        return 0
    if _GO_INT64.fullmatch(text) and len(text) <= 20:
        seconds = int(text)
    elif text.endswith("d"):
        if not _GO_INT64.fullmatch(text[:-1]) or len(text) > 20:
            raise ValidationError(f'strconv.ParseInt: parsing "{go_quote(text[:-1])}": invalid syntax')
        seconds = int(text[:-1]) * 86400
    else:
        try:
            seconds = go_parse_duration(text)
        except DurationError as error:
            raise ValidationError(str(error)) from None
    if abs(seconds) > MAX_SECONDS:
        raise ValidationError(f"duration {text[:64]!r} is too long: at most 100 years")
    return seconds


def go_quote(text: str) -> str:
    """The inside of Go's ``strconv.Quote``, near enough for an error message."""
    return quoted(text)[1:-1]


_GO_UNITS: dict[str, Fraction] = {
    "ns": Fraction(1, 10**9), "us": Fraction(1, 10**6), "\u00b5s": Fraction(1, 10**6),
    "\u03bcs": Fraction(1, 10**6), "ms": Fraction(1, 1000), "s": Fraction(1), "m": Fraction(60),
    "h": Fraction(3600),
}
_GO_DIGITS = re.compile(r"[0-9]*")
_WHOLE_UNITS = re.compile(r"(?:[0-9]{1,12}[hms])+")  # "1h", "90m", "2h30m": no Fraction needed
_WHOLE_UNIT = re.compile(r"([0-9]+)([hms])")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}
_MAX_GO_SECONDS = (2**63 - 1) / 10**9


def go_parse_duration(original: str) -> int:
    """Whole seconds of Go's ``time.ParseDuration`` (truncated), with its error messages."""
    invalid = DurationError(f'time: invalid duration "{go_quote(original)}"')
    text, sign = original, 1
    if text[:1] in ("-", "+"):
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    if text == "0":
        return 0
    if text == "":
        raise invalid
    if _WHOLE_UNITS.fullmatch(text):
        seconds = sum(int(digits) * _UNIT_SECONDS[unit] for digits, unit in _WHOLE_UNIT.findall(text))
        if seconds > _MAX_GO_SECONDS:
            raise invalid
        return sign * seconds
    total = Fraction(0)
    while text:
        if not (text[0] == "." or text[0].isascii() and text[0].isdigit()):
            raise invalid
        whole = _GO_DIGITS.match(text)
        assert whole is not None
        digits, text = whole.group(), text[whole.end():]
        fraction = ""
        if text[:1] == ".":
            after = _GO_DIGITS.match(text, 1)
            assert after is not None
            fraction, text = after.group(), text[after.end():]
        if not digits and not fraction or len(digits) > 19:
            raise invalid
        fraction = fraction[:19]  # Go stops reading a fraction's digits where they no longer count
        unit_end = 0
        while unit_end < len(text) and not (text[unit_end] == "." or text[unit_end] in "0123456789"):
            unit_end += 1
        if unit_end == 0:
            raise DurationError(f'time: missing unit in duration "{go_quote(original)}"')
        unit, text = text[:unit_end], text[unit_end:]
        if unit not in _GO_UNITS:
            raise DurationError(f'time: unknown unit "{go_quote(unit)}" in duration "{go_quote(original)}"')
        total += Fraction(int(digits or "0")) * _GO_UNITS[unit]
        if fraction:
            total += Fraction(int(fraction), 10 ** len(fraction)) * _GO_UNITS[unit]
        if total > _MAX_GO_SECONDS:
            raise invalid
    return sign * int(total)


MAX_WHOLE_NUMBER = 2**31 - 1  # a use count, as Vault's int; also what every store's column holds
_DIGITS = re.compile(r"[0-9]{1,19}")
_GO_INT_LITERAL = re.compile(r"[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)")


class WholeNumber(fields.Field):  # type: ignore[type-arg]
    """Vault's ``TypeInt``: a JSON integer, a boolean (1 or 0), or text Go's ``strconv.ParseInt``
    reads in base 0 (``10``, ``0x10``, ``""`` is 0); fractions are refused, and anything past
    2**31 - 1 either way."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, (dict, list)):
            raise _unconvertible(value, "int")
        number = int(value) if isinstance(value, int) else _go_parse_int(vault_text(value))
        if abs(number) > MAX_WHOLE_NUMBER:
            raise ValidationError(f"{number} is out of range: at most {MAX_WHOLE_NUMBER}")
        return number


def _go_parse_int(text: str) -> int:
    if text == "":
        return 0
    if _GO_INT_LITERAL.fullmatch(text):
        body = text.lstrip("+-")
        octal = len(body) > 1 and body[0] == "0" and body[1] in "01234567_"
        try:
            number = int(("0o" + body[1:]) if octal else body, 0)
        except ValueError:
            pass
        else:
            return -number if text.startswith("-") else number
    raise ValidationError("'' cannot parse value as 'int': strconv.ParseInt: invalid syntax")


def count_parameter(text: str, name: str, maximum: int) -> int:
    """A non-negative whole number from a query string or header (ASCII digits), at most
    ``maximum``: larger values are taken as ``maximum``."""
    cleaned = text.strip()
    if not _DIGITS.fullmatch(cleaned):
        raise InvalidRequest(f"{name} must be a whole number")
    return min(int(cleaned), maximum)


class NameList(fields.Field):  # type: ignore[type-arg]
    """A JSON array of strings, or one comma-delimited string (this server's own fields, such as
    create's ``bound_cidrs``, and the other product's dialect)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        return _name_list(value)


def _name_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValidationError("must be a list of strings or a comma-delimited string")


def go_value(value: Any) -> str:
    """A decoded JSON value as Go's ``%v`` prints it (``map[a:1]``, ``[a b]``, ``<nil>``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, JsonNumber):
        return value.literal
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_value(item)}" for key, item in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(item) for item in value) + "]"
    return str(value)


def _weak_strings(value: Any, describe: Any) -> list[str]:
    """``mapstructure``'s weak decoding into ``[]string``: a list element by element (a number as
    written, a boolean as ``1`` or ``0``, ``null`` as ``""``), an empty object as no elements, and
    any other value lifted into a list of one. An element that is a list or object is refused,
    in the words ``describe(index, element)`` gives."""
    if isinstance(value, dict) and not value:
        return []
    items = value if isinstance(value, list) else [value]
    result: list[str] = []
    for index, item in enumerate(items):
        if item is None:
            result.append("")
        elif isinstance(item, (dict, list)):
            raise ValidationError(describe(index, item))
        else:
            result.append(vault_text(item))
    return result


def _decoding_error(index: int, item: Any) -> str:
    """The older ``mapstructure``'s words (``parseutil.ParseCommaStringSlice``'s)."""
    return (f"1 error(s) decoding:\n\n* '[{index}]' expected type 'string', got unconvertible type "
            f"'{_go_type(item)}', value: '{go_value(item)}'")


def _decoding_failed(index: int, item: Any) -> str:
    """The newer ``mapstructure``'s words (the framework's own slices and key pairs)."""
    return (f"decoding failed due to the following error(s):\n\n'[{index}]' expected type 'string', "
            f"got unconvertible type '{_go_type(item)}'")


class CommaStringList(fields.Field):  # type: ignore[type-arg]
    """Vault's ``TypeCommaStringSlice`` (roles' ``allowed_policies``, capabilities' ``paths``): a
    string split at its commas, each part trimmed and empty ones dropped; a number or boolean as
    one string (``1.5``, ``1``); a list element by element (``_weak_strings``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        if DIALECT.get():
            return _name_list(value)
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return tuple(item.strip() for item in _weak_strings(value, _decoding_error) if item.strip())


class StringList(fields.Field):  # type: ignore[type-arg]
    """Vault's ``TypeStringSlice``, as create reads its ``policies``: a string is ONE name (commas
    and all; ``""`` is none), a number or boolean one name as written (``1.5``, ``1``), a list
    element by element, each trimmed. In the other product's dialect, a comma-delimited string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        if DIALECT.get():
            return _name_list(value)
        if value == "":
            return ()
        return tuple(item.strip() for item in _weak_strings(value, _decoding_failed))


class KeyValuePairs(fields.Field):  # type: ignore[type-arg]
    """Vault's ``TypeKVPairs`` (create's ``meta``): an object whose values are read as strings (a
    number as written, a boolean as ``1`` or ``0``, ``null`` as ``""``), else a list of ``key=value``
    strings (one string is a list of one), each split at its first ``=``. In the other product's
    dialect, an object of strings only."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, str]:
        if DIALECT.get():
            return _DIALECT_MAP.deserialize(value)  # type: ignore[no-any-return]
        if isinstance(value, dict) and all(not isinstance(item, (dict, list)) for item in value.values()):
            return {key: "" if item is None else vault_text(item) for key, item in value.items()}
        result: dict[str, str] = {}
        for index, pair in enumerate(_weak_strings(value, _decoding_failed)):
            key, equals, text = pair.partition("=")
            if not equals or not key:
                raise ValidationError(f'invalid key pair at index {index} in field "{attr}"')
            result[key] = text
        return result


class StringMap(fields.Dict):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)


_DIALECT_MAP = StringMap()


class RequestSchema(Schema):
    """``aliases`` maps another spelling of a parameter to the field it stands for.

    ``existence_checked``: Vault validates the fields of a path with an existence check (a role
    write) in that check, and answers a conversion error as it is, without the framework's
    ``Field validation failed: `` prefix."""

    aliases: ClassVar[dict[str, str]] = {}
    existence_checked: ClassVar[bool] = False

    class Meta:
        unknown = EXCLUDE


class ConversionFailed(ValidationError):
    """A body's field that could not be converted, with the prefix Vault puts before the error."""

    def __init__(self, error: ValidationError, prefix: str) -> None:
        super().__init__(error.messages)
        self.prefix = prefix


VALIDATION_PREFIX = "Field validation failed: "
