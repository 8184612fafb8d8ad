#!/usr/bin/env bash
# Coverage-guided fuzzing of PcapInsight's readers, decoder, TCP analyses and IP reassembly with SharpFuzz + AFL++,
# and of whether the sharded analysis (--threads) writes what one analyzer writes (the threads target).
# Needs: afl++ (apt-get install afl++), the .NET SDK; the SharpFuzz instrumenter is installed into $out/tools.
#
#   fuzz/fuzz.sh [--target capture|frames|threads] [--seconds N] [--out DIR] [--corpus DIR]
#
# Seeds are cut from sample-captures/, ../shared/corpus/public/ (when present) and the regression captures of
# earlier findings. Prints executions, paths and crashes from afl-fuzz's own statistics, replays each crash or hang
# without the fuzzer to show its exception, and exits 1 when it found any (0 otherwise, 2 on a set-up problem).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target=capture seconds=300 out="${FUZZ_DIR:-/tmp/pcapinsight-fuzz}" corpus="$root/../shared/corpus/public"
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --corpus) corpus="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
case "$target" in capture|frames|threads) ;; *) echo "--target is capture, frames or threads" >&2; exit 2 ;; esac
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }

mkdir -p "$out"
bin="$out/bin" tools="$out/tools" seeds="$out/seeds" findings="$out/findings-$target"
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi
rm -rf "$bin" "$bin.replay" "$seeds" "$findings"
# Built under $out (--artifacts-path), so a run never shares obj/ with a build of the solution going on beside it.
publish() { dotnet publish "$root/fuzz/PcapInsight.Fuzz/PcapInsight.Fuzz.csproj" -c Release -o "$1" --artifacts-path "$out/artifacts" -v q -nologo >/dev/null; }
publish "$bin"

# Seeds first, with the uninstrumented build (instrumented code expects afl's shared memory).
inputs=("$root"/sample-captures/*.pcap "$root"/tests/PcapInsight.Cli.Tests/Robustness/Regressions/*.pcap*)
[ -d "$corpus" ] && inputs+=("$corpus"/*.pcap "$corpus"/*.pcapng "$corpus"/*.cap)
existing=(); for f in "${inputs[@]}"; do [ -f "$f" ] && existing+=("$f"); done
dotnet "$bin/PcapInsight.Fuzz.dll" seeds "$seeds" "${existing[@]}"

# Instrument only our code: the library holds the readers, decoder and analyses.
"$tools/sharpfuzz" "$bin/PcapInsight.Core.dll"

# dotnet itself is not instrumented (AFL_SKIP_BIN_CHECK); no UI in logs; a container has no CPU governor to ask.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_SKIP_CRASHES=1 AFL_FAST_CAL=1 DOTNET_TieredCompilation=0
# The threads target's reports, written and read back for every input: in memory where there is /dev/shm, and gone at the end.
scratch=$(mktemp -d /dev/shm/pcapinsight-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export PCAPINSIGHT_FUZZ_SCRATCH="$scratch"
echo "fuzzing target '$target' for $seconds s; findings in $findings"
# -t: an input that takes more than 5 s is a hang (a real capture of this size takes milliseconds).
afl-fuzz -i "$seeds/$target" -o "$findings" -t 5000 -m none -V "$seconds" -- dotnet "$bin/PcapInsight.Fuzz.dll" "$target" \
  > "$out/afl-$target.log" 2>&1 || { tail -30 "$out/afl-$target.log" >&2; echo "afl-fuzz failed; its log: $out/afl-$target.log" >&2; exit 2; }

stats="$findings/default/fuzzer_stats"
value() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
crashes=$(value saved_crashes); hangs=$(value saved_hangs)
echo "target $target: $(value execs_done) executions in $(value run_time) s ($(value execs_per_sec)/s), $(value corpus_count) paths, edges $(value edges_found)/$(value total_edges), crashes $crashes, hangs $hangs"

found=0
for kind in crashes hangs; do
  for f in "$findings"/default/$kind/id:*; do
    [ -f "$f" ] || continue
    found=1
    echo "--- $kind: $f"
    # Replayed with the uninstrumented build, outside the fuzzer, to print the exception or show the time.
    [ -d "$bin.replay" ] || publish "$bin.replay" || true
    timeout 60 dotnet "$bin.replay/PcapInsight.Fuzz.dll" run "$target" "$f" | tail -20 || true
  done
done
exit $found
