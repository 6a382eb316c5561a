"""Before MLMD connects: resolve the host and open a TCP connection (reading a MySQL server's
greeting), so a DNS failure, a server that is down and a refused login are told apart — MLMD
reports all three as "mysql_real_connect failed" with an empty message."""

from __future__ import annotations

import socket
from dataclasses import dataclass

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, kw_only=True)
class Probe:
    ok: bool
    problem: str = ""  # dns | refused | timeout | rejected | not-mysql (when not ok)
    detail: str = ""  # the resolver's or socket's words, or the server's error message
    server: str = ""  # e.g. "10.11.19-MariaDB-0+deb12u1" (MySQL greeting)


def probe(host: str, port: int, *, mysql: bool, timeout: float = TIMEOUT_SECONDS) -> Probe:
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return Probe(ok=False, problem="dns", detail=exc.strerror or str(exc))
    except UnicodeError as exc:  # an empty or over-long label: no resolver could look it up
        return Probe(ok=False, problem="dns", detail=f"not a valid host name: {exc}")
    last = Probe(ok=False, problem="refused", detail="no address")
    for family, kind, proto, _, address in addresses:
        try:
            with socket.socket(family, kind, proto) as s:
                s.settimeout(timeout)
                s.connect(address)
                return _greeting(s) if mysql else Probe(ok=True)
        except TimeoutError:
            last = Probe(ok=False, problem="timeout", detail=f"no answer within {timeout:.0f} s")
        except OSError as exc:
            last = Probe(ok=False, problem="refused", detail=exc.strerror or str(exc))
    return last


def _greeting(s: socket.socket) -> Probe:
    """A MySQL server speaks first: a packet (3-byte length, sequence byte) holding protocol
    version 10 and the server version, or an error packet (0xff, code, message) when it will
    not talk to this host. Read by hand: the stack has no MySQL client library, and this
    is the one packet needed."""
    header = _read(s, 4)
    length = int.from_bytes(header[:3], "little")
    payload = _read(s, min(length, 4096))
    if payload[:1] == b"\xff":
        code = int.from_bytes(payload[1:3], "little")
        message = payload[3:].lstrip(b"#")[5:] if payload[3:4] == b"#" else payload[3:]
        text = message.decode(errors="replace")
        return Probe(ok=False, problem="rejected", detail=f"{code}: {text}")
    if payload[:1] != b"\x0a":
        return Probe(ok=False, problem="not-mysql", detail=f"first bytes {payload[:8]!r}")
    return Probe(ok=True, server=payload[1:].split(b"\0", 1)[0].decode(errors="replace"))


def _read(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("the server closed the connection before greeting")
        data += chunk
    return data
