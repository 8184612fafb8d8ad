#!/usr/bin/env python3
"""Regenerates the sample captures from real Linux traffic, each with a truth file.

Run as root on Linux (needs iproute2, tcpdump, python3; nothing else):
    sudo sample-captures/generate.py                  # every scenario into sample-captures/
    sudo sample-captures/generate.py --out DIR NAME   # chosen scenarios into DIR

Each scenario gets a fresh lab: three network namespaces, client - router - server, joined by veth pairs,
with documentation addresses only (192.0.2.0/24 and 2001:db8:1::/64 on the client side, 198.51.100.0/24 and
2001:db8:2::/64 on the server side). tcpdump captures at both ends (--immediate-mode, so the last packets are
not lost when it is stopped); a capture whose "packets captured" differs from "received by filter" fails the run
(the scenario is run again in a fresh lab, up to three times in all, when that is its only failed check).
The client and server programs (programs/*.py) print what they sent and received; the kernel's counters
(/proc/net/snmp, /proc/net/netstat, /proc/net/snmp6: the `netstat -s` figures) are read in each namespace before
and after. All of it goes into NAME.truth.json, with checks that must hold (sent = received + lost, ...).
Everything created is removed on exit; every program has a time limit.
"""
import argparse
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")

CLIENT4, ROUTER_C4, ROUTER_S4, SERVER4 = "192.0.2.1", "192.0.2.254", "198.51.100.254", "198.51.100.1"
CLIENT6, ROUTER_C6, ROUTER_S6, SERVER6 = "2001:db8:1::1", "2001:db8:1::fe", "2001:db8:2::fe", "2001:db8:2::1"
BRIDGED_SERVER4, BRIDGED_SERVER6 = "192.0.2.2", "2001:db8:1::2"
# An overlay between client and server (a VXLAN tunnel whose endpoints are their underlay addresses above).
OVERLAY_CLIENT4, OVERLAY_SERVER4, OVERLAY_VNI = "203.0.113.1", "203.0.113.2", 42
# ARP, neighbour discovery and IPv6 multicast (MLD reports) are link chatter, not the scenario's traffic.
CAPTURE_FILTER = "not arp and not (ip6 and ip6[24] == 0xff) and not (icmp6 and ip6[40] >= 133)"
PROGRAM_TIMEOUT_S = 60


def sh(*args, check=True, **kwargs):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kwargs)


