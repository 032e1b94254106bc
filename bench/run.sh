#!/usr/bin/env bash
# Runs banger's benchmarks and prints one Markdown table (copy it into docs/BENCHMARKS.md with the
# date and machine). Needs root (it starts real daemons in temporary BANGER_HOMEs) and a built tree
# (./setup.sh, which also trains the CLI's AOT cache).
#   bench/run.sh          the foundation figures (CLI round trip, vm.list with 1,000 records)
#   bench/run.sh image    the default image: build time with a warm package cache, size on disk
#   bench/run.sh cow      copy-on-write root creation over a small and a large base
#   bench/run.sh rawroot  a Firecracker root without device-mapper (full copy) against QEMU's overlay
#   bench/run.sh vm       `vm run -- true` against the same work by hand (overhead ratio), boot to SSH
#   bench/run.sh fleet    8 VMs started at once, then idle memory with 10 running
#   bench/run.sh reconcile  reconcile at daemon start, 200 recorded VMs of which 20 run
#   bench/run.sh ports    vm ports with 20 listeners, the guest agent's RSS and start time
#   bench/run.sh agent    the agent: first answer after QEMU starts (vs SSH), vm exec vs ssh, 16 execs at once, idle RSS
#   bench/run.sh cp       vm cp of a 256 MiB file into a booted VM against plain scp to its address, the agent's RSS meanwhile
#   bench/run.sh mount    a 256 MiB read through a host directory mount (virtiofs) against scp into the VM, find over 10,000 files on it
#   bench/run.sh snapshot vm run from the image's template against a cold boot, vm fork --count 4, snapshot sizes, children's RSS
#   bench/run.sh publish  1,000 HTTP requests to a published port against NAME.vm:PORT directly, through the agent, and by nftables DNAT
#   bench/run.sh nomad    bin/banger-nomad as Nomad runs it: StartTask to WaitTask against vm run; the plugin's RSS
#   bench/run.sh e2b      the E2B SDK (Node, bench/e2b-bench.mjs): Sandbox.create() to the first commands.run result, warm template
#                         and cold; 8 sandboxes created at once by one client (needs node and ./setup.sh's npm ci)
# vm, fleet, reconcile, ports, agent, cp, snapshot, publish, mount, e2b and nomad run in a network namespace made here (removed on exit, with whatever still runs in it),
# on the integration tests' image (banger-it/target/it-image; BANGER_BENCH_IMAGE=DIR for another).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ -f bench/target/bench.jar ] || { echo "bench: not built: run ./setup.sh" >&2; exit 1; }
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
what=${1:-foundation}
jvm=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "-Dbench.image=${BANGER_BENCH_IMAGE:-$PWD/banger-it/target/it-image}" -jar bench/target/bench.jar "$PWD" "$what")
case "$what" in
  vm | fleet | reconcile | ports | agent | cp | snapshot | publish | mount | e2b | nomad)
    ns=bgrbench$$
    cleanup() {
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    }
    trap cleanup EXIT
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" "${jvm[@]}"
    ;;
  *) exec "${jvm[@]}" ;;
esac
