# Sourced by the bench scripts (with $root set): builds the CLI as ./pcapinsight does and sets cli=(...) to the command
# that runs that build directly, native or `dotnet pcapinsight.dll`, so that what is measured is the program, not the
# wrapper's check for changed sources (a bash and a find: about 10 ms a run).
"$root/pcapinsight" --help >/dev/null   # builds the CLI in Release on first use
if [ "$(cat "$root/.build/cli/.built-from-sources")" = native ]; then
  cli=("$root/.build/cli/pcapinsight")
else
  cli=(dotnet "$root/.build/cli/pcapinsight.dll")
fi
