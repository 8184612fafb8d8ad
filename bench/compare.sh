#!/usr/bin/env bash
# Whole-process comparison: pcapinsight analyze vs tshark -q -z conv,tcp vs cat FILE > /dev/null, on
#   small.pcap  a header-only capture of many small packets (synthetic writer: bench/PcapInsight.Benchmarks make-small)
#   bulk.pcap   a multi-gigabyte bulk TCP transfer: iperf3 between two network namespaces, captured with tcpdump
#               (needs root, iproute2, iperf3, tcpdump; falls back to the synthetic writer otherwise)
# Prints wall time, packets/s, MB/s, peak RSS and the ratios. Files live in $BENCH_DIR (default
# /tmp/pcapinsight-bench) and are reused between runs; delete them to remake.
#
# Usage: bench/compare.sh [--small-packets N] [--bulk-bytes BYTES] [--runs N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${BENCH_DIR:-/tmp/pcapinsight-bench}"
small_packets=10000000
bulk_bytes=$((2 * 1024 * 1024 * 1024))
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --small-packets) small_packets="$2"; shift 2 ;;
    --bulk-bytes) bulk_bytes="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$dir"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

"$root/pcapinsight" --help >/dev/null   # builds the CLI in Release on first use
bench_project="$root/bench/PcapInsight.Benchmarks"

make_small() {
  [ -f "$dir/small.pcap" ] && return
  echo "making small.pcap ($small_packets packets) ..." >&2
  dotnet run -c Release --project "$bench_project" -- make-small "$dir/small.pcap" --packets "$small_packets" --flows 10000 >&2
}

bulk_client="pibc$$"; bulk_server="pibs$$"; bulk_tcpdump=""; bulk_iperf=""
cleanup_bulk() {
  [ -n "$bulk_tcpdump" ] && kill -INT "$bulk_tcpdump" 2>/dev/null || true
  [ -n "$bulk_iperf" ] && kill "$bulk_iperf" 2>/dev/null || true
  ip netns del "$bulk_client" 2>/dev/null || true
  ip netns del "$bulk_server" 2>/dev/null || true
}

make_bulk_real() {
  local c="$bulk_client" s="$bulk_server"
  trap cleanup_bulk EXIT
  ip netns add "$c"; ip netns add "$s"
  ip link add veth0 netns "$c" type veth peer name veth0 netns "$s"
  ip -n "$c" addr add 198.51.100.1/24 dev veth0; ip -n "$s" addr add 198.51.100.2/24 dev veth0
  for ns in "$c" "$s"; do ip -n "$ns" link set lo up; ip -n "$ns" link set veth0 up
    # Offloads off: MTU-sized frames, as a capture on a real wire would hold.
    ip netns exec "$ns" ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1 || true; done
  ip netns exec "$s" timeout 300 iperf3 -s -1 -B 198.51.100.2 >/dev/null 2>&1 & bulk_iperf=$!
  ip netns exec "$s" tcpdump -i veth0 -s 0 -B 262144 --immediate-mode -Z root -w "$dir/bulk.pcap.tmp" tcp >/dev/null 2>&1 & bulk_tcpdump=$!
  sleep 1
  ip netns exec "$c" timeout 300 iperf3 -c 198.51.100.2 -n "$bulk_bytes" >/dev/null
  sleep 1
  kill -INT "$bulk_tcpdump"; wait "$bulk_tcpdump" 2>/dev/null || true; bulk_tcpdump=""
  cleanup_bulk
  trap - EXIT
  mv "$dir/bulk.pcap.tmp" "$dir/bulk.pcap"
}

make_bulk() {
  [ -f "$dir/bulk.pcap" ] && return
  echo "making bulk.pcap (~$((bulk_bytes / 1048576)) MiB of iperf3 traffic) ..." >&2
  if [ "$(id -u)" = 0 ] && command -v iperf3 >/dev/null && command -v tcpdump >/dev/null && command -v ip >/dev/null; then
    make_bulk_real
  else
    echo "  (not root or no iperf3/tcpdump: synthetic full-size frames instead)" >&2
    echo "synthetic bulk capture not implemented; run as root with iperf3 and tcpdump" >&2; exit 2
  fi
}

# best-of-N wall time and the peak RSS of that run: prints "seconds max_rss_kib"
measure() {
  local best="" rss="" timing t m
  timing=$(mktemp)
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -o "$timing" -f "%e %M" "$@" >/dev/null 2>&1 || true
    read -r t m < "$timing"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$t; rss=$m; fi
  done
  rm -f "$timing"
  echo "$best $rss"
}

report() {
  local name="$1" file="$dir/$1"
  local bytes packets
  bytes=$(stat -c %s "$file")
  cat "$file" >/dev/null; cat "$file" >/dev/null   # warm the page cache
  packets=$("$root/pcapinsight" analyze "$file" -o "$dir/report-$name" -q --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["capture"]["packets"])')
  read -r t_cat m_cat < <(measure cat "$file")
  read -r t_pi m_pi < <(measure dotnet "$root/.build/cli/pcapinsight.dll" analyze "$file" -o "$dir/report-$name" -q --no-progress)
  local t_ts="n/a" m_ts="n/a"
  if command -v tshark >/dev/null; then
    read -r t_ts m_ts < <(runs=1 measure tshark -n -q -z conv,tcp -r "$file")
  fi
  printf '%-10s %7.0f MB %11d pkts\n' "$name" "$(awk "BEGIN{print $bytes/1e6}")" "$packets"
  printf '  %-28s %8s s %10s pkt/s %8s MB/s  peak RSS %7s MiB\n' \
    "cat > /dev/null" "$t_cat" "-" "$(awk "BEGIN{printf \"%.0f\", $bytes/1e6/$t_cat}")" "$((m_cat / 1024))" \
    "pcapinsight analyze" "$t_pi" "$(awk "BEGIN{printf \"%.2fM\", $packets/$t_pi/1e6}")" "$(awk "BEGIN{printf \"%.0f\", $bytes/1e6/$t_pi}")" "$((m_pi / 1024))"
  if [ "$t_ts" != "n/a" ]; then
    printf '  %-28s %8s s %10s pkt/s %8s MB/s  peak RSS %7s MiB\n' \
      "tshark -q -z conv,tcp" "$t_ts" "$(awk "BEGIN{printf \"%.2fM\", $packets/$t_ts/1e6}")" "$(awk "BEGIN{printf \"%.0f\", $bytes/1e6/$t_ts}")" "$((m_ts / 1024))"
    printf '  ratios: pcapinsight/cat %.2f, tshark/pcapinsight %.1f\n' "$(awk "BEGIN{print $t_pi/$t_cat}")" "$(awk "BEGIN{print $t_ts/$t_pi}")"
  else
    printf '  ratio: pcapinsight/cat %.2f\n' "$(awk "BEGIN{print $t_pi/$t_cat}")"
  fi
}

make_small
make_bulk
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); best of $runs runs (tshark: 1)"
report small.pcap
report bulk.pcap