class Lab:
    """Three namespaces and two veth pairs; removed on exit."""

    def __init__(self, name, offload=False, server_side_mtu=None, bridge=None, overlay=None, overlay_mtu=None):
        self.tag = f"pi{os.getpid() % 100000}{name[:3]}"
        self.ns = {"client": self.tag + "c", "router": self.tag + "r", "server": self.tag + "s"}
        self.offload = offload
        self.server_side_mtu = server_side_mtu
        self.bridge_args = bridge
        self.bridge = None
        # Bridged, client and server share one subnet and the router only forwards frames (user space).
        self.server4, self.server6 = (BRIDGED_SERVER4, BRIDGED_SERVER6) if bridge is not None else (SERVER4, SERVER6)
        self.overlay = overlay
        self.overlay_mtu = overlay_mtu
        self.captures = {}
        self.procs = []

    def __enter__(self):
        # A setup that fails half-way must still remove what it made: `with` calls __exit__ only after __enter__ returns.
        try:
            return self._build()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _build(self):
        c, r, s = self.ns["client"], self.ns["router"], self.ns["server"]
        for ns in (c, r, s):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "c0", "netns", c, "type", "veth", "peer", "name", "r0", "netns", r)
        sh("ip", "link", "add", "s0", "netns", s, "type", "veth", "peer", "name", "r1", "netns", r)
        if self.bridge_args is None:
            addresses = ((c, "c0", CLIENT4, CLIENT6), (r, "r0", ROUTER_C4, ROUTER_C6), (r, "r1", ROUTER_S4, ROUTER_S6), (s, "s0", SERVER4, SERVER6))
        else:
            addresses = ((c, "c0", CLIENT4, CLIENT6), (r, "r0", None, None), (r, "r1", None, None), (s, "s0", BRIDGED_SERVER4, BRIDGED_SERVER6))
        for ns, dev, v4, v6 in addresses:
            if v4:
                sh("ip", "-n", ns, "addr", "add", v4 + "/24", "dev", dev)
                sh("ip", "-n", ns, "addr", "add", v6 + "/64", "dev", dev, "nodad")
            if not self.offload:
                # Offloads off: frames in the capture are what a wire would carry. Through the user-space bridge
                # the checksums must be complete too (veth leaves them to "hardware" otherwise).
                extra = ["tx", "off"] if self.bridge_args is not None else []
                sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", *extra, check=False)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        if self.server_side_mtu:
            # Only the router's side: the server still announces MSS 1460, so the client's full-size segments
            # meet the small MTU at the router, which answers with ICMP fragmentation-needed.
            sh("ip", "-n", r, "link", "set", "r1", "mtu", str(self.server_side_mtu))
        if self.bridge_args is None:
            for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"):
                sh("ip", "netns", "exec", r, "sysctl", "-qw", key)
            sh("ip", "-n", c, "route", "add", "default", "via", ROUTER_C4)
            sh("ip", "-n", c, "-6", "route", "add", "default", "via", ROUTER_C6)
            if self.server_side_mtu:
                # The server's own sends must fit the router's small link too (an oversized frame arriving on a
                # veth is dropped without ICMP), while it still announces a full-size MSS: a route MTU with an
                # explicit advmss, as on a path whose bottleneck is a hop away from the server.
                limits4 = ["mtu", str(self.server_side_mtu), "advmss", "1460"]
                limits6 = ["mtu", str(self.server_side_mtu), "advmss", "1440"]
            else:
                limits4 = limits6 = []
            sh("ip", "-n", s, "route", "add", "default", "via", ROUTER_S4, *limits4)
            sh("ip", "-n", s, "-6", "route", "add", "default", "via", ROUTER_S6, *limits6)
        else:
            self.bridge_log = os.path.join("/tmp", self.tag + "-bridge.json")
            self.bridge = subprocess.Popen(["ip", "netns", "exec", r, "python3", os.path.join(PROGRAMS, "bridge.py"), "r0", "r1",
                                            "--log", self.bridge_log, "--limit-s", str(PROGRAM_TIMEOUT_S), *self.bridge_args],
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if self.bridge.stdout.readline().strip() != "ready":
                raise RuntimeError("bridge did not start: " + self.bridge.stderr.read())
        if self.overlay == "vxlan":
            # Each end a VXLAN tunnel endpoint on its underlay address (IANA's port 4789), the overlay a /24 of its own;
            # the tunnel's MTU is the underlay's 1500 less VXLAN's 50 bytes, as Linux sets it. Offloads off inside too.
            for ns, dev, local, remote, address in ((c, "c0", CLIENT4, SERVER4, OVERLAY_CLIENT4), (s, "s0", SERVER4, CLIENT4, OVERLAY_SERVER4)):
                # Bound to the underlay's device, Linux gives the tunnel that device's MTU less 50 (and refuses more);
                # unbound, it gives 1500 whatever the underlay: the mistake overlay_mtu reproduces.
                bound = [] if self.overlay_mtu else ["dev", dev]
                sh("ip", "-n", ns, "link", "add", "vx0", "type", "vxlan", "id", str(OVERLAY_VNI), "local", local, "remote", remote,
                   "dstport", "4789", *bound)
                sh("ip", "-n", ns, "addr", "add", address + "/24", "dev", "vx0")
                # IPv4 only inside: no router solicitations or MLD reports of the overlay's link in the capture.
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.vx0.disable_ipv6=1")
                if self.overlay_mtu:
                    # The overlay MTU mistake: as large as the underlay's, so a full-size packet and VXLAN's 50 bytes
                    # do not fit, and the tunnel endpoint fragments the outer datagram.
                    sh("ip", "-n", ns, "link", "set", "vx0", "mtu", str(self.overlay_mtu))
                sh("ip", "netns", "exec", ns, "ethtool", "-K", "vx0", "tso", "off", "gso", "off", "gro", "off", check=False)
                sh("ip", "-n", ns, "link", "set", "vx0", "up")
        peers = ((c, ROUTER_C4), (s, ROUTER_S4)) if self.bridge_args is None else ((c, BRIDGED_SERVER4), (s, CLIENT4))
        if self.overlay is not None:
            peers += ((c, OVERLAY_SERVER4), (s, OVERLAY_CLIENT4))   # the overlay's ARP, inside the tunnel
        # Let the kernel's own start-up chatter (and ARP) pass before anything is captured or counted.
        for ns, peer in peers:
            sh("ip", "netns", "exec", ns, "python3", "-c",
               f"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'', ('{peer}', 9))", check=False)
        time.sleep(0.5)
        return self

    def stop_bridge(self):
        """Stops the impairing bridge and returns its decisions."""
        if self.bridge is None:
            return None
        self.bridge.send_signal(signal.SIGTERM)
        self.bridge.communicate(timeout=10)
        with open(self.bridge_log) as f:
            decisions = json.load(f)
        os.remove(self.bridge_log)
        return decisions

    def __exit__(self, *exc):
        if self.bridge is not None and self.bridge.poll() is None:
            self.bridge.kill()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for cap in self.captures.values():
            if cap["proc"].poll() is None:
                cap["proc"].kill()
        for ns in self.ns.values():
            sh("ip", "netns", "del", ns, check=False)

    def start_capture(self, side, path):
        ns, dev = (self.ns["client"], "c0") if side == "client" else (self.ns["server"], "s0")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", dev, "-s", "0", "--immediate-mode", "-U",
                                 "-Z", "root", "-w", path, CAPTURE_FILTER],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()  # "listening on ...": capture is running
        if "listening" not in line:
            raise RuntimeError(f"tcpdump did not start on {side}: {line}")
        self.captures[side] = {"proc": proc, "path": path}

    def stop_captures(self):
        time.sleep(0.5)  # let the last packets reach tcpdump
        facts = {}
        for side, cap in self.captures.items():
            cap["proc"].send_signal(signal.SIGINT)
            err = cap["proc"].communicate(timeout=10)[1]
            numbers = {key: int(value) for value, key in re.findall(r"(\d+) packets? (captured|received by filter|dropped by kernel)", err)}
            facts[side] = {"file": os.path.basename(cap["path"]), "packets": numbers.get("captured", -1),
                           "received_by_filter": numbers.get("received by filter", -1),
                           "dropped_by_kernel": numbers.get("dropped by kernel", -1), "filter": CAPTURE_FILTER}
        return facts

    def start(self, side, *args):
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns[side], "timeout", str(PROGRAM_TIMEOUT_S), "python3", *args],
                                cwd=PROGRAMS, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc

    def raw_counters(self, side):
        """The text a user saves with 'cat /proc/net/snmp /proc/net/snmp6' in the namespace."""
        return sh("ip", "netns", "exec", self.ns[side], "cat", "/proc/net/snmp", "/proc/net/snmp6").stdout

    def counters(self, side):
        out = sh("ip", "netns", "exec", self.ns[side], "cat", "/proc/net/snmp", "/proc/net/netstat").stdout.splitlines()
        values = {}
        for header, data in zip(out[0::2], out[1::2]):
            names, numbers = header.split(), data.split()
            prefix = names[0].rstrip(":")
            for n, v in zip(names[1:], numbers[1:]):
                values[f"{prefix}.{n}"] = int(v)
        for line in sh("ip", "netns", "exec", self.ns[side], "cat", "/proc/net/snmp6").stdout.splitlines():
            parts = line.split()
            if len(parts) == 2:
                values["Ip6." + parts[0]] = int(parts[1])
        return values


