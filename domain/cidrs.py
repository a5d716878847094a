"""CIDR blocks a token is bound to: parsed, written the way Vault writes them, and checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from tokenledger.domain.errors import InvalidRequest

_Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def parse_cidrs(values: Iterable[str]) -> tuple[str, ...]:
    """Each value as Vault prints it back: ``10.0.0.0/8``; a bare address, or one with a full-length
    prefix, as just the address (``10.1.2.3``, ``::1``). Host bits are kept, as Vault keeps them."""
    return tuple(_render(_parse(value)) for value in values)


def address_allowed(bound: Sequence[str], remote_addr: str) -> bool:
    """True when nothing is bound, or ``remote_addr`` lies in one of the ``bound`` blocks."""
    if not bound:
        return True
    try:
        address = ipaddress.ip_address(remote_addr.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # Go reads ::ffff:a.b.c.d as the IPv4 address
    return any(address in _parse(block).network for block in bound)


def _parse(value: str) -> _Interface:
    text = value.strip()
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        raise InvalidRequest(
            f'error parsing address "{text}": '
            f'Unable to convert "{text}" to an IPv4 or IPv6 address, or a UNIX Socket'
        ) from None


def _render(interface: _Interface) -> str:
    if interface.network.prefixlen == interface.max_prefixlen:
        return str(interface.ip)
    return interface.with_prefixlen


def cidrs_within(blocks: Sequence[str], bounds: Sequence[str]) -> bool:
    """True when every block lies inside one of the ``bounds`` blocks."""
    networks = [_parse(bound).network for bound in bounds]
    return all(
        any(
            inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]
            for outer in networks
        )
        for inner in (_parse(block).network for block in blocks)
    )
