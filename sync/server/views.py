"""What each role reads: the parts of the site's events and of the host directory a device of
that role is handed, so that lobby hardware holds no more than it needs should it be stolen or
its token leak.

- Exit posts get every event of their site as kiosk.core.exit_view redacts it (no visitor
  phone numbers, purposes, answers, signatures, watchlist matches or free text), and the host
  directory without contact details or notice channels: they tell no host.
- Visitor kiosks and reception get the events whole (they recognise returning visitors by phone
  and search by it) and the directory whole: both run the notifier (kiosk.ui.launch.notifier_for,
  ``kiosk notify``), which needs each host's email and phone and the host's own channels, whose
  URLs hold the secrets (bot keys, webhook secrets). Any host may be visited at any kiosk, so a
  notifying device needs every host's.
- Admins get everything.

The watchlist (visitor and reception devices only) and the visits list (reception and exit
posts; never phone numbers) are limited in sync.server.app itself.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kiosk.core import trust
from kiosk.core.exit_view import exit_view
from kiosk.core.hosts import Host
from sync.server.auth import Device, Principal


def events_for(who: Principal, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pulled events (Event.to_dict's form) as ``who`` may read them."""
    if not _is_exit(who):
        return found
    return [{**event, "data": exit_view(event["kind"], event["data"])} for event in found]


def hosts_for(who: Principal, hosts: list[Host]) -> list[Host]:
    """The host directory as ``who`` may read it."""
    if not _is_exit(who):
        return hosts
    return [replace(host, email="", phone="", channels=()) for host in hosts]


def _is_exit(who: Principal) -> bool:
    # Any device role that is not known to sign visitors in reads the least.
    return isinstance(who, Device) and who.role not in trust.KEY_HOLDERS