def result(proc):
    out, err = proc.communicate(timeout=PROGRAM_TIMEOUT_S + 5)
    if proc.returncode != 0:
        raise RuntimeError(f"program failed ({proc.returncode}): {err.strip()[-500:]}")
    return json.loads(out.strip().splitlines()[-1])


def wait_listening(lab, side, port, udp=False):
    flag = "-lun" if udp else "-ltn"
    for _ in range(100):
        if f":{port} " in sh("ip", "netns", "exec", lab.ns[side], "ss", flag).stdout:
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def run_pair(lab, server_args, client_args, port, udp=False, settle=0.0):
    server = lab.start("server", *server_args)
    wait_listening(lab, "server", port, udp)
    time.sleep(settle)
    client = lab.start("client", *client_args)
    return result(client), result(server)


def both_directions_intact(client, server, size):
    """The sha256 of each direction is the same at both ends, and the client's bytes all arrived."""
    return (client["sha256_sent"] == server["sha256_received"] and server["sha256_sent"] == client["sha256_received"]
            and server["bytes_received"] == size)


# ---- scenarios: each returns (description, programs, expected flows, checks) ----

def nagle(mode, server_address=SERVER4):
    def run(lab):
        client, server = run_pair(lab, ["nagle.py", "server", server_address, "5001", "20"],
                                  ["nagle.py", "client", server_address, "5001", "20", mode], 5001)
        checks = {"all requests served": server["requests_served"] == 20 == client["requests"]}
        if mode == "nagle":
            checks["most requests stall on the delayed ACK (> 20 ms)"] = client["slow_requests_over_20ms"] >= 10
        else:
            checks["no request stalls (median < 10 ms)"] = client["latency_median_ms"] < 10
        description = {
            "nagle": "write(header) + write(body) + read(reply) with Nagle on: each body waits for the delayed ACK of its header"
                     + ("" if server_address == SERVER4 else "; client and server talk through a VXLAN tunnel (VNI 42) between their "
                        "underlay addresses, captured on the underlay"),
            "nodelay": "the same request loop with TCP_NODELAY: no stall",
            "cork": "the same request loop with TCP_CORK around the two writes: one segment per request, no stall",
        }[mode]
        return description, {"client": client, "server": server}, {"tcp": 1, "udp": 0}, checks
    return run


