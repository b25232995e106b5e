"""The USB backend: python-escpos's Usb with the whole-job deadline and the status reads the
job logic needs (printer.device), as its Network and our Serial have.

python-escpos gave each USB write the status timeout (1.5 s): a 58 mm printer whose buffer is
full takes a 256-row band only as fast as it prints it, and a slow one timed out mid-badge.
Here a write may take until the job's deadline; a status read waits 1.5 s, and after the job
as long as the job may take, for the printer answers only once the band ahead of our question
has made room for it in its buffer.
"""

from __future__ import annotations


from printer.deadline import JobDeadline


def usb_class(status_timeout: float):
    from escpos import printer as backends

    class Usb(JobDeadline, backends.Usb):
        """python-escpos's Usb, bounded by the job's deadline."""

        def _remaining_ms(self) -> int:
            return max(1, int(self._remaining() * 1000))

        def _raw(self, msg: bytes) -> None:
            self.device.write(self.out_ep, msg, self._remaining_ms())

        def _read(self) -> bytes:
            wait = self._remaining_ms()
            return bytes(self.device.read(self.in_ep, 16, wait if self.patient else min(int(status_timeout * 1000), wait)))

    return Usb
