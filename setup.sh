#!/usr/bin/env bash
# Sets banger up on a Debian host, idempotently: installs the Debian packages it needs, builds it with
# Maven, links the launchers and trains the CLI's AOT cache. Then: bin/banger vm list
#   ./setup.sh              everything
#   ./setup.sh --deps-only  only the Debian packages (test.sh uses this before its own build)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/env.sh

# Packages, installed only when missing, so a second run touches nothing:
#   daemon and CLI: setsid and setpriv (util-linux), pgrep (procps), ip (iproute2), socat (the RPC socket
#     by hand), maven to build;
#   image builds: debootstrap, busybox-static (the initramfs), cpio, kmod (depmod), lz4 (vmlinux),
#     e2fsprogs (mkfs.ext4 -d, e2fsck, debugfs), dpkg (dpkg-deb);
#   VMs: qemu-system-x86 and qemu-utils (qemu-img), dosfstools and mtools (the config drive),
#     openssh-client (ssh-keygen, and ssh for banger vm ssh).
packages=(util-linux procps iproute2 socat maven ca-certificates
          debootstrap busybox-static cpio kmod lz4 e2fsprogs dpkg
          qemu-system-x86 qemu-utils dosfstools mtools openssh-client nftables curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run setup.sh as root (or install them) and retry" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! java_ok "$JAVA_HOME"; then
  found="there is none at $JAVA_HOME"
  [ -n "${BANGER_JAVA_HOME:-}" ] && found="BANGER_JAVA_HOME ($BANGER_JAVA_HOME) is not one, and $found"
  echo "setup: banger needs a Java 25 JDK: $found. Install Temurin 25 (README.md says how on Debian and Ubuntu)" \
    "or set BANGER_JAVA_HOME to a Java 25 JDK." >&2
  exit 1
fi
# The E2B SDK that E2bSdkIT and bench/run.sh e2b drive (npm's e2b, pinned by banger-it/e2b-sdk/package-lock.json):
# installed when missing or older than the lock file. Only those two need Node (20 or later); without it they fail
# saying so, and nothing else here does.
sdk=banger-it/e2b-sdk
if [ ! -f "$sdk/node_modules/.package-lock.json" ] || [ "$sdk/package-lock.json" -nt "$sdk/node_modules/.package-lock.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing the E2B SDK for the tests (npm ci in $sdk)"
    (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error) \
      || { echo "setup: npm ci in $sdk failed (is the npm registry reachable?); E2bSdkIT and bench/run.sh e2b need it" >&2; exit 1; }
  else
    echo "setup: no npm: E2bSdkIT and bench/run.sh e2b need Node.js 20 and npm (apt-get install nodejs npm), then ./setup.sh" >&2
  fi
fi
[ "${1:-}" = "--deps-only" ] && exit 0

echo "setup: building with Maven (JAVA_HOME=$JAVA_HOME)"
# Maven's own status decides, not the filter's (grep -v fails when it has nothing to print, as after a quiet
# build); and the jars must be there: a build that failed must never leave an older jar in use.
set +e
mvn -B -q -DskipTests package 2>&1 | grep -v -E 'sun\.misc\.Unsafe|^WARNING: .*(Unsafe|terminally deprecated|reporting this)'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "setup: the build failed (Maven exit status $status; its errors are above); nothing was set up" >&2
  exit "$status"
fi
for built in banger-cli/target/banger.jar banger-daemon/target/bangerd.jar banger-nomad/target/banger-nomad.jar; do
  if [ ! -f "$built" ]; then
    echo "setup: the build reported success but made no $built" >&2
    exit 1
  fi
done

# picocli ships Java 5 class files, which the AOT cache cannot keep once linked: rewrite them as Java 8
# class files (same code, stack maps added) so they load from the cache. See scripts/ModernizeJar.java.
for jar in banger-cli/target/lib/picocli-*.jar; do
  "$JAVA_HOME/bin/java" scripts/ModernizeJar.java "$jar" "$jar"
done

# Process names: the kernel names a process after the file it executes, so links named banger and
# bangerd make the JVMs show up under those names (pgrep bangerd).
mkdir -p build/bin
ln -sfn "$JAVA_HOME/bin/java" build/bin/banger
ln -sfn "$JAVA_HOME/bin/java" build/bin/bangerd

# Train the AOT caches (JDK 25, JEP 483/514) on real work: a throwaway daemon in a temporary
# BANGER_HOME records its start and a few requests (its cache is written when it stops); the CLI
# records a 'vm list' against it. Needs root (the daemon does); skipped otherwise.
if [ "$(id -u)" -eq 0 ]; then
  train=$(mktemp -d /tmp/banger-aot.XXXXXX)
  cleanup() { BANGER_HOME="$train" bin/banger daemon stop >/dev/null 2>&1 || true; rm -rf "$train"; }
  trap cleanup EXIT
  rm -f build/banger.aot build/bangerd.aot
  BANGER_HOME="$train" BANGER_DAEMON_JAVA_OPTS="-XX:AOTCacheOutput=build/bangerd.aot" \
    setsid bin/bangerd >build/aot-daemon.log 2>&1 </dev/null &
  for _ in $(seq 200); do [ -S "$train/run/bangerd.sock" ] && break; sleep 0.05; done
  # vm create needs an image: a placeholder that passes import's checks (a bzImage setup header:
  # setup_sects 4 at 0x1f1, "HdrS" at 0x202, boot protocol 2.15 at 0x206; an empty ext4) and is never booted.
  truncate -s 4096 "$train/placeholder-kernel"
  printf '\004' | dd of="$train/placeholder-kernel" bs=1 seek=497 conv=notrunc 2>/dev/null
  printf 'HdrS\017\002' | dd of="$train/placeholder-kernel" bs=1 seek=514 conv=notrunc 2>/dev/null
  mkfs.ext4 -q -F "$train/placeholder-rootfs.ext4" 8M >/dev/null
  BANGER_HOME="$train" bin/banger image import --name debian-bookworm --kernel "$train/placeholder-kernel" \
    --rootfs "$train/placeholder-rootfs.ext4" >/dev/null
  BANGER_HOME="$train" bin/banger vm create --name aot-training >/dev/null
  # Without method profiles (JDK 25 records them by default for C2): the CLI runs C1 only, and replaying them
  # at every start costs ~14 ms of CPU. If a later JDK drops the flag, training fails and is reported below.
  BANGER_HOME="$train" BANGER_CLI_JAVA_OPTS="-XX:AOTCacheOutput=build/banger.aot -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining" \
    bin/banger vm list >build/aot.log 2>&1 \
    || { echo "setup: CLI AOT training failed (see build/aot.log); banger works, only starts slower" >&2; rm -f build/banger.aot; }
  BANGER_HOME="$train" bin/banger vm delete aot-training >/dev/null
  # The JVM writes its cache as it exits, which can outlast 'daemon stop''s own wait: wait for the file.
  BANGER_HOME="$train" bin/banger daemon stop >/dev/null || true
  for _ in $(seq 600); do [ -f build/bangerd.aot ] && ! pgrep -f "AOTCacheOutput=build/bangerd.aot" >/dev/null && break; sleep 0.1; done
  [ -f build/bangerd.aot ] || echo "setup: daemon AOT training failed (see build/aot-daemon.log); bangerd works, only starts slower" >&2
fi
echo "setup: done. Try: bin/banger vm run --name demo -- cat /etc/hostname"