def zero_window(lab):
    client, server = run_pair(lab, ["zerowindow.py", "server", SERVER4, "5002", "4096", "1.0,0.3,0.6", "40"],
                              ["zerowindow.py", "client", SERVER4, "5002", "600000"], 5002)
    checks = {"bytes arrive intact": client["sha256_sent"] == server["sha256_received"] and server["bytes_received"] == 600000,
              "the reader paused three times": len(server["pauses"]) == 3}
    return ("a receiver with SO_RCVBUF 4096 that stops reading for 1 s, 0.3 s and 0.6 s, reading 40 x 4 KiB at 10 ms "
            "intervals between the pauses, while the client sends 600 KB",
            {"client": client, "server": server}, {"tcp": 1, "udp": 0}, checks)


def udp_rcvbuf(lab):
    client, server = run_pair(lab, ["udp.py", "server", SERVER4, "5003", "4096", "1.0", "5"],
                              ["udp.py", "client", SERVER4, "5003", "400", "200", "0"], 5003, udp=True)
    return ("a fast UDP sender (400 datagrams of 200 bytes) and a reader with SO_RCVBUF 4096 that waits 1 s",
            {"client": client, "server": server}, {"tcp": 0, "udp": 1}, {})


def udp_fragmented(lab):
    c4, s4 = run_pair(lab, ["udp.py", "server", SERVER4, "5004", "1048576", "0", "3"],
                      ["udp.py", "client", SERVER4, "5004", "20", "3000", "2000"], 5004, udp=True)
    c6, s6 = run_pair(lab, ["udp.py", "server", SERVER6, "5005", "1048576", "0", "3"],
                      ["udp.py", "client", SERVER6, "5005", "20", "3000", "2000"], 5005, udp=True)
    checks = {"every IPv4 datagram arrives": s4["received"] == c4["sent"] == 20,
              "every IPv6 datagram arrives": s6["received"] == c6["sent"] == 20}
    return ("20 UDP datagrams of 3000 bytes over IPv4 and 20 over IPv6, fragmented by the sender (MTU 1500), none lost",
            {"client_ipv4": c4, "server_ipv4": s4, "client_ipv6": c6, "server_ipv6": s6}, {"tcp": 0, "udp": 2}, checks)


def keepalive_rst(lab):
    client, server = run_pair(lab, ["keepalive.py", "server", SERVER4, "5006"],
                              ["keepalive.py", "client", SERVER4, "5006", "3.5"], 5006)
    checks = {"the server sees a reset": server["closed_by"] == "reset"}
    return ("SO_KEEPALIVE with TCP_KEEPIDLE 1 s and TCP_KEEPINTVL 1 s over 3.5 s of idleness, then close with SO_LINGER {1, 0}",
            {"client": client, "server": server}, {"tcp": 1, "udp": 0}, checks)


def bulk_impaired(size, description):
    def run(lab):
        client, server = run_pair(lab, ["bulk.py", "server", lab.server4, "5009"], ["bulk.py", "client", lab.server4, "5009", str(size)], 5009)
        checks = {"bytes arrive intact despite the impairment, both directions": both_directions_intact(client, server, size)}
        return description, {"client": client, "server": server}, {"tcp": 1, "udp": 0}, checks
    return run


