"""Which namespace a request addresses: the ``site`` query parameter of the other product's API,
or Vault's ``X-Vault-Namespace`` header; neither means the root namespace."""

from __future__ import annotations

from flask import Request

from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.namespaces import parse_namespace

NAMESPACE_HEADER = "X-Vault-Namespace"
SITE_PARAMETER = "site"


def request_namespace(request: Request) -> str:
    from_site = parse_namespace(request.args.get(SITE_PARAMETER, ""))
    from_header = parse_namespace(request.headers.get(NAMESPACE_HEADER, ""))
    if from_site and from_header and from_site != from_header:
        raise InvalidRequest(f"the '{SITE_PARAMETER}' parameter and the {NAMESPACE_HEADER} header disagree")
    return from_site or from_header


def addresses_a_site(request: Request) -> bool:
    return SITE_PARAMETER in request.args
