"""Zero window: a receiver with a small SO_RCVBUF that pauses its reads while the sender pushes data.

server: zerowindow.py server ADDR PORT RCVBUF PAUSE_S
client: zerowindow.py client ADDR PORT BYTES
The server sleeps PAUSE_S before its first read, then reads 4 KiB every 10 ms: its window closes (zero window),
the sender probes, and the window reopens as the application reads.
"""
import socket
import sys
import time

from common import accept_one, emit, pattern, sha256


def server(address, port, rcvbuf, pause):
    conn = accept_one(address, port, timeout=20, rcvbuf=rcvbuf)
    effective = conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    time.sleep(pause)
    received = bytearray()
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            break
        received += chunk
        time.sleep(0.01)
    conn.close()
    emit(role="server", so_rcvbuf_requested=rcvbuf, so_rcvbuf_effective=effective, pause_s=pause,
         bytes_received=len(received), sha256_received=sha256(bytes(received)))


def client(address, port, size):
    data = pattern(size, seed=7)
    sock = socket.create_connection((address, port), timeout=30)
    start = time.monotonic()
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    sock.recv(1)
    sock.close()
    emit(role="client", bytes_sent=size, sha256_sent=sha256(data), seconds=round(time.monotonic() - start, 3))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
