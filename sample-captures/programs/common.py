"""Helpers shared by the scenario programs: every program prints one JSON line of truth on stdout."""
import hashlib
import json
import socket
import sys
import time


def emit(**facts):
    """Prints the program's truth as one JSON line and flushes."""
    print(json.dumps(facts, sort_keys=True), flush=True)


def recv_exact(sock, n):
    """Reads exactly n bytes or raises ConnectionError."""
    chunks = []
    while n > 0:
        chunk = sock.recv(n)
        if not chunk:
            raise ConnectionError("peer closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def pattern(n, seed=0):
    """Deterministic, non-repeating-looking bytes: the sha256 of a counter, chained."""
    out = bytearray()
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    while len(out) < n:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:n])


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def accept_one(address, port, timeout=30, rcvbuf=None):
    """Listens on address:port, accepts one connection and returns it (with the timeout set on it).
    SO_RCVBUF, when given, is set before listen() so the accepted socket inherits it and the handshake
    announces the small window."""
    listener = socket.socket(family_of(address), socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    listener.bind((address, port))
    listener.listen(1)
    listener.settimeout(timeout)
    conn, _ = listener.accept()
    listener.close()
    conn.settimeout(timeout)
    return conn


def now_ms():
    return time.monotonic() * 1000.0


def arg(name, default=None, cast=str):
    """--name value from argv."""
    if name in sys.argv:
        return cast(sys.argv[sys.argv.index(name) + 1])
    return default
