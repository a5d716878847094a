"""Field types and the base schema for Vault request bodies."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from tokenledger.domain.durations import DurationError, parse_duration
from tokenledger.domain.errors import InvalidRequest


class Duration(fields.Field):  # type: ignore[type-arg]
    """Vault durations: whole seconds as a number or string, or units such as ``1h30m``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return parse_duration(value)
        except DurationError as error:
            raise ValidationError(str(error)) from None


MAX_WHOLE_NUMBER = 2**31 - 1  # a use count, as Vault's int; also what every store's column holds
_SIGNED_DIGITS = re.compile(r"[+-]?[0-9]{1,19}")
_DIGITS = re.compile(r"[0-9]{1,19}")


class WholeNumber(fields.Field):  # type: ignore[type-arg]
    """An integer, given as a JSON number or a numeric string of ASCII digits; fractions, booleans
    and anything past 2**31 - 1 either way are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _SIGNED_DIGITS.fullmatch(value.strip()):
            number = int(value.strip())
        if number is None:
            raise ValidationError(f"{str(value)[:40]!r} is not a whole number")
        if abs(number) > MAX_WHOLE_NUMBER:
            raise ValidationError(f"{number} is out of range: at most {MAX_WHOLE_NUMBER}")
        return number


def count_parameter(text: str, name: str, maximum: int) -> int:
    """A non-negative whole number from a query string or header (ASCII digits), at most
    ``maximum``: larger values are taken as ``maximum``."""
    cleaned = text.strip()
    if not _DIGITS.fullmatch(cleaned):
        raise InvalidRequest(f"{name} must be a whole number")
    return min(int(cleaned), maximum)


class NameList(fields.Field):  # type: ignore[type-arg]
    """A JSON array of strings, or one comma-delimited string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise ValidationError("must be a list of strings or a comma-delimited string")


class StringMap(fields.Dict):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)


class RequestSchema(Schema):
    """``aliases`` maps another spelling of a parameter to the field it stands for."""

    aliases: ClassVar[dict[str, str]] = {}

    class Meta:
        unknown = EXCLUDE
