#!/usr/bin/env python3
"""Cross-checks every sample capture's truth with tshark's own view, and prints the Markdown table that
sample-captures/README.md records: stream sha256 via -z follow,tcp,raw, reassembled fragments, ICMP errors.
Usage: sample-captures/check-with-tshark.py   (needs tshark)
"""
import glob
import hashlib
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def tshark(*args):
    return subprocess.run(["tshark", "-n", *args], capture_output=True, text=True, check=True).stdout


def client_stream_sha256(path):
    out = tshark("-r", path, "-q", "-z", "follow,tcp,raw,0")
    data = bytearray()
    for line in out.splitlines():
        # Client-to-server data is not indented; the other direction is prefixed with a tab.
        if line and not line.startswith(("\t", "=", "Follow", "Filter", "Node")) and all(c in "0123456789abcdef" for c in line):
            data += bytes.fromhex(line)
    return hashlib.sha256(bytes(data)).hexdigest(), len(data)


def count(path, display_filter):
    return len(tshark("-r", path, "-Y", display_filter, "-T", "fields", "-e", "frame.number").split())


rows = []
for truth_path in sorted(glob.glob(os.path.join(HERE, "*.truth.json"))):
    truth = json.load(open(truth_path))
    name = truth["scenario"]
    for side in truth["captures"]:
        path = os.path.join(HERE, truth["captures"][side]["file"])
        source = "crafted" if truth.get("crafted") else "tcpdump"
        facts = [f"{count(path, 'frame')} frames ({source}: {truth['captures'][side]['packets']})"]
        programs = truth.get("programs", {})
        # The first TCP stream is the client's (IPv4) transfer.
        sent = (programs.get("client") or programs.get("client_ipv4") or {}).get("sha256_sent")
        if sent:
            digest, length = client_stream_sha256(path)
            facts.append(f"client stream {length} bytes, sha256 {'= sent' if digest == sent else '≠ sent (' + digest[:12] + ')'}")
        reassembled = count(path, "ip.reassembled.length or ipv6.reassembled.length")
        if reassembled:
            facts.append(f"{reassembled} datagrams reassembled")
        icmp = count(path, "icmp.type == 3 or icmpv6.type == 2")
        if icmp:
            facts.append(f"{icmp} ICMP destination-unreachable / packet-too-big")
        zero = count(path, "tcp.analysis.zero_window")
        if zero:
            facts.append(f"{zero} zero-window segments")
        rows.append(f"| `{truth['captures'][side]['file']}` | {'; '.join(facts)} |")
print("| capture | tshark's view |\n| --- | --- |")
print("\n".join(rows))
