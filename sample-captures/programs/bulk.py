"""A bulk TCP transfer with byte-exact truth on both ends.

server: bulk.py server ADDR PORT
client: bulk.py client ADDR PORT BYTES
The client sends BYTES of a deterministic pattern and half-closes; the server reads all, records sha256 and
replies with 1 byte.
"""
import socket
import sys
import time

from common import emit, family_of, pattern, sha256


def server(address, port):
    listener = socket.socket(family_of(address), socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(1)
    listener.settimeout(30)
    conn, _ = listener.accept()
    conn.settimeout(30)
    received = bytearray()
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        received += chunk
    conn.sendall(b"k")
    conn.close()
    emit(role="server", bytes_received=len(received), sha256_received=sha256(bytes(received)))


def client(address, port, size):
    data = pattern(size, seed=11)
    sock = socket.create_connection((address, port), timeout=30)
    start = time.monotonic()
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    sock.recv(1)
    mss = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
    sock.close()
    emit(role="client", bytes_sent=size, sha256_sent=sha256(data), final_mss=mss, seconds=round(time.monotonic() - start, 3))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
