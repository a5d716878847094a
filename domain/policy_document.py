"""Vault ACL policy documents: the policy language (HCL1 or its JSON form) read into path rules.

Vault reads policies with HCL1 and then checks them in ``vault/policy.go``; this module reads
the part of HCL1 that policies use (blocks, ``key = value``, strings, numbers, booleans, lists,
objects, ``#`` ``//`` ``/* */`` comments, JSON when the text starts with ``{``) and applies the
same checks, with Vault's error strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenledger.domain.durations import DurationError, parse_duration
from tokenledger.domain.errors import InvalidRequest, multierror
from tokenledger.domain.hcl_syntax import GO_TYPE, Item, List, Literal, Malformed, Node, Object, quoted, syntax_tree
from tokenledger.domain.policies import DEFAULT, NOT_ASSIGNABLE, ROOT

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
        rules = tuple(_rules_in(syntax_tree(text)))
    except Malformed as error:
        raise InvalidRequest(f"failed to parse policy: {error}") from None
    except RecursionError:
        raise InvalidRequest("failed to parse policy: nested too deeply") from None
    return PolicyDocument(normalize_policy_name(name), text, rules)


def normalize_policy_name(name: str) -> str:
    return name.strip().lower()


def check_policy_name_writable(name: str) -> str:
    """The normalised name, or Vault's refusal to write it."""
    normalized = policy_name(name)
    if normalized in _IMMUTABLE:
        raise InvalidRequest(f'cannot update "{normalized}" policy')
    return normalized


def check_policy_name_deletable(name: str) -> str:
    """The normalised name, or Vault's refusal to delete it."""
    normalized = policy_name(name)
    if normalized in _IMMUTABLE:
        raise InvalidRequest(f'cannot delete "{normalized}" policy')
    if normalized == DEFAULT:
        raise InvalidRequest("cannot delete default policy")
    return normalized


def policy_name(name: str) -> str:
    """The normalised name, which must not be empty."""
    normalized = normalize_policy_name(name)
    if not normalized:
        raise InvalidRequest("policy name must be provided in the URL")
    return normalized


# ---------------------------------------------------------------- policy checks (vault/policy.go)


def _rules_in(document: Object) -> list[PathRule]:
    _check_keys(document, _TOP_LEVEL_KEYS, prefix="")
    for name in document.values("name"):
        _string(name, "root.name")
    return [_path_rule(item) for item in document.items if item.keys[0] == "path"]


def _path_rule(item: Item) -> PathRule:
    label = item.keys[1] if len(item.keys) > 1 else "path"
    _check_templating(label)
    prefix = f"path {quoted(label)}: "
    block = _check_keys(item.value, _PATH_KEYS, prefix)
    try:
        legacy, capabilities = _decode_block(block)
    except Malformed as error:
        raise Malformed(f"{prefix}{error}") from None
    pattern = label.removeprefix("/")
    if "+*" in pattern:
        raise Malformed(f"path {quoted(pattern)}: invalid use of wildcards ('+*' is forbidden)")
    if legacy == DENY:
        capabilities = [DENY]
    elif legacy:
        if legacy not in _LEGACY_POLICIES:
            raise Malformed(f"{prefix}invalid policy {quoted(legacy)}")
        capabilities += _LEGACY_POLICIES[legacy]
    for capability in capabilities:
        if capability == DENY:
            return PathRule(pattern, frozenset({DENY}))
        if capability not in GRANTABLE:
            raise Malformed(f"{prefix}invalid capability {quoted(capability)}")
    _check_block_settings(block)
    return PathRule(pattern, frozenset(capabilities))


def _check_keys(node: Node, valid: tuple[str, ...], prefix: str) -> Object:
    if not isinstance(node, Object):
        raise Malformed(f"{prefix}cannot check HCL keys of type {GO_TYPE[type(node)]}")
    invalid = [
        f"{prefix}invalid key {quoted(item.keys[0])} on line {item.assign_line}"
        for item in node.items
        if item.keys[0] not in valid
    ]
    if invalid:
        raise Malformed(multierror(*invalid))
    return node


def _decode_block(block: Object) -> tuple[str, list[str]]:
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
        if not isinstance(value, Object):
            raise Malformed(f"At {value.at}: root.control_group: not an object type for struct "
                             f"({GO_TYPE[type(value)]})")  # fmt: skip
    return legacy, capabilities


def _check_block_settings(block: Object) -> None:
    """What Vault checks only for rules that are not ``deny``."""
    minimum = _duration(block.values("min_wrapping_ttl"), "error parsing min_wrapping_ttl")
    maximum = _duration(block.values("max_wrapping_ttl"), "error parsing max_wrapping_ttl")
    for group in block.values("control_group"):
        assert isinstance(group, Object)
        _duration(group.values("ttl"), "error parsing control group max ttl")
        if not group.values("factor"):
            raise Malformed("no control group factors provided")
    if minimum and maximum and maximum < minimum:
        raise Malformed("max_wrapping_ttl cannot be less than min_wrapping_ttl")


def _check_templating(label: str) -> None:
    head, *directives = label.split("{{")
    if "}}" in head or any(directive.count("}}") != 1 for directive in directives):
        raise Malformed("failed to validate policy templating: unbalanced templating characters")


def _string(node: Node, field: str) -> str:
    if isinstance(node, Literal) and node.kind != "NULL":
        return node.text
    raise Malformed(f"At {node.at}: {field}: unknown type for string {GO_TYPE[type(node)]}")


def _strings(node: Node, field: str) -> list[str]:
    if isinstance(node, Literal):
        raise Malformed(f"At {node.at}: unknown slice type: {GO_TYPE[Literal]}")
    elements = node.elements if isinstance(node, List) else [node]
    return [_string(element, f"{field}[{index}]") for index, element in enumerate(elements)]


def _check_parameter_map(node: Node, field: str) -> None:
    if not isinstance(node, Object):
        raise Malformed(f"At {node.at}: {field}: not an object type for map "
                         f"({GO_TYPE[type(node)]})")  # fmt: skip
    for item in node.items:
        if isinstance(item.value, Literal):
            raise Malformed(f"At {item.value.at}: unknown slice type: {GO_TYPE[Literal]}")


def _duration(nodes: list[Node], context: str) -> int:
    seconds = 0
    for node in nodes:
        try:
            seconds = parse_duration(_duration_input(node))
        except DurationError as error:
            raise Malformed(f"{context}: {error}") from None
    return seconds


def _duration_input(node: Node) -> object:
    if isinstance(node, Literal) and node.kind == "STRING":
        return node.text
    if isinstance(node, Literal) and node.kind == "NUMBER":
        try:
            return int(node.text, 0)
        except ValueError:
            return float(node.text)
    raise DurationError("could not parse duration from input")


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
