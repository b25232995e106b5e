"""Where a notice may go over plain ``http://``: the ``allow_plain_http`` setting.

A kiosk stands inside the lobby network, and a channel URL can come from a host directory entry
(an HR export, an upload to the server) that nobody reviews like a setting. Were any
``webhook+http://10.0.0.5/...`` accepted, whoever can edit the directory could have every kiosk
POST to printers, cameras and admin pages on the inside (server-side request forgery), in
clear text. So an HTTP channel must use https:// (whose certificate check also keeps an inside
address without a public certificate out of reach) unless its host is listed here: a relay or
test receiver on the local network, named on purpose by whoever configures the device or the
server, never by the directory.

The setting lists host names, IP addresses and networks (CIDR), separated by spaces or commas:
``allow_plain_http = "127.0.0.1 relay.lobby.lan 10.20.0.0/24"``. A name matches only that name
(it is not resolved: a listed network allows IP addresses written in the URL, not names that
resolve into it), so nothing outside the list is reached through DNS tricks either.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

SETTING = "allow_plain_http"
ENV = "KIOSK_ALLOW_PLAIN_HTTP"
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class PlainHttp:
    """The hosts a channel may reach over http://; the default allows none."""

    names: frozenset[str] = frozenset()
    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> PlainHttp:
        """The setting's value; ValueError saying what is accepted for anything else."""
        names, networks = set(), []
        for entry in text.replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                name = entry.lower().rstrip(".")
                if not _HOST_NAME.match(name):
                    raise ValueError(f"host names, IP addresses or networks (CIDR such as 10.20.0.0/24) separated by "
                                     f"spaces; {entry!r} is none of these") from None
                names.add(name)
        return cls(frozenset(names), tuple(networks))

    def allows(self, host: str) -> bool:
        """Whether a URL whose host is ``host`` (as ``urlsplit(...).hostname`` gives it) may use http://."""
        host = host.lower().rstrip(".")
        if host in self.names:
            return True
        return any(address in network for address in _addresses(host) for network in self.networks
                   if network.version == address.version)

    def refusal(self, kind: str, host: str) -> str | None:
        """Why http:// to ``host`` is refused, or None when it is allowed. Kind and host only: the
        rest of a channel URL may hold its key."""
        if self.allows(host):
            return None
        inside = any(a.is_private or a.is_loopback or a.is_link_local for a in _addresses(host))
        where = f"{host}, an address inside a private network," if inside else host
        return (f"{kind} {host}: plain http:// to {where} is refused (a channel could reach anything on the "
                f"kiosk's network); use https://, or list {host} in the {SETTING} setting")


NOWHERE = PlainHttp()


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address a host written as an IP address is, as written and, for ::ffff:10.0.0.5, as
    the IPv4 address it carries; none for a name."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is still that address
    except ValueError:
        return []
    mapped = getattr(address, "ipv4_mapped", None)
    return [address, mapped] if mapped else [address]
