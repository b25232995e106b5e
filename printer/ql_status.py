"""A Brother QL printer's 32-byte status reply (``ESC i S``, and the ones it sends by itself
while printing), read into words an installer can act on: no labels, end of the roll, cutter
jam, cover open, the wrong labels loaded (named: "loaded 29 mm, the badge needs 62 mm"), a
print head cooling down.  Byte layout from Brother's QL raster command reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from printer.ql_raster import MODELS, Media
from printer.status import Status

STATUS_SIZE = 32
HEADER = b"\x80\x20\x42"  # print head mark, size 32, 'B'

# Status type (byte 18)
REPLY, PRINTING_COMPLETED, ERROR_OCCURRED, TURNED_OFF, NOTIFICATION, PHASE_CHANGE = 0, 1, 2, 4, 5, 6
COOLING_STARTED, COOLING_FINISHED = 3, 4  # notification number (byte 22)

# Error information 1 (byte 8) and 2 (byte 9), bit by bit, with the coarse state each means.
_ERRORS_1 = {
    0x01: ("no labels are loaded", Status.PAPER_OUT),
    0x02: ("the label roll has run out", Status.PAPER_OUT),
    0x04: ("the cutter is jammed", Status.OFFLINE),
    0x10: ("the printer is busy with another job", Status.OFFLINE),
    0x20: ("the printer is turned off", Status.OFFLINE),
    0x80: ("the printer's fan does not work", Status.OFFLINE),
}
_ERRORS_2 = {
    0x01: ("the loaded labels are not the ones this job is for", Status.OFFLINE),
    0x02: ("the printer's buffer is full", Status.OFFLINE),
    0x04: ("a transmission error", Status.OFFLINE),
    0x10: ("the printer cover is open", Status.COVER_OPEN),
    0x40: ("the labels cannot be fed (the roll may have run out)", Status.PAPER_OUT),
    0x80: ("the printer reports a system error", Status.OFFLINE),
}
_MODEL_NAMES = {m.code: m.name for m in reversed(list(MODELS.values()))}


@dataclass(frozen=True)
class QLStatus:
    raw: bytes

    @classmethod
    def parse(cls, raw: bytes) -> "QLStatus | None":
        """The status in ``raw`` (exactly 32 bytes), or None when it is not one."""
        if len(raw) != STATUS_SIZE or not raw.startswith(HEADER):
            return None
        return cls(bytes(raw))

    @property
    def model(self) -> str:
        return _MODEL_NAMES.get(self.raw[4], f"model code 0x{self.raw[4]:02X}")

    @property
    def status_type(self) -> int:
        return self.raw[18]

    @property
    def loaded_width(self) -> int:
        return self.raw[10]

    @property
    def loaded_length(self) -> int:
        return self.raw[17]

    @property
    def loaded_die_cut(self) -> bool:
        return self.raw[11] & 0x0F == 0x0B  # 0x0B, and 0x4B on the QL-800 series

    @property
    def has_media(self) -> bool:
        return self.raw[11] != 0 and self.loaded_width != 0

    @property
    def cooling(self) -> bool:
        return self.status_type == NOTIFICATION and self.raw[22] == COOLING_STARTED

    @property
    def completed(self) -> bool:
        return self.status_type == PRINTING_COMPLETED

    def faults(self) -> list[tuple[str, Status]]:
        """The printer's own error bits, in words, with the coarse state each means."""
        found = [entry for bit, entry in _ERRORS_1.items() if self.raw[8] & bit]
        found += [entry for bit, entry in _ERRORS_2.items() if self.raw[9] & bit]
        if self.status_type == TURNED_OFF and not found:
            found.append(("the printer is turned off", Status.OFFLINE))
        return found

    def loaded(self) -> str:
        if not self.has_media:
            return "no labels"
        if self.loaded_die_cut:
            return f"{self.loaded_width}x{self.loaded_length} mm die-cut labels"
        return f"{self.loaded_width} mm continuous tape"

    def mismatch(self, wanted: Media) -> str | None:
        """Why the loaded roll is not ``wanted``, in words, or None when it is."""
        if not self.has_media:
            return None  # the "no labels" fault says it
        if self.loaded_width != wanted.width_mm:
            return (f"wrong labels: loaded {self.loaded_width} mm, the badge needs {wanted.width_mm} mm "
                    f"({self.loaded()} loaded, the printer URL names {wanted.describe()} {wanted.dk})")
        if self.loaded_die_cut != wanted.die_cut or (wanted.die_cut and self.loaded_length != wanted.length_mm):
            return f"wrong labels: loaded {self.loaded()}, the badge needs {wanted.describe()} ({wanted.dk})"
        return None

    def problems(self, wanted: Media) -> list[tuple[str, Status]]:
        """Everything that stops ``wanted`` printing now; empty when it can print."""
        found = self.faults()
        wrong = self.mismatch(wanted)
        if wrong:
            # The printer's own "replace media" bit says less than we can: name both rolls.
            found = [f for f in found if f[0] != _ERRORS_2[0x01][0]] + [(wrong, Status.OFFLINE)]
        return found

    def words(self, wanted: Media) -> str:
        problems = self.problems(wanted)
        if problems:
            return "; ".join(text for text, _ in problems)
        if self.cooling:
            return "ready (the print head is cooling down after over-heating: printing resumes by itself)"
        return f"ready ({self.loaded()} loaded)"

    def state(self, wanted: Media) -> Status:
        problems = self.problems(wanted)
        return problems[0][1] if problems else Status.READY


def frames(buffer: bytearray) -> list[QLStatus]:
    """Take every whole status reply out of ``buffer`` (bytes as they came from the printer),
    skipping anything before a header, and leave a partial one for the next read."""
    found = []
    while True:
        start = buffer.find(HEADER)
        if start < 0:
            del buffer[:max(0, len(buffer) - len(HEADER) + 1)]
            return found
        del buffer[:start]
        if len(buffer) < STATUS_SIZE:
            return found
        status = QLStatus.parse(bytes(buffer[:STATUS_SIZE]))
        del buffer[:STATUS_SIZE]
        if status is not None:
            found.append(status)
