"""Hostile targets for the server role (issue 9): loopback servers that hang, drip, flood, answer garbage or
deeply nested JSON, or reset the connection. Each row says what the harness must make of it, within how long.

The catalog is data: `TARGETS` maps a name to a behaviour (a function serving one accepted connection) and the
expected outcome of one request. `Uploader._http` must end every request within its deadline, keep at most its
answer cap, and turn each misbehaviour into a transport error on the exchange (a finding), never an exception."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import Callable

DRIP_EVERY = 0.3   # seconds between two bytes of a dripping answer (the issue measured 20 s; same effect)
FLOOD_BYTES = 100 * 1024 * 1024  # the answer a flooding target announces and streams


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return
            body += chunk
    except OSError:
        return


def hang(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    stop.wait(600)


def drip(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}":
        if stop.wait(DRIP_EVERY):
            return
        conn.sendall(bytes([byte]))


def drip_body(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[")
    while not stop.wait(DRIP_EVERY):
        conn.sendall(b"0")


def flood(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % FLOOD_BYTES)
    chunk = b"0" * 1024 * 1024
    sent = 0
    while sent < FLOOD_BYTES and not stop.is_set():
        conn.sendall(chunk)
        sent += len(chunk)


def garbage(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    conn.sendall(bytes(range(256)) * 64)


def deep_json(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    body = b"[" * 200_000 + b"]" * 200_000
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                 + body)


def reset(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close


@dataclass(frozen=True)
class Hostile:
    serve: Callable[[socket.socket, threading.Event], None]
    error: str            # a fragment of the transport error the exchange must carry ("" : none)
    status: int | None    # the HTTP status the exchange must show
    within: float         # seconds the request may take at most (a generous bound for a busy 2-core CI)


TARGETS: dict[str, Hostile] = {
    "hang": Hostile(hang, "request deadline", None, 1.5 + 30),
    "drip-headers": Hostile(drip, "request deadline", None, 1.5 + 30),
    "drip-body": Hostile(drip_body, "request deadline", 200, 1.5 + 30),
    "flood": Hostile(flood, "larger than", 200, 1.5 + 30),
    "garbage": Hostile(garbage, "", None, 1.5 + 30),   # any transport error
    "deep-json": Hostile(deep_json, "", 200, 1.5 + 30),  # an answer, just not readable JSON: no error, no crash
    "reset": Hostile(reset, "", None, 1.5 + 30),
}


class HostileServer:
    """A loopback TCP server serving every connection with one hostile behaviour, until stopped."""

    def __init__(self, serve: Callable[[socket.socket, threading.Event], None]):
        self.serve, self.stop_event = serve, threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.threads: list[threading.Thread] = []

    def start(self) -> "HostileServer":
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def _accept(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            t = threading.Thread(target=self._one, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _one(self, conn: socket.socket) -> None:
        try:
            self.serve(conn, self.stop_event)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.sock.close()
        for t in self.threads:
            t.join(5)

    def __enter__(self) -> "HostileServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