def udp_fragment_loss(lab):
    c4, s4 = run_pair(lab, ["udp.py", "server", lab.server4, "5010", "1048576", "0", "3"],
                      ["udp.py", "client", lab.server4, "5010", "20", "3000", "2000"], 5010, udp=True)
    c6, s6 = run_pair(lab, ["udp.py", "server", lab.server6, "5011", "1048576", "0", "3"],
                      ["udp.py", "client", lab.server6, "5011", "20", "3000", "2000"], 5011, udp=True)
    return ("20 UDP datagrams of 3000 bytes (3 fragments each) over IPv4 and 20 over IPv6; the path drops one fragment of datagrams 5 and 12 in each family",
            {"client_ipv4": c4, "server_ipv4": s4, "client_ipv6": c6, "server_ipv6": s6}, {"tcp": 0, "udp": 2}, {})


def pmtu(lab):
    c4, s4 = run_pair(lab, ["bulk.py", "server", SERVER4, "5007"], ["bulk.py", "client", SERVER4, "5007", "200000"], 5007)
    c6, s6 = run_pair(lab, ["bulk.py", "server", SERVER6, "5012"], ["bulk.py", "client", SERVER6, "5012", "200000"], 5012)
    checks = {"bytes arrive intact, both directions (IPv4)": both_directions_intact(c4, s4, 200000),
              "bytes arrive intact, both directions (IPv6)": both_directions_intact(c6, s6, 200000),
              "the client's IPv4 MSS shrinks to the path MTU": c4["final_mss"] <= 1280 - 40,
              "the client's IPv6 MSS shrinks to the path MTU": c6["final_mss"] <= 1280 - 60}
    return ("200 KB over IPv4 (DF set) and 200 KB over IPv6 through a router whose link towards the server has MTU 1280: it answers the client's 1500-byte packets with ICMP fragmentation-needed and ICMPv6 packet-too-big, and the client lowers its MSS",
            {"client_ipv4": c4, "server_ipv4": s4, "client_ipv6": c6, "server_ipv6": s6}, {"tcp": 2, "udp": 0}, checks)


def bulk(size, description, server_address=SERVER4):
    def run(lab):
        client, server = run_pair(lab, ["bulk.py", "server", server_address, "5008"], ["bulk.py", "client", server_address, "5008", str(size)], 5008)
        checks = {"bytes arrive intact, both directions": both_directions_intact(client, server, size)}
        return description, {"client": client, "server": server}, {"tcp": 1, "udp": 0}, checks
    return run


SCENARIOS = {
    "nagle-delack": (nagle("nagle"), {}),
    "nagle-nodelay": (nagle("nodelay"), {}),
    "nagle-cork": (nagle("cork"), {}),
    "nagle-delack-vxlan": (nagle("nagle", OVERLAY_SERVER4), {"overlay": "vxlan"}),
    "zero-window": (zero_window, {}),
    "udp-rcvbuf-overflow": (udp_rcvbuf, {}),
    "udp-fragmented": (udp_fragmented, {}),
    "keepalive-rst": (keepalive_rst, {}),
    "pmtu-icmp": (pmtu, {"server_side_mtu": 1280}),
    "bulk-loss-reorder": (bulk_impaired(500_000, "a 500 KB transfer through a path that drops 2 % and delays 2 % of the data segments by 3 ms (seeded): retransmissions, out-of-order arrivals, duplicate ACKs, SACK"),
                          {"bridge": ["--seed", "42", "--loss", "0.02", "--reorder", "0.02", "--reorder-delay-ms", "3"]}),
    "rto-outage": (bulk_impaired(300_000, "a 300 KB transfer whose path goes dark for 1.5 s after the 40th data segment: retransmission timeouts with exponential backoff"),
                   {"bridge": ["--seed", "7", "--outage-after", "40", "--outage-s", "1.5"]}),
    "udp-fragment-loss": (udp_fragment_loss, {"bridge": ["--seed", "3", "--drop-fragment-of", "5,12"]}),
    "bulk-window-scaling": (bulk(1_000_000, "a 1 MB transfer: window scaling and receive-buffer autotuning"), {}),
    "bulk-vxlan-mtu": (bulk(200_000, "a 200 KB transfer through a VXLAN tunnel whose MTU is the underlay's 1500: each full-size packet and "
                             "VXLAN's 50 bytes exceed the underlay's MTU, so the tunnel endpoints fragment the outer datagrams", OVERLAY_SERVER4),
                       {"overlay": "vxlan", "overlay_mtu": 1500}),
    "offload-supersegments": (bulk(300_000, "a 300 KB transfer with segmentation offload left on: the client's capture holds super-segments larger than the MTU"),
                              {"offload": True}),
}

