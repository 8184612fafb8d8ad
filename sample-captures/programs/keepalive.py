"""SO_KEEPALIVE with short timers, then SO_LINGER {1, 0}: the close sends an RST instead of a FIN.

server: keepalive.py server ADDR PORT
client: keepalive.py client ADDR PORT IDLE_S
The client enables keep-alive (TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s), stays idle IDLE_S seconds so that
probes go out and are answered, then closes with linger {on, 0 s}.
"""
import socket
import struct
import sys
import time

from common import accept_one, emit


def server(address, port):
    conn = accept_one(address, port, timeout=20)
    request = conn.recv(100)
    conn.sendall(b"pong")
    error = ""
    try:
        tail = conn.recv(100)
    except ConnectionResetError as exc:
        error = "ECONNRESET" if exc.errno == 104 else str(exc)
        tail = b""
    conn.close()
    emit(role="server", request=request.decode(), closed_by=("reset" if error else "fin"), error=error, trailing_bytes=len(tail))


def client(address, port, idle):
    sock = socket.create_connection((address, port), timeout=20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)
    sock.sendall(b"ping")
    sock.recv(4)
    time.sleep(idle)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    emit(role="client", keepidle_s=1, keepintvl_s=1, idle_s=idle, expected_probes_at_least=int(idle) - 1, close="linger{1,0} -> RST")


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
