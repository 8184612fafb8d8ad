"""UDP with a sequence number in every datagram.

server: udp.py server ADDR PORT RCVBUF PAUSE_S EXPECT_S
client: udp.py client ADDR PORT COUNT SIZE GAP_US
Each datagram starts with 'seq=NNNNNNNN ' and is SIZE bytes long (above the MTU it is fragmented by IP).
The server sets SO_RCVBUF, sleeps PAUSE_S (letting its queue overflow: the kernel's Udp RcvbufErrors), then
reads for up to EXPECT_S seconds and records which sequence numbers arrived.
"""
import socket
import sys
import time

from common import emit, family_of


def server(address, port, rcvbuf, pause, expect):
    sock = socket.socket(family_of(address), socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((address, port))
    effective = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    time.sleep(pause)
    sock.settimeout(0.5)
    seen = []
    deadline = time.monotonic() + expect
    while time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            if seen:
                break
            continue
        if data.startswith(b"seq="):
            seen.append(int(data[4:12]))
    emit(role="server", so_rcvbuf_effective=effective, received=len(seen), received_seq=seen,
         duplicates=len(seen) - len(set(seen)), reordered=sum(1 for a, b in zip(seen, seen[1:]) if b < a))


def client(address, port, count, size, gap_us):
    sock = socket.socket(family_of(address), socket.SOCK_DGRAM)
    sent = 0
    for i in range(count):
        head = b"seq=%08d " % i
        sock.sendto(head + b"u" * (size - len(head)), (address, port))
        sent += 1
        if gap_us:
            time.sleep(gap_us / 1e6)
    emit(role="client", sent=sent, size=size)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
