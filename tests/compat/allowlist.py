"""Differences from OpenBao that stay, each with its reason. A difference is allowed when its step
name and its place (``status``, ``errors``, ``keys:data``, ``value:data.ttl``...) match an entry's
patterns (shell-style). Keep this list short: every entry is a promise in the README."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tests.compat.differential import Difference


@dataclass(frozen=True)
class Allowed:
    title: str
    why: str
    steps: tuple[str, ...]
    where: tuple[str, ...] = ("*",)
    values: str = ""  # a regular expression searched in "tokenledger=<value> openbao=<value>"

    def covers(self, difference: Difference) -> bool:
        return (any(fnmatchcase(difference.step, step) for step in self.steps)
                and any(fnmatchcase(difference.where, where) for where in self.where)
                and re.search(self.values, f"tokenledger={difference.tokenledger!r} openbao={difference.openbao!r}")
                is not None)


ALLOWED: tuple[Allowed, ...] = (
    Allowed(
        "Answers carry `mount_type`.",
        "Vault (1.11 and later) adds `\"mount_type\": \"token\"` to every answer of the token store; "
        "OpenBao 2.7 leaves it out. Vault is followed.",
        ("*",), ("keys:envelope",), r"^tokenledger=\['mount_type'\] openbao=\[\]$"),
    Allowed(
        "Policy reads answer `name` and `rules` (or `policy`) only.",
        "OpenBao's policy versioning and check-and-set (`cas_required`, `version`, `modified`, "
        "`allow_*_in_identity_templates`) are OpenBao's own, not Vault's.",
        ("policy: read*", "acl: read*", "*GET sys/policy/*"), ("keys:data", "keys:top"),
        r"^tokenledger=\[\] openbao=\['allow_slashes_in_identity_templates'"),
    Allowed(
        "The built-in `default` policy grants only what this server serves.",
        "Vault's `default` policy also names cubbyhole, response wrapping, `sys/tools` and other "
        "engines this token service does not have; tokenledger's grants the same token paths.",
        ("policy: read default", "acl: read default"), ("value:data.rules", "value:data.policy",
                                                          "value:rules", "value:policy")),
    Allowed(
        "The 2016 API's token-in-the-URL paths still answer.",
        "`auth/token/lookup/<token>`, `renew/<token>`, `revoke/<token>` and `lookup-accessor/<accessor>` "
        "are in the 2016 reference this server implements; Vault 1.0 and OpenBao removed them (404). "
        "A client that does not use them sees no difference; prefer the body forms, which keep tokens "
        "out of URLs and access logs.",
        ("renew: by value in path", "revoke: in path", "lookup: GET in path", "lookup-accessor: in path")),
    Allowed(
        "`tidy` says \"Vault's server logs\".",
        "OpenBao renamed the product in the warning's text; Vault's wording is kept.",
        ("tidy", "* auth/token/tidy"), ("value:warnings",)),
    Allowed(
        "Policy errors put the path where Vault puts it.",
        "OpenBao repeats the prefix (`path \"x\": path \"x\": invalid capability`) and writes it once "
        "before a list of errors; Vault's `failed to parse policy: path \"x\": invalid capability "
        "\"fly\"`, and its prefix on each error of a list (go-multierror's `Prefix`), are kept.",
        ("policy: bad capability", "policy: two unknown keys"), ("errors",)),
    Allowed(
        "No SHA1 warning for a custom token `id`.",
        "Vault warns that a token created with a custom ID is looked up through a weaker SHA1 hash; "
        "tokenledger keeps every token, custom or not, as the same keyed SHA-256 digest, so the "
        "warning would be untrue.",
        ("kind custom id: create", "reuse id: create"), ("type:warnings",), "Supplying a custom ID"),
    Allowed(
        "A revoked custom `id` is never issued again.",
        "Vault lets a new token take the ID of a revoked one; in a ledger that ID names the old "
        "token's history for ever, so a second create with it is refused (400 `cannot create a "
        "token with a duplicate ID`).",
        ("reuse id: again after revoke: create",), ("status", "errors")),
    Allowed(
        "`bound_cidrs` is honoured on `auth/token/create`.",
        "Vault's create endpoint ignores it with an \"unrecognized parameters\" warning and only "
        "roles bind CIDRs; tokenledger binds the token (the fourth seed's `bound-cidrs`), and so "
        "refuses a value that is not a CIDR list. A client that does not send it sees no difference.",
        ("kind cidrs: create", "auth/token/create bound_cidrs=*"), ("type:warnings", "status", "errors", "body")),
    Allowed(
        "Roles also take `token_ttl`, `token_max_ttl` and `token_policies`.",
        "OpenBao's token roles ignore them; here they set the role tokens' default TTL, max TTL "
        "and policies, and a wrong value is refused. A role read shows them only once written.",
        ("auth/token/roles/compat-bi token_ttl=*",), ("status", "body", "errors")),
    Allowed(
        "LIST pages with `after` and `limit`.",
        "OpenBao's `auth/token/accessors` ignores them (with a warning); here every LIST pages, "
        "as OpenBao's paginated LIST endpoints elsewhere do.",
        ("accessors paged",), ("value:data.keys", "type:warnings")),
    Allowed(
        "The ledger endpoints exist.",
        "`sys/ledger/head` and `sys/ledger/history/...` (the audit API) answer here and are "
        "unknown paths to Vault.",
        ("ledger head",), ("status", "errors", "body")),
    Allowed(
        "`X-Vault-Wrap-TTL` is refused (400).",
        "Response wrapping is not implemented; ignoring the header would hand out a bare token "
        "where the client asked for a wrapped one.",
        ("wrap ttl",), ("status", "errors", "body")),
    Allowed(
        "A lone UTF-16 surrogate in a JSON body is refused (400).",
        "Vault (Go) turns it into U+FFFD and stores the altered text; tokenledger will not record "
        "a value other than the one sent.",
        ("lone surrogate",), ("status", "errors", "body")),
    Allowed(
        "OPTIONS is Vault's: 405 (or 404), after the ACL.",
        "With CORS off, Vault passes OPTIONS to its core, where no policy grants it (403) and, for "
        "root, no route serves it (405). OpenBao 2.7 added its own 400 `cannot handle internal-only "
        "request operation` in August 2026; Vault's answer is kept.",
        ("OPTIONS *",), ("status", "body", "errors")),
    Allowed(
        "`sys/capabilities` without a `token` is a 400.",
        "Vault and OpenBao answer 500 `no token found`; here bad input is always a 4xx, so it is "
        "400 `1 error occurred: missing token`, the text Vault gives one step later.",
        ("caps: no token",), ("status", "errors")),
    Allowed(
        "`LIST sys/policy/<name>` is a 404.",
        "Undocumented in both: Vault answers it with every policy, whatever the name (a leftover of "
        "its 2018 route rewrite), OpenBao with the policies starting with the name. The documented "
        "`LIST sys/policy` and `LIST sys/policies/acl` answer as Vault's.",
        ("LIST sys/policy/compat-p1",), ("status", "errors")),
    Allowed(
        "A role's CIDRs must be addresses.",
        "Vault and OpenBao store a `bound_cidrs` entry that is not an address (`300.0.0.1/8`) as a "
        "Unix socket path, which makes every token of the role unusable from any IP address; "
        "tokenledger refuses it (400), so the role is not written.",
        ("role: bad cidr", "role: bad never written"), ("status", "body", "keys:data")),
    Allowed(
        "A namespace needs no creating.",
        "`X-Vault-Namespace` (or `?site=`) names a namespace that exists as soon as it is used; "
        "Vault Enterprise and OpenBao answer 404 `namespace not found` until `sys/namespaces` "
        "creates it, an endpoint this server does not have.",
        ("lookup: namespace header",), ("status", "errors")),
    Allowed(
        "A role write with a non-string `token_type` gets a 400.",
        "OpenBao 2.7 drops the connection without an answer (a recovered panic); tokenledger refuses "
        "the value as Vault's field conversion would.",
        ("auth/token/roles/compat-bi token_type=*",), ("body", "status"),
        "openbao=('no answer: ConnectionError'|0)$"),
)


def allowed(difference: Difference) -> Allowed | None:
    return next((entry for entry in ALLOWED if entry.covers(difference)), None)


# Differences from Vault that the suite cannot show, because OpenBao answers as tokenledger does.
NOT_MEASURED: tuple[tuple[str, str], ...] = (
    ("LIST decisions follow OpenBao.",
     "A LIST (and `sys/capabilities`) tries rules on the path without its `/` in OpenBao's order, "
     "not Vault's, which would let `path \"foo/*\"` list `foo/private` despite a `foo/private/*` deny "
     "(OpenBao's GHSA-xp3c-3jw3-4vcr); `tests/e2e/security/test_acl_differential.py` checks it."),
    ("No identity entities.",
     "`entity_alias` is checked against the role and recorded, but no entity is created: "
     "`entity_id` stays empty."),
)

README_HEADING = "## Differences from Vault"


def readme_section() -> str:
    """The README's section, written from the list (``tests/compat/test_differential.py`` checks it)."""
    lines = [README_HEADING, "",
             "A differential suite (`tests/compat/`, `python -m tests.compat`) sends the same requests to",
             "a real OpenBao dev server and to tokenledger and compares status, errors, keys, JSON types and",
             "values. Every difference it may find is one of these, each for the reason given:", ""]
    lines += [f"- **{entry.title}** {entry.why}" for entry in ALLOWED]
    lines += ["", "Where OpenBao answers as tokenledger does, so the suite cannot show it:", ""]
    lines += [f"- **{title}** {why}" for title, why in NOT_MEASURED]
    return "\n".join(lines) + "\n"
