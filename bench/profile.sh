#!/usr/bin/env bash
# Where one run's CPU time went, as the kernel's sampling saw it: by thread, by module, and the busiest methods of
# each thread, by name: the native build's from its symbols (pcapinsight.dbg beside it), the JIT build's
# (PCAPINSIGHT_BUILD=jit ./pcapinsight) from the perf map the runtime writes.
#
#   bench/profile.sh [--hz N] [--top N] [--phase NAME] -- analyze FILE -o DIR -q   (pcapinsight's arguments after --)
#
# --phase NAME profiles one phase of the run only: the time between the PCAPINSIGHT_TIMING mark before NAME and the
# mark NAME ("analysis done", "csv written", "charts drawn", "report.html written", ...; the first phase, "main
# entered", starts at the run's first sample). Each mark carries the monotonic clock, and perf stamps its samples
# with the same clock (-k CLOCK_MONOTONIC), so the window is exact.
#
# Why perf and not dotnet-trace's sampled thread time: that one counts a thread as running whenever it is not in
# a wait, also when it is runnable but another process has its core. On this shared two-core machine it put 109 ms
# on an Array.Clear that a stopwatch timed at 1 ms, and 100 ms of "lock spinning" on the read-ahead hand-off that
# two lock-free rewrites did not remove (bench/RESULTS.md). perf samples only what is on a core. JIT-compiled code
# is named through /tmp/perf-PID.map (DOTNET_PerfMapEnabled; W^X off, or the code sits in an unnamed double
# mapping); in the native build every method is named, the runtime's included. In the JIT build the runtime's own
# code (libcoreclr.so: type loading, allocation, the collector) has no symbols here and shows as a module only.
# Needs perf (apt-get install linux-perf) and, as a user, kernel.perf_event_paranoid <= 2.
# No hardware counters in a VM: perf falls back to the CPU clock, which is what this reads.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hz=2000
top=15
phase=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hz) hz="$2"; shift 2 ;;
    --top) top="$2"; shift 2 ;;
    --phase) phase="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1 (pcapinsight's arguments go after --)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: bench/profile.sh [--hz N] [--top N] [--phase NAME] -- PCAPINSIGHT-ARGS..." >&2; exit 2; }
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }

source "$root/bench/cli.sh"   # cli=(the command that runs the build ./pcapinsight made)
work=$(mktemp -d)
# The run's symbol maps go at the end, whatever happens: perf reads them when it reports, so not before.
maps_before=$(ls /tmp/perf-*.map /tmp/perfinfo-*.map 2>/dev/null || true)
remove_maps() { for f in $(ls /tmp/perf-*.map /tmp/perfinfo-*.map 2>/dev/null); do grep -qxF "$f" <<<"$maps_before" || rm -f "$f"; done; }
trap 'remove_maps; rm -rf "$work"' EXIT

status=0
timing=0
[ -z "$phase" ] || timing=1   # the phase marks, on the run's stderr
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 PCAPINSIGHT_TIMING=$timing \
  perf record -q -k CLOCK_MONOTONIC -F "$hz" -o "$work/perf.data" -- "${cli[@]}" "$@" >"$work/stdout" 2>"$work/stderr" \
  || status=$?
[ "$status" -eq 0 ] || { echo "the run failed (exit code $status):" >&2; cat "$work/stderr" >&2; exit 1; }

window=()
if [ -n "$phase" ]; then
  # The phase runs from the mark before it to its own: "MS CLOCK NAME" a mark, the first from the run's first sample.
  marks=$(sed -nE 's/^timing: (.*) at ([0-9]+) ms \(.*; clock ([0-9.]+) s\)$/\2 \3 \1/p' "$work/stderr")
  first=$(set +o pipefail; perf script -i "$work/perf.data" -F time 2>/dev/null | head -n 1 | tr -d ' :')   # perf stops on the pipe
  line=$(awk -v p="$phase" -v first="$first" 'BEGIN { ms = 0; clock = first }
    { name = $0; sub(/^[^ ]+ [^ ]+ /, "", name)
      if (name == p || index(name, p ": ") == 1) { print ms, clock, $1, $2; exit }
      ms = $1; clock = $2 }' <<<"$marks")
  if [ -z "$line" ]; then
    echo "no phase \"$phase\" in this run; its marks:" >&2
    sed -E 's/^[^ ]+ [^ ]+ /  /; s/: .*//' <<<"$marks" >&2
    exit 2
  fi
  read -r from from_clock to to_clock <<<"$line"
  window=(--time "$from_clock,$to_clock")
fi
# perf's rows of the whole run (samples), or of the phase's window (report).
samples() { perf report -i "$work/perf.data" --stdio --no-children "$@" 2>/dev/null | grep -E '^ +[0-9.]+%' || true; }
report() { samples "${window[@]}" "$@"; }

echo "pcapinsight $*"
if [ -n "$phase" ]; then
  # The whole run's CPU beside the phase's, from the same samples: the phase's share of the run.
  all=$(samples --sort comm -n | awk -v hz="$hz" '{ n += $2 } END { printf "%.3f", n / hz }')
  echo "phase \"$phase\": from $from ms to $to ms of the run (the whole run: $all CPU seconds)"
fi
echo
echo "== by thread (CPU seconds: samples / $hz Hz)"
report --sort comm -n | awk -v hz="$hz" '{ share = $1; n = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); printf "%8.3f s %8s  %s\n", n / hz, share, $0 }'
echo
echo "== by thread and module"
report --sort comm,dso | head -n 25
# Thread names are perf's (15 characters): the main thread is "pcapinsight" ("dotnet" in the JIT build), the
# read-ahead "pcapinsight rea", pool threads ".NET TP Worker", the collector ".NET Server GC", the JIT's background
# tiering ".NET Tiered Com" (JIT build only).
report --sort comm | sed -E 's/^ +[0-9.]+% +//; s/ +$//' | while IFS= read -r thread; do
  echo
  echo "== top $top in \"$thread\""
  report --comm "$thread" --sort sym | head -n "$top" | cut -c1-200
done
