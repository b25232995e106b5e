"""How long the sync worker waits after a failed round, and how it learns the wait can end.

Full jitter (a uniform draw up to an exponential cap), so that a site's devices do not all come
back at once to a server that has just returned. The cap depends on where the server is: across
the internet a server that fails may stay down a while and many sites share it, so waits grow
to two minutes; on the site's own network (a server at a private, loopback or link-local
address, or a ``.local``/``.lan`` name) a device drawn a long wait would keep its site's
desks minutes behind after the network heals, so waits stop at 15 s. The setting
``sync_backoff_max`` overrides the choice. While the network is down the worker probes the
server every ``PROBE_S`` (GET /v1/ping, no database work) and syncs at once when it answers.
"""

from __future__ import annotations

import ipaddress
import random
from urllib.parse import urlsplit

INTERVAL = 5.0  # seconds between rounds when all is well
WAN_MAX = 120.0
LAN_MAX = 15.0
PROBE_S = 2.0
# Names that resolve only on the site's own network (mDNS, home routers, RFC 8375, ICANN's
# private-use TLD): no DNS lookup is made to decide, since one can hang while the network is down.
_LAN_SUFFIXES = (".local", ".lan", ".home.arpa", ".internal", ".localdomain")


def on_lan(url: str) -> bool:
    """Whether the server of ``url`` is on this site's own network (see the module's doc)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(_LAN_SUFFIXES) or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_private or address.is_loopback or address.is_link_local


def backoff_max(url: str, setting: float = 0) -> float:
    """The longest wait after failures: ``setting`` when given (seconds > 0), else by where the
    server is."""
    if setting > 0:
        return float(setting)
    return LAN_MAX if on_lan(url) else WAN_MAX


def delay(failures: int, cap: float, rnd: random.Random) -> float:
    """The wait before the next round after ``failures`` failed rounds in a row."""
    if failures == 0:
        return INTERVAL
    return rnd.uniform(0, min(cap, INTERVAL * 2 ** min(failures, 32)))
