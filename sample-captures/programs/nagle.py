"""Nagle x delayed ACK: the classic write(header) + write(body) + read(reply) request loop.

server: nagle.py server ADDR PORT COUNT
client: nagle.py client ADDR PORT COUNT MODE     MODE: nagle | nodelay | cork
Each request is a 20-byte header then a 200-byte body in two write() calls; the reply is 100 bytes.
With Nagle on, the body waits for the ACK of the header, which the server delays (~40 ms on Linux),
since it has nothing to send until the whole request is in. TCP_NODELAY sends the body at once;
TCP_CORK sends header and body as one segment.
"""
import socket
import sys

from common import accept_one, emit, now_ms, recv_exact

HEADER, BODY, REPLY = 20, 200, 100


def server(address, port, count):
    conn = accept_one(address, port, timeout=20)
    served = 0
    for _ in range(count):
        recv_exact(conn, HEADER)
        recv_exact(conn, BODY)
        conn.sendall(b"r" * REPLY)
        served += 1
    conn.close()
    emit(role="server", requests_served=served)


def client(address, port, count, mode):
    sock = socket.create_connection((address, port), timeout=20)
    if mode == "nodelay":
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    latencies = []
    for _ in range(count):
        start = now_ms()
        if mode == "cork":
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        sock.send(b"h" * HEADER)
        sock.send(b"b" * BODY)
        if mode == "cork":
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        recv_exact(sock, REPLY)
        latencies.append(round(now_ms() - start, 3))
    sock.close()
    ordered = sorted(latencies)
    emit(role="client", mode=mode, requests=count, latency_ms=latencies,
         latency_median_ms=ordered[len(ordered) // 2], slow_requests_over_20ms=sum(1 for x in latencies if x > 20),
         bytes_sent=count * (HEADER + BODY), bytes_received=count * REPLY)


if __name__ == "__main__":
    role, address, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if role == "server":
        server(address, port, count)
    else:
        client(address, port, count, sys.argv[5])
