"""Zero window: a receiver with a small SO_RCVBUF that pauses its reads while the sender pushes data.

server: zerowindow.py server ADDR PORT RCVBUF PAUSES CHUNKS
client: zerowindow.py client ADDR PORT BYTES
PAUSES is a comma-separated list of seconds. For each, the server stops reading for that long, then reads CHUNKS
reads of 4 KiB, one every 10 ms; after the last it reads to the end at the same pace. During each pause its
window closes (zero window), the sender probes, and the window reopens when the application reads again. Each
pause's wall-clock start and end (the capture's clock) are part of the truth.
"""
import socket
import sys
import time

from common import accept_one, emit, pattern, sha256


def server(address, port, rcvbuf, pauses, chunks):
    conn = accept_one(address, port, timeout=20, rcvbuf=rcvbuf)
    effective = conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    received = bytearray()
    paused = []
    done = False
    for pause in pauses:
        start = time.time()
        time.sleep(pause)
        paused.append({"start": round(start, 6), "end": round(time.time(), 6), "seconds": pause})
        for _ in range(chunks):
            chunk = conn.recv(4096)
            if not chunk:
                done = True
                break
            received += chunk
            time.sleep(0.01)
        if done:
            break
    while not done:
        chunk = conn.recv(4096)
        if not chunk:
            break
        received += chunk
        time.sleep(0.01)
    conn.close()
    emit(role="server", so_rcvbuf_requested=rcvbuf, so_rcvbuf_effective=effective, pauses=paused,
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
        server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), [float(x) for x in sys.argv[5].split(",")], int(sys.argv[6]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
