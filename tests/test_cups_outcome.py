"""What a label job through CUPS is called when CUPS stops answering: against a small IPP
server on 127.0.0.1 (the outside boundary) that takes the job and then goes silent. A job CUPS
took may still print, so it is "unknown, check the printer", never "not printed" (reception
would reprint and revoke the badge in the visitor's hand); a CUPS nobody answers for took
nothing, so a fallback printer may print the badge."""

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from printer import ipp
from printer.device import open_printer
from printer.outcome import PrintOutcomeUnknown


def answer(status: int, attributes: list) -> bytes:
    return ipp.encode(status, [(ipp.OPERATION, ipp.CHARSET, "attributes-charset", "utf-8"),
                               (ipp.OPERATION, ipp.LANGUAGE, "attributes-natural-language", "en")] + attributes)


class SilentAfterTheJob(BaseHTTPRequestHandler):
    """A ready queue that takes one job, then never answers again."""

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        operation = struct.unpack(">H", body[2:4])[0]
        if operation == ipp.GET_PRINTER_ATTRIBUTES:
            data = answer(0, [(ipp.PRINTER, ipp.ENUM, "printer-state", ipp.PRINTER_IDLE),
                              (ipp.PRINTER, ipp.BOOLEAN, "printer-is-accepting-jobs", True)])
        elif operation == ipp.PRINT_JOB:
            data = answer(0, [(ipp.JOB, ipp.INTEGER, "job-id", 7)])
        else:  # asked how the job goes: the connection just closes (cupsd restarted)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/ipp")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def silent_cups():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SilentAfterTheJob)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_job_cups_took_is_unknown_when_cups_then_stops_answering(silent_cups):
    printer = open_printer(f"cups://QL820?media=62mm&server={silent_cups}&timeout=5")
    with pytest.raises(PrintOutcomeUnknown, match="^unknown, check the printer: CUPS took job 7"):
        printer.print_image(Image.new("1", (printer.width, 300), 1))


def test_a_cups_nobody_answers_for_took_nothing_so_a_fallback_may_print():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    printer = open_printer(f"cups://QL820?media=62mm&server=127.0.0.1:{port}")
    with pytest.raises(Exception, match="cannot be reached") as refused:
        printer.print_image(Image.new("1", (printer.width, 300), 1))
    assert refused.value.reached_printer is False
