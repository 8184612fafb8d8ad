#!/usr/bin/env bash
# Regenerates the sample captures (see README.md): a thin wrapper around generate.py. Run as root.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/generate.py" "$@"