# Counters worth keeping (their deltas); the rest of netstat -s is noise for these scenarios.
COUNTERS = re.compile(r"^(Ip\.(Forw\w*|Frag\w+|Reasm\w+|OutRequests|InReceives|InDelivers)"
                      r"|Ip6\.(Ip6(Frag\w+|Reasm\w+|InReceives|OutRequests|OutForwDatagrams)|Icmp6(In|Out)(PktTooBigs|DestUnreachs))"
                      r"|Icmp\.(In|Out)(DestUnreachs|Msgs)|Tcp\.(ActiveOpens|PassiveOpens|InSegs|OutSegs|RetransSegs|OutRsts|EstabResets)"
                      r"|Udp\.(InDatagrams|OutDatagrams|RcvbufErrors|InErrors|NoPorts)"
                      r"|TcpExt\.(DelayedACKs|DelayedACKLost|TCPToZeroWindowAdv|TCPWinProbe|TCPFromZeroWindowAdv|TCPWantZeroWindowAdv|TCPLostRetransmit"
                      r"|TCPTimeouts|TCPFastRetrans|TCPSlowStartRetrans|TCPSackRecovery|TCPKeepAlive|TCPAbortOnClose|TCPAbortOnData"
                      r"|TCPOFOQueue|TCPRcvCoalesce|TCPSynRetrans))$")


# Scenarios whose receiver's raw counter snapshots are kept beside the captures.
RAW_SNAPSHOTS = {"udp-rcvbuf-overflow"}


