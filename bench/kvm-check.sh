#!/usr/bin/env bash
# Does /dev/kvm on some other machine boot a standard Debian kernel, and how fast? For a machine that
# has no QEMU and no network (like the device machines lent to some tasks): `pack` bundles this host's
# QEMU (binary, libraries, loader, TCG module, microvm firmware) with banger's kernel and initramfs into
# build/devcheck/pkg.tar.xz; `run` (on the other machine, from a copy of the tree) boots kernel +
# initramfs with an empty root disk, 3 times under KVM and once under TCG, and reports the time to
# "Run /init" and to the initramfs giving up on the root (then the kernel panics and QEMU exits).
#   bench/kvm-check.sh pack [IMAGE_DIR]    (default: banger-it/target/it-image)
#   bench/kvm-check.sh run                 (writes report.txt and the console logs to $OUT)
set -u
cd "$(dirname "$0")/.."
if [ "${1:-}" = pack ]; then
  set -e
  image=${2:-banger-it/target/it-image}
  rm -rf build/devcheck && mkdir -p build/devcheck/pkg/lib build/devcheck/pkg/share build/devcheck/pkg/modules
  q=$(command -v qemu-system-x86_64)
  cp "$q" build/devcheck/pkg/
  for l in $(ldd "$q" | awk '/=>/{print $3} /ld-linux/{print $1}' | grep ^/); do cp -L "$l" build/devcheck/pkg/lib/; done
  cp -L /usr/share/qemu/qboot.rom build/devcheck/pkg/share/bios-microvm.bin
  cp /usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot.bin build/devcheck/pkg/share/
  cp /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so build/devcheck/pkg/modules/
  cp "$image/vmlinuz" "$image/initrd.img" build/devcheck/pkg/
  tar -cJf build/devcheck/pkg.tar.xz -C build/devcheck pkg && rm -rf build/devcheck/pkg
  ls -l build/devcheck/pkg.tar.xz
  exit 0
fi
OUT=${OUT:-/tmp/devout}; mkdir -p "$OUT"
exec > >(tee "$OUT/report.txt") 2>&1
echo "== host"; uname -a; head -5 /etc/os-release; nproc; ls -l /dev/kvm; lsmod 2>/dev/null | grep -i kvm
echo "vmx/svm cpus: $(grep -c -E ' (vmx|svm) ' /proc/cpuinfo)"; grep -m1 'model name' /proc/cpuinfo
W=$(mktemp -d); tar -xJf build/devcheck/pkg.tar.xz -C "$W"; P=$W/pkg
truncate -s 8M "$W/empty.img"
export QEMU_MODULE_DIR=$P/modules
Q=("$P/lib/ld-linux-x86-64.so.2" --library-path "$P/lib" "$P/qemu-system-x86_64" -L "$P/share")
"${Q[@]}" --version | head -1
boot() { # boot ACCEL RUN: kernel + banger initramfs, an empty root disk: ends at "cannot mount root" (panic -> exit)
  local accel=$1 run=$2 limit=$3 cpu=max; [ "$accel" = kvm ] && cpu=host
  local t0; t0=$(date +%s%N)
  timeout "$limit" "${Q[@]}" -M microvm,acpi=on -accel "$accel" -cpu "$cpu" -m 512 -smp 1 -nodefaults -no-user-config \
    -nographic -no-reboot -kernel "$P/vmlinuz" -initrd "$P/initrd.img" \
    -append "console=ttyS0 root=/dev/vda rw panic=-1 reboot=t" \
    -drive id=r,file="$W/empty.img",format=raw,if=none -device virtio-blk-device,drive=r \
    -serial stdio -monitor none 2>&1 | while IFS= read -r line; do echo "$(( ($(date +%s%N) - t0) / 1000000 )) $line"; done \
    > "$OUT/console-$accel-$run.log"
  local total=$(( ($(date +%s%N) - t0) / 1000000 ))
  local init; init=$(grep -m1 'Run /init' "$OUT/console-$accel-$run.log" | cut -d' ' -f1)
  local mount; mount=$(grep -m1 -E 'cannot mount root|did not appear' "$OUT/console-$accel-$run.log" | cut -d' ' -f1)
  echo "$accel run $run: kernel to /init ${init:-never} ms, initramfs done (root probed) ${mount:-never} ms, QEMU exited ${total} ms"
}
echo "== boots"
for run in 1 2 3; do [ -e /dev/kvm ] && boot kvm $run 30; done
boot tcg 1 40
rm -rf "$W"
