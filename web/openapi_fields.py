"""JSON types apispec's marshmallow plugin cannot work out alone: those of the response fields
declared with ``fields.Function`` (``FUNCTION_FIELD_TYPES``) and of this project's own field
classes, through ``function_field_types``, the attribute function ``tokenledger.web.openapi.build_spec`` adds to its
converter; and ``SOMETIMES_ABSENT``, the keys a response schema leaves out of some answers.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields

from tokenledger.application.lookup_format import LookupDataSchema
from tokenledger.domain.durations import MAX_SECONDS
from tokenledger.web.fields import (
    MAX_WHOLE_NUMBER,
    CommaStringList,
    Duration,
    DurationText,
    KeyValuePairs,
    NameList,
    StringList,
    WholeNumber,
)
from tokenledger.web.openapi_schemas import CapabilitiesDataSchema, LookupAccessorDataSchema

JsonSchema = dict[str, Any]


_STRING: JsonSchema = {"type": "string"}
_INTEGER: JsonSchema = {"type": "integer"}
_BOOLEAN: JsonSchema = {"type": "boolean"}
_NAMES: JsonSchema = {"type": "array", "items": {"type": "string"}}
_STRING_MAP: JsonSchema = {"type": "object", "additionalProperties": {"type": "string"}, "nullable": True}

FUNCTION_FIELD_TYPES: Mapping[str, JsonSchema] = {
    # LookupDataSchema
    "accessor": _STRING, "creation_time": _INTEGER, "creation_ttl": _INTEGER, "display_name": _STRING,
    "expire_time": {"type": "string", "nullable": True}, "explicit_max_ttl": _INTEGER, "id": _STRING,
    "issue_time": _STRING, "last_renewal": _STRING, "last_renewal_time": _INTEGER, "meta": _STRING_MAP,
    "num_uses": _INTEGER, "orphan": _BOOLEAN, "path": _STRING, "period": _INTEGER, "policies": _NAMES,
    "renewable": _BOOLEAN, "ttl": _INTEGER, "type": _STRING, "role": _STRING, "bound_cidrs": _NAMES,
    # schemas.AuthSchema
    "client_token": _STRING, "token_policies": _NAMES, "metadata": _STRING_MAP,
    "lease_duration": _INTEGER, "token_type": _STRING,
}

# Keys a response schema leaves out of some answers (every other field is always there).
_LOOKUP_ABSENT = frozenset({"issue_time", "renewable", "last_renewal", "last_renewal_time", "period", "role",
                            "bound_cidrs"})
SOMETIMES_ABSENT: Mapping[type[Schema], frozenset[str]] = {
    LookupDataSchema: _LOOKUP_ABSENT,
    LookupAccessorDataSchema: _LOOKUP_ABSENT | {"status", "as_of"},
    CapabilitiesDataSchema: frozenset({"capabilities"}),  # only when one path was asked for
}

_DURATION_TEXT = r"^[0-9]+$|^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h|d|y))+$"
_DURATION: JsonSchema = {
    "anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_SECONDS},
              {"type": "string", "pattern": _DURATION_TEXT, "maxLength": 64}],
    "description": "seconds, or a duration such as 1h30m, 10m30s, 1y2d; at most a century",
}
_WHOLE_NUMBER: JsonSchema = {
    "anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_WHOLE_NUMBER},
              {"type": "string", "pattern": "^[0-9]{1,10}$"}],
    "description": f"at most {MAX_WHOLE_NUMBER}",
}


def function_field_types(self: Any, field: fields.Field, ret: JsonSchema, **_: Any) -> JsonSchema:  # type: ignore[type-arg]
    """An apispec attribute function: JSON types for this project's field classes."""
    if isinstance(field, (Duration, DurationText)):
        return copy.deepcopy(_DURATION)
    if isinstance(field, WholeNumber):
        return copy.deepcopy(_WHOLE_NUMBER)
    if isinstance(field, (NameList, CommaStringList)):
        return {"anyOf": [{"type": "array", "items": {"type": "string"}},
                          {"type": "string", "description": "comma-delimited"}]}
    if isinstance(field, StringList):
        return {"anyOf": [{"type": "array", "items": {"type": "string"}},
                          {"type": "string", "description": "one name, commas and all"}]}
    if isinstance(field, KeyValuePairs):
        return {"anyOf": [{"type": "object", "additionalProperties": {"type": "string"}},
                          {"type": "array", "items": {"type": "string", "description": "key=value"}},
                          {"type": "string", "description": "key=value"}]}
    if isinstance(field, fields.Constant):
        if field.constant is None:
            return {"type": "object", "nullable": True}
        return {"type": {str: "string", bool: "boolean", int: "integer"}[type(field.constant)]}
    if isinstance(field, fields.Function):
        try:
            return dict(FUNCTION_FIELD_TYPES[field.name or ""])
        except KeyError:
            raise LookupError(f"document the JSON type of response field {field.name!r} in "
                              "tokenledger.web.openapi_fields.FUNCTION_FIELD_TYPES") from None
    return {}
