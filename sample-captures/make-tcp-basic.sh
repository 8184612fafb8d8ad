#!/usr/bin/env bash
# Regenerates sample-captures/tcp-basic.pcap: real Linux traffic between two network namespaces joined by a
# veth pair, with documentation addresses only (192.0.2.0/24, 2001:db8::/32). Run as root on Linux; needs
# iproute2, tcpdump and python3. Everything it creates is removed on exit; every loop is bounded.
#
# What the capture holds (the server side's view, tcpdump on the server's veth):
#   - three HTTP/1.0 requests over IPv4 (three TCP connections, each closed with FIN);
#   - one HTTP request over IPv6 (a fourth TCP connection);
#   - five UDP datagrams to a UDP echo service, and their echoes (one UDP flow);
#   - one ICMP echo request/reply pair.
set -euo pipefail
out="${1:-$(dirname "$0")/tcp-basic.pcap}"
tag="pi$$"
client="${tag}c"; server="${tag}s"
cleanup() {
  [ -n "${tcpdump_pid:-}" ] && kill "$tcpdump_pid" 2>/dev/null || true
  [ -n "${http_pid:-}" ] && kill "$http_pid" 2>/dev/null || true
  [ -n "${udp_pid:-}" ] && kill "$udp_pid" 2>/dev/null || true
  ip netns del "$client" 2>/dev/null || true
  ip netns del "$server" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$client"
ip netns add "$server"
ip link add veth0 netns "$client" type veth peer name veth0 netns "$server"
ip -n "$client" addr add 192.0.2.1/24 dev veth0
ip -n "$server" addr add 192.0.2.2/24 dev veth0
ip -n "$client" addr add 2001:db8::1/64 dev veth0 nodad
ip -n "$server" addr add 2001:db8::2/64 dev veth0 nodad
for ns in "$client" "$server"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" link set veth0 up
  # No offload: frames in the capture are what the wire would carry.
  ip netns exec "$ns" ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1 || true
done

www=$(mktemp -d)
head -c 20000 /dev/urandom | base64 > "$www/index.txt"
ip netns exec "$server" timeout 30 python3 -m http.server 8080 --bind :: --directory "$www" >/dev/null 2>&1 &
http_pid=$!
ip netns exec "$server" timeout 30 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 5353))
s.settimeout(20)
for _ in range(5):
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
' &
udp_pid=$!

ip netns exec "$server" tcpdump -i veth0 -s 0 --immediate-mode -U -w "$out" -Z root \
  'tcp port 8080 or udp port 5353 or icmp' >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1

fetch() { ip netns exec "$client" timeout 10 python3 -c '
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5).read()' "$1"; }
for _ in 1 2 3; do
  for i in $(seq 1 50); do fetch http://192.0.2.2:8080/index.txt && break; sleep 0.1; done
done
fetch "http://[2001:db8::2]:8080/index.txt"
ip netns exec "$client" timeout 10 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(5):
    s.sendto(b"seq=%d " % i + b"x" * 100, ("192.0.2.2", 5353))
    s.recvfrom(2048)
'
if command -v ping >/dev/null; then ip netns exec "$client" ping -c 1 -W 2 192.0.2.2 >/dev/null; fi
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
rm -rf "$www"
echo "wrote $out"
