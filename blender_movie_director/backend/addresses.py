"""Where a download may go: http(s) only, and never to an address more internal than the configured server.

A server's answer can name a URL (WaveSpeed's output links) and redirect a download anywhere. Followed
blindly, that turns the add-on into a probe of the user's own machine or network (a blind GET to
``http://127.0.0.1:…`` or ``http://169.254.169.254/``). The rule here: every address a transfer connects to
is classed LOOPBACK < PRIVATE < PUBLIC, and may not be more internal than the configured server's own class.
A WaveSpeed account (public) can therefore only send us to public addresses; a Wan2GP box on the LAN
(private) may name the LAN or the internet, not this machine; a server on this machine may name anything.
Addresses that are never a real target (0.0.0.0, multicast, reserved) are refused whatever the server.

:class:`TargetPolicy` resolves a host once, checks every address, and hands the vetted addresses to the
caller to connect to (so a second DNS answer cannot swap in another address after the check).

Threading: plain functions and frozen values; ``socket.getaddrinfo`` blocks, so call from a worker thread.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from .errors import ServerError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``resolve(host, port) -> addresses``; :func:`resolve` by default (tests pass plain data).
Resolver = Callable[[str, int], Sequence[IPAddress]]

SCHEMES = ("http", "https")


class AddressClass(IntEnum):
    """How internal an address is; lower is more internal."""

    LOOPBACK = 0
    PRIVATE = 1
    PUBLIC = 2

    @property
    def words(self) -> str:
        return {0: "an address on this machine", 1: "a private network address", 2: "a public address"}[
            int(self)
        ]


_PRIVATE_V4 = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
)
_PRIVATE_V6 = tuple(ipaddress.ip_network(n) for n in ("fc00::/7", "fe80::/10"))


def address_class(address: IPAddress) -> AddressClass | None:
    """The class of one address; None for addresses that are never a download target."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return address_class(mapped)
        if address.is_loopback:
            return AddressClass.LOOPBACK
        if address.is_unspecified or address.is_multicast or address.is_reserved:
            return None
        if any(address in net for net in _PRIVATE_V6) or address.is_site_local:
            return AddressClass.PRIVATE
        return AddressClass.PUBLIC
    if address.is_loopback:
        return AddressClass.LOOPBACK
    if address.is_unspecified or address.is_multicast or address.is_reserved or address in _ZERO_NET:
        return None  # 0.0.0.0/8 reaches this machine on Linux: never a target
    if address == ipaddress.IPv4Address("255.255.255.255"):
        return None
    if any(address in net for net in _PRIVATE_V4):
        return AddressClass.PRIVATE
    return AddressClass.PUBLIC


_ZERO_NET = ipaddress.ip_network("0.0.0.0/8")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (numeric forms too: ``2130706433`` is 127.0.0.1)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class RefusedTargetError(ServerError):
    """A transfer was refused before connecting: a scheme other than http(s), or an address the rule above
    forbids. Never retried: the same answer would name the same place."""

    retryable = False


def default_port(parts: urllib.parse.SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def check_scheme(url: str, *, redirected: bool = False) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        how = "redirected to" if redirected else "given"
        scheme = parts.scheme or "no"
        raise RefusedTargetError(
            f"The download was {how} a '{scheme}' address; only http and https are followed, so it was "
            "refused and not retried."
        )
    return parts


@dataclass(frozen=True)
class TargetPolicy:
    """``floor``: the most internal class a transfer may connect to (the configured server's class)."""

    floor: AddressClass
    server: str = "the configured server"
    resolver: Resolver = resolve

    @classmethod
    def for_server(cls, server_url: str, resolver: Resolver = resolve) -> TargetPolicy:
        """The policy for transfers a server at ``server_url`` names: its own (most internal) class."""
        parts = urllib.parse.urlsplit(server_url)
        host = parts.hostname or ""
        try:
            classes = [address_class(a) for a in resolver(host, default_port(parts))]
        except (OSError, ValueError):
            classes = []
        known = [c for c in classes if c is not None]
        # Unresolvable: the strictest floor (public) — nothing internal is reachable through it.
        floor = min(known) if known else AddressClass.PUBLIC
        return cls(floor=floor, server=f"the configured server ({parts.hostname})", resolver=resolver)

    def vet(self, url: str, *, redirected: bool = False) -> list[IPAddress]:
        """The addresses ``url`` may be fetched from (connect to these, not to a fresh lookup); raises
        :class:`RefusedTargetError` naming why."""
        parts = check_scheme(url, redirected=redirected)
        host = parts.hostname or ""
        try:
            addresses = list(self.resolver(host, default_port(parts)))
        except (OSError, ValueError):
            return []  # the connection itself reports the unknown host, as for any other download
        how = "redirected to" if redirected else "sent to"
        for address in addresses:
            cls = address_class(address)
            if cls is None:
                raise RefusedTargetError(
                    f"The download was {how} {host} ({address}), which is not a usable address; it was "
                    "refused and not retried."
                )
            if cls < self.floor:
                raise RefusedTargetError(
                    f"The download was {how} {host} ({address}), {cls.words}, more internal than "
                    f"{self.server} ({self.floor.words}); it was refused and not retried."
                )
        return addresses


__all__ = [
    "AddressClass",
    "RefusedTargetError",
    "TargetPolicy",
    "address_class",
    "check_scheme",
    "resolve",
]
