"""A bulk TCP transfer with byte-exact truth on both ends.

server: bulk.py server ADDR PORT
client: bulk.py client ADDR PORT BYTES
The client sends BYTES of a deterministic pattern and half-closes; the server reads all, then sends 64 KiB of
another pattern and closes; each side records the sha256 of what it sent and received, per direction.
"""
import socket
import sys
import time

from common import accept_one, emit, pattern, sha256

REPLY_BYTES = 65536


def server(address, port):
    conn = accept_one(address, port, timeout=30)
    received = bytearray()
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        received += chunk
    reply = pattern(REPLY_BYTES, seed=13)
    conn.sendall(reply)
    conn.close()
    emit(role="server", bytes_received=len(received), sha256_received=sha256(bytes(received)),
         bytes_sent=len(reply), sha256_sent=sha256(reply))


def client(address, port, size):
    data = pattern(size, seed=11)
    sock = socket.create_connection((address, port), timeout=30)
    start = time.monotonic()
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    reply = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    mss = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
    sock.close()
    emit(role="client", bytes_sent=size, sha256_sent=sha256(data), bytes_received=len(reply), sha256_received=sha256(bytes(reply)),
         final_mss=mss, seconds=round(time.monotonic() - start, 3))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
