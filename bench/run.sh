#!/usr/bin/env bash
# Runs banger's benchmarks and prints one Markdown table (copy it into docs/BENCHMARKS.md with the
# date and machine). Needs root (it starts real daemons in temporary BANGER_HOMEs) and a built tree
# (./setup.sh, which also trains the CLI's AOT cache).
#   bench/run.sh          the foundation figures (CLI round trip, vm.list with 1,000 records)
#   bench/run.sh image    the default image: build time with a warm package cache, size on disk
#   bench/run.sh cow      copy-on-write root creation over a small and a large base
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ -f bench/target/bench.jar ] || { echo "bench: not built: run ./setup.sh" >&2; exit 1; }
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
exec "$JAVA_HOME/bin/java" -jar bench/target/bench.jar "$PWD" "${1:-foundation}"
