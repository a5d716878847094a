"""A token role (``auth/token/roles/:name``): its settings, and how a write changes them.

The rules, their order and their messages are Vault's ``tokenStoreRoleCreateUpdate``.

Beyond Vault's token store, which ignores them, a role also takes three more of Vault's common
token fields (our extension; Vault's other auth methods have them, its token store does not):

- ``token_ttl``: the TTL of the role's tokens when the create request gives none (nor ``lease``).
- ``token_max_ttl``: a cap on the lifetime of the role's tokens, applied like an explicit max TTL
  (the smallest non-zero of the request's ``explicit_max_ttl``, the role's
  ``token_explicit_max_ttl`` and this), at creation and, as the role is then, at every renewal.
  A batch token, which has no explicit max TTL, has its TTL capped by it instead.
- ``token_policies``: the policies of the role's tokens when the request names none, still
  subject to the role's disallowed lists, ``default`` added as for the role's allowed policies.
  They do not widen ``allowed_policies`` for a request that names policies. ``root`` (and the
  policies no token may be given) cannot be among them.

Both durations are whole seconds, 0 meaning unset; ``token_ttl`` may not exceed a non-zero
``token_max_ttl`` (Vault's ``tokenutil`` rule and message).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from tokenledger.domain import policies
from tokenledger.domain.cidrs import parse_cidrs
from tokenledger.domain.errors import InvalidRequest


class RoleTokenType(StrEnum):
    """The type of token a role issues: always one (``TokenType``'s values), or one by default,
    which a create request may override."""

    SERVICE = "service"
    BATCH = "batch"
    DEFAULT_SERVICE = "default-service"
    DEFAULT_BATCH = "default-batch"


BATCH_TYPES = (RoleTokenType.BATCH, RoleTokenType.DEFAULT_BATCH)
PATH_SUFFIX_PATTERN = r"\w[\w-.]+\w"

# Go's \w is ASCII-only; the name pattern is the route's, the suffix one is searched, not anchored.
_NAME = re.compile(r"[0-9A-Za-z_](?:[0-9A-Za-z_.-]*[0-9A-Za-z_])?")
_PATH_SUFFIX = re.compile(r"[0-9A-Za-z_][0-9A-Za-z_.-]+[0-9A-Za-z_]")

_DURATIONS = (
    "period", "explicit_max_ttl", "token_period", "token_explicit_max_ttl", "token_ttl", "token_max_ttl",
)
_BOOLS = ("orphan", "renewable", "token_no_default_policy")
_LISTS = (
    "allowed_policies", "disallowed_policies", "allowed_policies_glob",
    "disallowed_policies_glob", "allowed_entity_aliases", "token_bound_cidrs", "bound_cidrs",
    "token_policies",
)
ROLE_WRITE_FIELDS = frozenset(
    (*_DURATIONS, *_BOOLS, *_LISTS, "path_suffix", "token_type", "token_num_uses")
)


@dataclass(frozen=True)
class RoleSettings:
    """Durations in seconds. ``period``, ``explicit_max_ttl`` and ``bound_cidrs`` are the deprecated
    fields, kept only because Vault reads them back; the ``token_*`` fields are the ones in force.
    ``token_ttl``, ``token_max_ttl`` and ``token_policies`` are our extension (see the module)."""

    name: str
    allowed_policies: tuple[str, ...] = ()
    disallowed_policies: tuple[str, ...] = ()
    allowed_policies_glob: tuple[str, ...] = ()
    disallowed_policies_glob: tuple[str, ...] = ()
    orphan: bool = False
    renewable: bool = True
    path_suffix: str = ""
    allowed_entity_aliases: tuple[str, ...] | None = None  # None: never written (Vault reads back null)
    token_type: str = RoleTokenType.DEFAULT_SERVICE  # read back as recorded: issuance refuses any other
    token_period: int = 0
    token_explicit_max_ttl: int = 0
    token_bound_cidrs: tuple[str, ...] = ()
    token_no_default_policy: bool = False
    token_num_uses: int = 0
    period: int = 0
    explicit_max_ttl: int = 0
    bound_cidrs: tuple[str, ...] = ()
    token_ttl: int = 0
    token_max_ttl: int = 0
    token_policies: tuple[str, ...] = ()


def role_id(namespace: str, name: str) -> UUID:
    """The role's aggregate ID; a role name cannot hold "/", so the pair maps to one text."""
    return uuid5(NAMESPACE_URL, f"/tokenledger/roles/{namespace}/{name}")


def write_role_settings(
    name: str, given: Mapping[str, object], existing: RoleSettings | None
) -> RoleSettings:
    """The role after a write of the ``given`` fields (already typed: seconds, tuples, bools) onto
    ``existing``, or onto a new role's defaults. Fields not given keep their values; fields that are
    not a role's are ignored (``role_write_warnings`` names them)."""
    _check_name(name)
    given = {key: value for key, value in given.items() if key in ROLE_WRITE_FIELDS}
    _check_no_negative_durations(given)
    role = existing if existing is not None else RoleSettings(name=name)
    if role.name != name:
        raise ValueError(f"existing role {role.name!r} written as {name!r}")
    role = _with_plain_fields(role, given)
    type_given = "token_type" in given
    if type_given and given["token_type"] is None:
        raise InvalidRequest("Invalid 'token_type' value: null")
    # Vault checks the token fields against the type the role had, unless the request sets one.
    role = _with_token_fields(role, given, checked_type="" if type_given else role.token_type)
    if type_given:
        role = replace(role, token_type=_token_type(given["token_type"]))
    role = _with_deprecated_fields(role, given)
    _check_batch_role(role)
    if "allowed_entity_aliases" in given:
        role = replace(role, allowed_entity_aliases=_lower_unique(_names(given, "allowed_entity_aliases")))
    return role


def role_write_warnings(
    given: Mapping[str, object], settings: RoleSettings, max_lease_ttl: int
) -> list[str]:
    """The warnings Vault's role write answers with (the write itself succeeds), the last one
    naming the ``given`` fields a token role does not have."""
    warnings = [
        f"Both '{new}' and deprecated '{old}' value supplied, ignoring the deprecated value"
        for new, old in (
            ("token_period", "period"),
            ("token_bound_cidrs", "bound_cidrs"),
            ("token_explicit_max_ttl", "explicit_max_ttl"),
        )
        if new in given and old in given
    ]
    explicit_max_ttl = (
        settings.token_explicit_max_ttl if "token_explicit_max_ttl" in given else settings.explicit_max_ttl
    )
    if max_lease_ttl and explicit_max_ttl > max_lease_ttl:
        warnings.append(
            f"Given explicit max TTL of {explicit_max_ttl} is greater than system/mount allowed value "
            f"of {max_lease_ttl} seconds; until this is fixed attempting to create tokens against "
            "this role will result in an error"
        )
    ignored = sorted(set(given) - ROLE_WRITE_FIELDS)
    if ignored:
        warnings.append(f"Endpoint ignored these unrecognized parameters: [{' '.join(ignored)}]")
    return warnings


def role_read_fields(settings: RoleSettings) -> dict[str, object]:
    """The ``data`` of ``GET auth/token/roles/:name``, keys in the order Go's JSON writes them.
    ``allowed_entity_aliases`` is null until written, as in Vault; our ``token_ttl``,
    ``token_max_ttl`` and ``token_policies``, which Vault's roles do not have, are shown only
    when set, so a client that never uses them sees Vault's keys alone."""
    aliases = settings.allowed_entity_aliases
    data: dict[str, object] = {
        "allowed_entity_aliases": None if aliases is None else list(aliases),
        "allowed_policies": list(settings.allowed_policies),
        "allowed_policies_glob": list(settings.allowed_policies_glob),
        "disallowed_policies": list(settings.disallowed_policies),
        "disallowed_policies_glob": list(settings.disallowed_policies_glob),
        "explicit_max_ttl": settings.explicit_max_ttl,
        "name": settings.name,
        "orphan": settings.orphan,
        "path_suffix": settings.path_suffix,
        "period": settings.period,
        "renewable": settings.renewable,
        "token_explicit_max_ttl": settings.token_explicit_max_ttl,
        "token_no_default_policy": settings.token_no_default_policy,
        "token_period": settings.token_period,
        "token_type": settings.token_type,
    }
    if settings.token_ttl:
        data["token_ttl"] = settings.token_ttl
    if settings.token_max_ttl:
        data["token_max_ttl"] = settings.token_max_ttl
    if settings.token_policies:
        data["token_policies"] = list(settings.token_policies)
    if settings.token_bound_cidrs:
        data["token_bound_cidrs"] = list(settings.token_bound_cidrs)
    if settings.bound_cidrs:
        data["bound_cidrs"] = list(settings.bound_cidrs)
    if settings.token_num_uses > 0:
        data["token_num_uses"] = settings.token_num_uses
    return dict(sorted(data.items()))


def _check_name(name: str) -> None:
    if not name:
        raise InvalidRequest("role name cannot be empty")
    if not _NAME.fullmatch(name):
        raise InvalidRequest("unsupported path")  # Vault's router finds no such path


def _check_no_negative_durations(given: Mapping[str, object]) -> None:
    for key in _DURATIONS:
        if key in given and _int(given, key) < 0:
            raise InvalidRequest(  # validated in Vault's existence check: no "Field validation failed"
                f'error converting input for field "{key}": '
                f"cannot provide negative value '{_int(given, key)}'"
            )


def _with_plain_fields(role: RoleSettings, given: Mapping[str, object]) -> RoleSettings:
    changes: dict[str, object] = {key: _bool(given, key) for key in ("orphan", "renewable") if key in given}
    if "path_suffix" in given:
        suffix = _text(given, "path_suffix")
        if suffix and not _PATH_SUFFIX.search(suffix):
            raise InvalidRequest(
                f"given role path suffix contains invalid characters; must match {PATH_SUFFIX_PATTERN}"
            )
        changes["path_suffix"] = suffix
    if ".." in str(changes.get("path_suffix", role.path_suffix)):
        raise InvalidRequest("error registering path suffix: path cannot contain parent references")
    for key in ("allowed_policies", "allowed_policies_glob"):
        if key in given:
            changes[key] = tuple(policies.sanitize(_names(given, key)))
    for key in ("disallowed_policies", "disallowed_policies_glob"):
        if key in given:
            changes[key] = _lower_unique(_names(given, key))
    return replace(role, **changes)  # type: ignore[arg-type]


def _with_token_fields(role: RoleSettings, given: Mapping[str, object], checked_type: str) -> RoleSettings:
    changes: dict[str, object] = {}
    if "token_policies" in given:
        changes["token_policies"] = _token_policies(_names(given, "token_policies"))
    if "token_bound_cidrs" in given:
        changes["token_bound_cidrs"] = _cidrs(given, "token_bound_cidrs", "error parsing role fields")
    for key in ("token_explicit_max_ttl", "token_period", "token_num_uses", "token_ttl", "token_max_ttl"):
        if key in given:
            changes[key] = _int(given, key)
    if "token_no_default_policy" in given:
        changes["token_no_default_policy"] = _bool(given, "token_no_default_policy")
    role = replace(role, **changes)  # type: ignore[arg-type]
    if role.token_num_uses < 0:
        raise InvalidRequest("error parsing role fields: 'token_num_uses' cannot be negative")
    if checked_type in BATCH_TYPES:
        if role.token_period != 0:
            raise InvalidRequest(
                "error parsing role fields: 'token_type' cannot be 'batch' or 'default_batch' "
                "when set to generate periodic tokens"
            )
        if role.token_num_uses != 0:
            raise InvalidRequest(
                "error parsing role fields: 'token_type' cannot be 'batch' or 'default_batch' "
                "when set to generate tokens with limited use count"
            )
    if 0 < role.token_max_ttl < role.token_ttl:
        raise InvalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
    return role


def _token_policies(names: Sequence[str]) -> tuple[str, ...]:
    """Normalised as the allowed policies are, but a role may not hand out ``root`` (nor a policy
    no token may hold) by default: ``sanitize`` would otherwise turn the list into ``root``."""
    for name in _lower_unique(names):
        if name == policies.ROOT or name in policies.NOT_ASSIGNABLE:
            quoted = json.dumps(name, ensure_ascii=False)
            raise InvalidRequest(f"cannot assign policy {quoted} to a role's token_policies")
    return tuple(policies.sanitize(names))


def _token_type(value: object) -> RoleTokenType:
    if not isinstance(value, str) or value not in tuple(RoleTokenType):
        raise InvalidRequest(f"invalid 'token_type' value {json.dumps(str(value), ensure_ascii=False)}")
    return RoleTokenType(value)


def _with_deprecated_fields(role: RoleSettings, given: Mapping[str, object]) -> RoleSettings:
    """A deprecated field given alone sets itself and its ``token_*`` successor; given with its
    successor it is ignored, and the successor clears it."""
    if "token_period" in given:
        role = replace(role, period=0)
    elif "period" in given:
        role = replace(role, period=_int(given, "period"), token_period=_int(given, "period"))
    if "token_bound_cidrs" in given:
        role = replace(role, bound_cidrs=())
    elif "bound_cidrs" in given:
        cidrs = _cidrs(given, "bound_cidrs", "error parsing bound_cidrs")
        role = replace(role, bound_cidrs=cidrs, token_bound_cidrs=cidrs)
    if "token_explicit_max_ttl" in given:
        role = replace(role, explicit_max_ttl=0)
    elif "explicit_max_ttl" in given:
        ttl = _int(given, "explicit_max_ttl")
        role = replace(role, explicit_max_ttl=ttl, token_explicit_max_ttl=ttl)
    return role


def _check_batch_role(role: RoleSettings) -> None:
    if role.token_type != RoleTokenType.BATCH:
        return
    reasons = (
        (not role.orphan, "generate non-orphan tokens"),
        (role.period != 0 or role.token_period != 0, "generate periodic tokens"),
        (role.renewable, "generate renewable tokens"),
        (role.explicit_max_ttl != 0 or role.token_explicit_max_ttl != 0,
         "generate tokens with an explicit max TTL"),
    )
    for refused, what in reasons:
        if refused:
            raise InvalidRequest(f"'token_type' cannot be 'batch' when role is set to {what}")


def _cidrs(given: Mapping[str, object], key: str, context: str) -> tuple[str, ...]:
    try:
        return parse_cidrs(_names(given, key))
    except InvalidRequest as error:
        raise InvalidRequest(f"{context}: {error}") from None


def _lower_unique(names: Sequence[str]) -> tuple[str, ...]:
    """Vault's ``RemoveDuplicates(names, lowercase=true)``: trimmed, lower-cased, no blanks, sorted."""
    return tuple(sorted({name.strip().lower() for name in names if name.strip()}))


def _names(given: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = given[key]
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{key} must be a tuple of str, got {value!r}")
    return tuple(str(item) for item in value)


def _int(given: Mapping[str, object], key: str) -> int:
    value = given[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key} must be an int, got {value!r}")
    return value


def _bool(given: Mapping[str, object], key: str) -> bool:
    value = given[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key} must be a bool, got {value!r}")
    return value


def _text(given: Mapping[str, object], key: str) -> str:
    value = given[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a str, got {value!r}")
    return value