def generate(name, out_dir):
    run, lab_options = SCENARIOS[name]
    with Lab(name, **lab_options) as lab:
        before = {side: lab.counters(side) for side in lab.ns}
        raw_before = lab.raw_counters("server") if name in RAW_SNAPSHOTS else None
        lab.start_capture("client", os.path.join(out_dir, f"{name}.client.pcap"))
        lab.start_capture("server", os.path.join(out_dir, f"{name}.server.pcap"))
        description, programs, flows, checks = run(lab)
        captures = lab.stop_captures()
        decisions = lab.stop_bridge()
        after = {side: lab.counters(side) for side in lab.ns}
        if raw_before is not None:
            # The raw snapshots around the capture, as `pcapinsight analyze --netstat BEFORE AFTER` reads them.
            for suffix, text in (("before", raw_before), ("after", lab.raw_counters("server"))):
                with open(os.path.join(out_dir, f"{name}.server.snmp-{suffix}.txt"), "w") as f:
                    f.write(text)
    deltas = {side: {k: after[side][k] - before[side].get(k, 0) for k in sorted(after[side])
                     if COUNTERS.match(k) and after[side][k] != before[side].get(k, 0)} for side in after}
    for side, cap in captures.items():
        checks[f"{side} capture complete (captured = received by filter, none dropped)"] = (
            cap["packets"] == cap["received_by_filter"] and cap["dropped_by_kernel"] == 0 and cap["packets"] > 0)
    if name == "udp-rcvbuf-overflow":
        lost = deltas["server"].get("Udp.RcvbufErrors", 0)
        checks["sent = received + RcvbufErrors"] = programs["client"]["sent"] == programs["server"]["received"] + lost
        checks["the receive buffer overflowed"] = lost > 0
    if name == "udp-fragmented":
        checks["the server reassembled 20 IPv4 datagrams"] = deltas["server"].get("Ip.ReasmOKs", 0) == 20
        checks["the server reassembled 20 IPv6 datagrams"] = deltas["server"].get("Ip6.Ip6ReasmOKs", 0) == 20
    if name == "zero-window":
        checks["the server advertised a zero window"] = deltas["server"].get("TcpExt.TCPToZeroWindowAdv", 0) > 0
    if name == "pmtu-icmp":
        checks["the router sent fragmentation-needed"] = deltas["router"].get("Icmp.OutDestUnreachs", 0) > 0
        checks["the router sent packet-too-big"] = deltas["router"].get("Ip6.Icmp6OutPktTooBigs", 0) > 0
    if name == "bulk-vxlan-mtu":
        checks["the client's tunnel endpoint fragmented outer datagrams"] = deltas["client"].get("Ip.FragCreates", 0) > 0
        checks["the server's tunnel endpoint reassembled them"] = deltas["server"].get("Ip.ReasmOKs", 0) > 0
    if name in ("nagle-delack", "nagle-delack-vxlan"):
        checks["the server delayed ACKs"] = deltas["server"].get("TcpExt.DelayedACKs", 0) > 0
    if decisions is not None:
        drops = [d for d in decisions if d["action"] == "drop"]
        checks["the bridge lost no frame it did not decide to drop"] = all(
            d["kernel_drops"] == 0 for d in decisions if d["action"] == "socket-statistics")
        checks["the server's capture lacks exactly the dropped frames"] = (
            captures["client"]["packets"] - captures["server"]["packets"] == len(drops))
        if name in ("bulk-loss-reorder", "rto-outage"):
            checks["the sender retransmitted at least every dropped segment"] = deltas["client"].get("Tcp.RetransSegs", 0) >= len(drops) > 0
        if name == "bulk-loss-reorder":
            checks["some segments were reordered"] = any(d["action"] == "reorder" for d in decisions)
        if name == "rto-outage":
            checks["the retransmission timer fired"] = deltas["client"].get("TcpExt.TCPTimeouts", 0) >= 1
        if name == "udp-fragment-loss":
            for family, suffix in (("ipv4", "_ipv4"), ("ipv6", "_ipv6")):
                lost = sorted({d["datagram"] for d in drops if d["family"] == family})
                received = programs["server" + suffix]["received_seq"]
                checks[f"datagrams 5 and 12 lost with a fragment ({family})"] = lost == [5, 12] and not set(lost) & set(received)
                checks[f"sent = received + lost with a fragment ({family})"] = programs["client" + suffix]["sent"] == len(received) + len(lost)
    if name == "keepalive-rst":
        checks["the client sent a reset"] = deltas["client"].get("Tcp.OutRsts", 0) >= 1
    truth = {
        "scenario": name,
        "description": description,
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kernel": platform.release(),
        "topology": {"client": [CLIENT4, CLIENT6],
                     "router": "user-space impairing bridge (programs/bridge.py)" if decisions is not None else [ROUTER_C4, ROUTER_C6, ROUTER_S4, ROUTER_S6],
                     "server": [lab.server4, lab.server6],
                     "offload": lab_options.get("offload", False), "server_side_mtu": lab_options.get("server_side_mtu", 1500),
                     "overlay": None if lab.overlay is None else {"kind": lab.overlay, "vni": OVERLAY_VNI,
                                                                  "client": OVERLAY_CLIENT4, "server": OVERLAY_SERVER4,
                                                                  "mtu": lab.overlay_mtu or 1450}},
        "captures": captures,
        "path_decisions": decisions,
        "expected_flows": flows,
        "programs": programs,
        "counters": deltas,
        "checks": checks,
    }
    with open(os.path.join(out_dir, f"{name}.truth.json"), "w") as f:
        json.dump(truth, f, indent=2, sort_keys=True)
        f.write("\n")
    failed = [k for k, ok in checks.items() if not ok]
    counts = "; ".join(f"{side}: captured {cap['packets']}, received by filter {cap['received_by_filter']}, dropped "
                       f"{cap['dropped_by_kernel']}" for side, cap in captures.items())
    print(f"{name}: {captures['client']['packets']} / {captures['server']['packets']} packets (client / server)"
          + (f"; FAILED: {failed} ({counts})" if failed else "; checks pass"))
    return failed


def generate_until_captured(name, out_dir, attempts=3):
    """
    Runs a scenario, and again in a fresh lab while only a capture came out incomplete: tcpdump missing packets on a
    loaded machine says nothing about the scenario, and its truth must be exact. Any other failed check fails at once.
    """
    for attempt in range(1, attempts + 1):
        failed = generate(name, out_dir)
        if not failed:
            return True
        if attempt == attempts or not all("capture complete" in check for check in failed):
            return False
        print(f"{name}: a capture is incomplete; running the scenario again ({attempt + 1} of {attempts})")
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=HERE, help="folder for the captures and truth files (default: sample-captures/)")
    parser.add_argument("scenarios", nargs="*", help="scenario names (default: all): " + ", ".join(SCENARIOS))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("generate.py: run as root (it creates network namespaces and captures with tcpdump)")
    names = args.scenarios or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"generate.py: unknown scenario(s) {unknown}; known: {list(SCENARIOS)}")
    os.makedirs(args.out, exist_ok=True)
    ok = all([generate_until_captured(n, args.out) for n in names])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
