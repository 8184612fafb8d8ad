"""A user-space Ethernet bridge that impairs traffic, for kernels without netem.

bridge.py IF_A IF_B --seed N [--loss P] [--reorder P] [--reorder-delay-ms D] [--outage-after K --outage-s S]
          [--drop-fragment-of DATAGRAMS] --log FILE --limit-s T

Forwards every frame between two interfaces through AF_PACKET sockets. Frames from A to B that carry TCP
payload may be dropped (--loss, a fraction), held back and sent after the next ones (--reorder, held
--reorder-delay-ms), or all dropped for --outage-s seconds after the K-th such segment (an outage, to make the
sender's retransmission timer back off). --drop-fragment-of drops one later fragment of the listed UDP
datagrams (by their order, counting first fragments from 0 in each IP family). Decisions come from a seeded generator and each
one is logged (direction, what, TCP sequence range or IP id) to --log as JSON when the bridge stops
(SIGTERM or --limit-s).
"""
import argparse
import heapq
import json
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6


def parse(frame):
    """(kind, details) for a frame: tcp-data with seq range, ipv4-fragment, or other."""
    if len(frame) < 34:
        return "other", {}
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        total = struct.unpack("!H", frame[16:18])[0]
        ip_id = struct.unpack("!H", frame[18:20])[0]
        flags_offset = struct.unpack("!H", frame[20:22])[0]
        proto = frame[23]
        offset = (flags_offset & 0x1FFF) * 8
        more = bool(flags_offset & 0x2000)
        if more or offset:
            return "ipv4-fragment", {"ip_id": ip_id, "offset": offset, "more": more, "proto": proto}
        if proto == 6:
            tcp = 14 + ihl
            seq = struct.unpack("!I", frame[tcp + 4:tcp + 8])[0]
            data_offset = (frame[tcp + 12] >> 4) * 4
            payload = total - ihl - data_offset
            if payload > 0:
                return "tcp-data", {"seq": seq, "len": payload}
    if ethertype == 0x86DD and len(frame) >= 62 and frame[20] == 44:
        # IPv6 with a fragment header right after the fixed header.
        offset_flags = struct.unpack("!H", frame[56:58])[0]
        ident = struct.unpack("!I", frame[58:62])[0]
        return "ipv6-fragment", {"ip_id": ident, "offset": offset_flags & 0xFFF8, "more": bool(offset_flags & 1), "proto": frame[54]}
    return "other", {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--reorder", type=float, default=0.0)
    ap.add_argument("--reorder-delay-ms", type=float, default=3.0)
    ap.add_argument("--outage-after", type=int, default=-1)
    ap.add_argument("--outage-s", type=float, default=0.0)
    ap.add_argument("--drop-fragment-of", default="")
    ap.add_argument("--log", required=True)
    ap.add_argument("--limit-s", type=float, default=60)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    drop_datagrams = {int(x) for x in args.drop_fragment_of.split(",") if x}
    socks = {}
    for name in (args.a, args.b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # A deep queue, so that bursts wait for this (slow, Python) bridge instead of being dropped unlogged.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((name, 0))
        socks[name] = s
    peer = {args.a: socks[args.b], args.b: socks[args.a]}
    log = []
    held = []          # (release time, order, frame): frames held back to be reordered
    order = 0
    data_segments = 0
    outage_until = None
    first_fragments = {"ipv4-fragment": 0, "ipv6-fragment": 0}
    fragment_datagram = {}   # (family, ip id) -> datagram number, counted per family
    dropped_ids = set()
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    deadline = time.monotonic() + args.limit_s
    while not stopping and time.monotonic() < deadline:
        timeout = 0.05
        if held:
            timeout = max(0.0, min(timeout, held[0][0] - time.monotonic()))
        try:
            readable, _, _ = select.select(list(socks.values()), [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, frame = heapq.heappop(held)
            socks[args.b].send(frame)
        for s in readable:
            frame, address = s.recvfrom(65535)
            if address[2] == PACKET_OUTGOING:
                continue  # our own transmissions, seen on the way out
            source = address[0]
            if source != args.a:
                peer[source].send(frame)
                continue
            kind, details = parse(frame)
            t = round(now, 6)
            if kind == "tcp-data":
                data_segments += 1
                if outage_until is None and data_segments == args.outage_after:
                    outage_until = now + args.outage_s
                    log.append({"t": t, "action": "outage-start", "seconds": args.outage_s})
                if outage_until is not None and now < outage_until:
                    log.append({"t": t, "action": "drop", "why": "outage", **details})
                    continue
                if rng.random() < args.loss:
                    log.append({"t": t, "action": "drop", "why": "loss", **details})
                    continue
                if rng.random() < args.reorder:
                    order += 1
                    heapq.heappush(held, (now + args.reorder_delay_ms / 1000.0, order, frame))
                    log.append({"t": t, "action": "reorder", "delay_ms": args.reorder_delay_ms, **details})
                    continue
            elif kind in ("ipv4-fragment", "ipv6-fragment"):
                key = (kind, details["ip_id"])
                if details["offset"] == 0:
                    fragment_datagram[key] = first_fragments[kind]
                    first_fragments[kind] += 1
                number = fragment_datagram.get(key, -1)
                # One fragment after the first of each chosen datagram: the datagram can never be reassembled.
                if number in drop_datagrams and details["offset"] > 0 and key not in dropped_ids:
                    dropped_ids.add(key)
                    log.append({"t": t, "action": "drop", "why": "fragment", "family": kind[:4], "datagram": number, **details})
                    continue
            socks[args.b].send(frame)
    for _, _, frame in sorted(held):
        socks[args.b].send(frame)
    # Frames the kernel dropped before this program read them would be unlogged loss: count them
    # (PACKET_STATISTICS: tp_packets, tp_drops) so the truth can require none.
    for name, s in socks.items():
        _, drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        log.append({"t": round(time.monotonic(), 6), "action": "socket-statistics", "interface": name, "kernel_drops": drops})
    with open(args.log, "w") as f:
        json.dump(log, f)


if __name__ == "__main__":
    main()
