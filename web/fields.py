"""Field types and the base schema for Vault request bodies."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from domain.durations import DurationError, parse_duration


class Duration(fields.Field):
    """Vault durations: whole seconds as a number or string, or units such as ``1h30m``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return parse_duration(value)
        except DurationError as error:
            raise ValidationError(str(error)) from None


class WholeNumber(fields.Field):
    """An integer, given as a JSON number or a numeric string; fractions and booleans are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
        raise ValidationError(f"{value!r} is not a whole number")


class NameList(fields.Field):
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
