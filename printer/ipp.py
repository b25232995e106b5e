"""A minimal IPP/1.1 client (RFC 8010 encoding, RFC 8011 operations) over Python's own
http.client: enough to submit a job to CUPS, follow it to the end and read a queue's state.

Why our own and not pycups or ``lp``: pycups is GPL-2.0 and a C extension to build (the
project is MIT); ``lp`` says "request id is Q-12" in the user's language and nothing about
how the job ends. IPP is CUPS's own protocol: a job id back, then its state on request.
The server is a ``host:port`` or the path of CUPS's local socket.
"""

from __future__ import annotations

import http.client
import socket
import struct
from dataclasses import dataclass, field
from itertools import count

from printer.errors import PrinterError

PRINT_JOB, CANCEL_JOB, GET_JOB_ATTRIBUTES, GET_PRINTER_ATTRIBUTES = 0x0002, 0x0008, 0x0009, 0x000B

OPERATION, JOB, PRINTER, END = 0x01, 0x02, 0x04, 0x03
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
RESOLUTION, RANGE, BEGIN_COLLECTION, END_COLLECTION = 0x32, 0x33, 0x34, 0x37
TEXT, NAME, KEYWORD, URI, CHARSET, LANGUAGE, MIME = 0x41, 0x42, 0x44, 0x45, 0x47, 0x48, 0x49
_STRINGS = set(range(0x40, 0x50)) | {0x35, 0x36}

# Job states (RFC 8011 5.3.7) and the printer's (5.4.11).
PENDING, HELD, PROCESSING, STOPPED, CANCELED, ABORTED, COMPLETED = 3, 4, 5, 6, 7, 8, 9
PRINTER_IDLE, PRINTER_PROCESSING, PRINTER_STOPPED = 3, 4, 5


class IppError(PrinterError):
    """The CUPS server could not be reached or answered with an IPP error."""

    code = "cups"
    request_sent = False  # the whole request reached the server before its answer failed


@dataclass
class Response:
    status: int
    groups: list[tuple[int, dict]] = field(default_factory=list)

    def group(self, tag: int) -> dict:
        """The attributes of the first group with this tag (empty if none)."""
        return next((attrs for t, attrs in self.groups if t == tag), {})

    @property
    def ok(self) -> bool:
        return self.status < 0x0100

    @property
    def message(self) -> str:
        text = self.group(OPERATION).get("status-message", [""])[0]
        return text or f"IPP status 0x{self.status:04x}"


_request_ids = count(1)


def encode(operation: int, attributes: list[tuple[int, int, str, object]]) -> bytes:
    """An IPP request: ``attributes`` is a list of (group, value tag, name, value)."""
    out = bytearray(struct.pack(">BBHI", 1, 1, operation, next(_request_ids)))
    group = None
    for tag_group, tag, name, value in attributes:
        if tag_group != group:
            out.append(tag_group)
            group = tag_group
        for i, one in enumerate(value if isinstance(value, list) else [value]):
            data = _encode_value(tag, one)
            label = b"" if i else name.encode()
            out += struct.pack(">BH", tag, len(label)) + label + struct.pack(">H", len(data)) + data
    out.append(END)
    return bytes(out)


def _encode_value(tag: int, value) -> bytes:
    if tag in (INTEGER, ENUM):
        return struct.pack(">i", value)
    if tag == BOOLEAN:
        return bytes([1 if value else 0])
    return str(value).encode()


def decode(body: bytes) -> Response:
    """An IPP response; collections (media-col and the like) are skipped, we need none."""
    if len(body) < 8:
        raise IppError("not printed: the CUPS server sent no IPP answer")
    status = struct.unpack(">H", body[2:4])[0]
    response, attrs, name, depth, i = Response(status), None, "", 0, 8
    while i < len(body):
        tag = body[i]
        i += 1
        if tag == END:
            break
        if tag < 0x10:  # a new attribute group
            attrs = {}
            response.groups.append((tag, attrs))
            continue
        name_len = struct.unpack(">H", body[i:i + 2])[0]
        label = body[i + 2:i + 2 + name_len].decode(errors="replace")
        i += 2 + name_len
        value_len = struct.unpack(">H", body[i:i + 2])[0]
        raw = body[i + 2:i + 2 + value_len]
        i += 2 + value_len
        if tag == BEGIN_COLLECTION or tag == END_COLLECTION or depth:
            depth += {BEGIN_COLLECTION: 1, END_COLLECTION: -1}.get(tag, 0)
            continue
        if label:
            name = label
        if attrs is not None:
            attrs.setdefault(name, []).append(_decode_value(tag, raw))
    return response


def _decode_value(tag: int, raw: bytes):
    if tag in (INTEGER, ENUM) and len(raw) == 4:
        return struct.unpack(">i", raw)[0]
    if tag == BOOLEAN:
        return bool(raw and raw[0])
    if tag == RESOLUTION and len(raw) == 9:
        return struct.unpack(">iib", raw)
    if tag == RANGE and len(raw) == 8:
        return struct.unpack(">ii", raw)
    if tag in _STRINGS:
        if tag in (0x35, 0x36) and len(raw) >= 2:  # with a language: skip it
            skip = struct.unpack(">H", raw[:2])[0]
            raw = raw[4 + skip:]
        return raw.decode(errors="replace")
    return raw


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class IppClient:
    """Requests to one CUPS server: ``host:port``, ``host`` (port 631) or a socket path."""

    def __init__(self, server: str, timeout: float = 10.0):
        self.server = server
        self.timeout = timeout

    def printer_uri(self, queue: str) -> str:
        host = "localhost" if self.server.startswith("/") else self.server
        return f"ipp://{host}/printers/{queue}"

    def request(self, operation: int, path: str, attributes: list, document: bytes = b"") -> Response:
        header = [(OPERATION, CHARSET, "attributes-charset", "utf-8"),
                  (OPERATION, LANGUAGE, "attributes-natural-language", "en")]
        body = encode(operation, header + attributes) + document
        connection = self._connect()
        sent = False
        try:
            connection.request("POST", path, body, {"Content-Type": "application/ipp"})
            sent = True
            reply = connection.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            error = IppError(f"the CUPS server {self.server} cannot be reached: {_reason(exc)}")
            error.request_sent = sent  # a job sent whole may be printing though its answer was lost
            raise error from None
        finally:
            connection.close()
        if reply.status != 200:
            raise IppError(f"the CUPS server {self.server} answered HTTP {reply.status} {reply.reason}")
        return decode(data)

    def _connect(self) -> http.client.HTTPConnection:
        if self.server.startswith("/"):
            return _UnixConnection(self.server, self.timeout)
        host, _, port = self.server.rpartition(":") if self.server.count(":") == 1 else (self.server, "", "631")
        return http.client.HTTPConnection(host, int(port or 631), timeout=self.timeout)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is cupsd running?)"
    if isinstance(exc, FileNotFoundError):
        return "no such socket (is cups installed and running?)"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "no answer in time"
    return " ".join(str(exc).split())[:200] or type(exc).__name__
