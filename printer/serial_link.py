"""The serial backend: python-escpos's Serial with the whole-job deadline and the status reads
the job logic needs (printer.device), as its Network has.

python-escpos reads 16 bytes with the port's timeout, so each one-byte status answer cost the
whole timeout, and its writes had no bound at all: a line held by flow control blocked for
ever. Here a write may take until the job's deadline, a status answer is taken as soon as its
byte arrives, and after the job we wait for it as long as the job may take (the printer reads
our question only once the badge queued ahead of it has crossed the line).
"""

from __future__ import annotations


from printer.deadline import JobDeadline

# 115200 baud, 8N1: the factory setting of the serial port of most current ESC/POS receipt
# printers; a printer set otherwise prints its rate on its self-test page (?baudrate=N).
DEFAULT_BAUDRATE = 115200


def serial_class(status_timeout: float):
    from escpos import printer as backends

    class Serial(JobDeadline, backends.Serial):
        """python-escpos's Serial, bounded by the job's deadline."""

        def _raw(self, msg: bytes) -> None:
            self.device.write_timeout = self._remaining()
            self.device.write(msg)

        def _read(self) -> bytes:
            wait = self._remaining()
            self.device.timeout = wait if self.patient else min(status_timeout, wait)
            first = self.device.read(1)
            return first + self.device.read(self.device.in_waiting) if first else b""

        def drain(self) -> None:
            """Drop answers the printer sent unasked (a DLE EOT pattern inside image data)."""
            self.device.reset_input_buffer()

    return Serial
