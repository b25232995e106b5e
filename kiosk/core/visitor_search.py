"""Reception's search for a visitor as it types: the host directory's index (kiosk.core.hosts)
over visits instead of hosts, so a visitor is found every way a host is (张三 by 张, zhangsan,
zs, 张s), their company by its pinyin (huawei finds 华为's visitors), the host they came to see
by name or pinyin. (A badge number is looked up exactly by kiosk.services: as a prefix, two
or three characters would match random badges.)

Pure: the caller (kiosk.services) chooses the visits and keeps the index while the log is
unchanged."""

from __future__ import annotations

from typing import Iterable

from kiosk.core.hosts import Host, HostIndex
from kiosk.core.visits import Visit


def _as_entry(visit: Visit) -> Host:
    """A visit as an index entry: the visitor's name is the name, the company the department
    (found by pinyin like a department), the host's name one more name."""
    host_name = str(visit.host.get("name", "") or "")
    aliases = (host_name,) if host_name else ()
    return Host(host_id=visit.visit_id, name=str(visit.visitor.get("name", "") or ""),
                department=str(visit.visitor.get("company", "") or ""), aliases=aliases)


class VisitorIndex:
    """Visits ready for search as reception types."""

    def __init__(self, visits: Iterable[Visit]):
        self._visits = {v.visit_id: v for v in visits if v.visitor}
        self._index = HostIndex(_as_entry(v) for v in self._visits.values())

    def __len__(self) -> int:
        return len(self._visits)

    def search(self, query: str, limit: int = 200) -> list[Visit]:
        """Visits matching ``query``, newest first, at most ``limit``."""
        found = [self._visits[entry.host_id] for entry in self._index.search(query, limit)]
        return sorted(found, key=lambda v: (-(v.signed_in_at or 0), v.visit_id))
