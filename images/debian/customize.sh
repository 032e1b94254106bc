#!/bin/bash
# banger: customize a Debian root filesystem tree for a banger guest image.
#
#   customize.sh ROOT
#
# Run on the host, as root, after debootstrap, once the builder has put the kernel modules in
# ROOT/lib/modules/VERSION and the guest agent in ROOT/opt/banger. Installs banger's guest files
# (images/common), configures locale, fstab, SSH, machine id and hostname, enables the units, and
# strips what a VM never uses. Idempotent: a second run leaves the same tree (contents, modes,
# owners and the modification times of the files it writes). images/README.md is the contract.
set -euo pipefail

die() { echo "customize.sh: $*" >&2; exit 1; }

[ "$#" -eq 1 ] || die "usage: customize.sh ROOT (the root filesystem directory)"
[ "$(id -u)" -eq 0 ] || die "must run as root (it sets owners and modes inside ROOT)"
[ -d "$1" ] || die "ROOT '$1' is not a directory"
ROOT=$(cd "$1" && pwd -P)
[ "$ROOT" != / ] || die "refusing to customize the host's own root filesystem"
if [ ! -d "$ROOT/etc" ] || [ ! -d "$ROOT/usr" ]; then
    die "$ROOT does not look like a root filesystem (no etc/ or usr/)"
fi
[ -x "$ROOT/bin/busybox" ] || die "$ROOT has no /bin/busybox, which the fast boot needs: add busybox-static to debootstrap --include"

HERE=$(cd "$(dirname "$0")" && pwd -P)
COMMON=$(cd "$HERE/../common" && pwd -P) || die "images/common not found next to $HERE"

summary=()
note() { summary+=("$*"); }

# Scratch space outside ROOT, so that a run that changes nothing touches nothing in ROOT.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# put FILE MODE: write stdin to ROOT/FILE only when the content differs (keeps mtimes stable).
put() {
    local dst=$ROOT/$1 mode=$2
    mkdir -p "$(dirname "$dst")"
    cat >"$WORK/put"
    if ! { [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$WORK/put" "$dst"; }; then
        rm -f "$dst"
        cp "$WORK/put" "$dst"
    fi
    chown 0:0 "$dst"
    chmod "$mode" "$dst"
}

# empty_dir DIR [KEEP...]: remove everything inside ROOT/DIR except the named entries.
empty_dir() {
    local dir=$ROOT/$1
    shift
    [ -d "$dir" ] || return 0
    local args=(-mindepth 1 -maxdepth 1)
    local keep
    for keep in "$@"; do args+=(! -name "$keep"); done
    find "$dir" "${args[@]}" -exec rm -rf -- {} +
}

size_of() { du -sxm "$ROOT" | cut -f1; }
before=$(size_of)

# --- banger's guest files ---------------------------------------------------------------------
has_systemd=0
[ -e "$ROOT/lib/systemd/systemd" ] && has_systemd=1
count=0
while IFS= read -r -d '' rel; do
    rel=${rel#./}
    # systemd units and drop-ins only where systemd is (the Void recipe reuses this script).
    case "$rel" in etc/systemd/*) [ "$has_systemd" = 1 ] || continue ;; esac
    mode=0644
    [ -x "$COMMON/$rel" ] && mode=0755
    put "$rel" "$mode" <"$COMMON/$rel"
    touch -r "$COMMON/$rel" "$ROOT/$rel"
    count=$((count + 1))
done < <(cd "$COMMON" && find . -type f -print0 | sort -z)
note "installed $count guest files from images/common (banger-init, inittab, boot, apply-config, sshd drop-in, units)"

# --- locale: C.UTF-8, built into libc-bin, no locales package ---------------------------------
printf 'LANG=C.UTF-8\n' | put etc/default/locale 0644
printf 'LANG=C.UTF-8\n' | put etc/locale.conf 0644
[ -d "$ROOT/usr/lib/locale/C.utf8" ] || echo "customize.sh: warning: $ROOT/usr/lib/locale/C.utf8 is missing (libc-bin provides it)" >&2
note "locale C.UTF-8 (/etc/default/locale, /etc/locale.conf)"

# --- fstab, mount point -----------------------------------------------------------------------
put etc/fstab 0644 <<'EOF'
# banger guest: the root disk and the optional work disk, both found by label.
LABEL=banger-root  /      ext4  defaults,noatime                                      0 0
LABEL=banger-work  /work  ext4  defaults,noatime,nofail,x-systemd.device-timeout=30s  0 0
EOF
mkdir -p "$ROOT/work"
note "fstab: LABEL=banger-root on /, LABEL=banger-work on /work (nofail)"

# --- hostname placeholder, hosts --------------------------------------------------------------
printf 'banger\n' | put etc/hostname 0644
put etc/hosts 0644 <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
127.0.1.1	banger
EOF
note "hostname placeholder 'banger' (the config drive renames the VM)"

# --- no password logins -----------------------------------------------------------------------
if awk -F: '$1 == "root" && $2 != "*" { found = 1 } END { exit !found }' "$ROOT/etc/shadow"; then
    awk -F: -v OFS=: '$1 == "root" { $2 = "*" } { print }' "$ROOT/etc/shadow" >"$WORK/shadow"
    cat "$WORK/shadow" >"$ROOT/etc/shadow" # in place: keeps the file's owner and mode
fi
mkdir -p "$ROOT/root"
chmod 0700 "$ROOT/root"
# Debian's sshd_config includes sshd_config.d/*.conf first (the first value wins); add that line
# where a distribution's config lacks it.
sshd_config=$ROOT/etc/ssh/sshd_config
if [ -f "$sshd_config" ] && ! grep -Eq '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' "$sshd_config"; then
    { echo "Include /etc/ssh/sshd_config.d/*.conf"; cat "$sshd_config"; } >"$WORK/sshd_config"
    cat "$WORK/sshd_config" >"$sshd_config"
fi
note "root password locked ('*'); sshd: keys only, root by key (sshd_config.d/banger.conf)"

# --- the account 'user' (uid 1000), which the E2B SDK runs commands as ------------------------
# Written into the account files directly (no useradd: it would run the host's, or need a chroot),
# each line only where the name is missing, so a second run changes nothing. No password: '*' in
# shadow (no password can match; the agent runs commands as it with setpriv, keys could log it in).
user_shell=/bin/bash
[ -x "$ROOT/bin/bash" ] || user_shell=/bin/sh
if ! grep -q '^user:' "$ROOT/etc/passwd"; then
    if awk -F: '$3 == 1000 { found = 1 } END { exit !found }' "$ROOT/etc/passwd"; then
        die "uid 1000 is taken in $ROOT/etc/passwd by another name than 'user'"
    fi
    echo "user:x:1000:1000::/home/user:$user_shell" >>"$ROOT/etc/passwd"
fi
grep -q '^user:' "$ROOT/etc/group" || echo "user:x:1000:" >>"$ROOT/etc/group"
grep -q '^user:' "$ROOT/etc/shadow" || echo "user:*:20000:0:99999:7:::" >>"$ROOT/etc/shadow"
if [ -f "$ROOT/etc/gshadow" ] && ! grep -q '^user:' "$ROOT/etc/gshadow"; then echo "user:!::" >>"$ROOT/etc/gshadow"; fi
if [ ! -d "$ROOT/home/user" ]; then
    mkdir -p "$ROOT/home/user"
    if [ -d "$ROOT/etc/skel" ]; then cp -a "$ROOT/etc/skel/." "$ROOT/home/user/"; fi
    chown -R 1000:1000 "$ROOT/home/user"
    chmod 0750 "$ROOT/home/user"
fi
if [ -x "$ROOT/usr/bin/sudo" ]; then
    printf 'user ALL=(ALL) NOPASSWD:ALL\n' | put etc/sudoers.d/banger-user 0440
    note "account 'user' (uid 1000, /home/user, $user_shell, no password; passwordless sudo)"
else
    note "account 'user' (uid 1000, /home/user, $user_shell, no password; no sudo in this image)"
fi

# --- per-VM identity: host keys and machine id ------------------------------------------------
rm -f "$ROOT"/etc/ssh/ssh_host_*
if [ -L "$ROOT/etc/machine-id" ] || [ -s "$ROOT/etc/machine-id" ] || [ ! -e "$ROOT/etc/machine-id" ]; then
    rm -f "$ROOT/etc/machine-id"
    : >"$ROOT/etc/machine-id"
fi
chmod 0444 "$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id"
note "removed sshd host keys; /etc/machine-id empty; /var/lib/dbus/machine-id removed"

# --- kernel modules: modules.dep for each version the builder installed -------------------------
for moddir in "$ROOT"/lib/modules/*/; do
    [ -d "$moddir" ] || continue
    version=$(basename "$moddir")
    if [ ! -s "$moddir/modules.dep" ] || [ -n "$(find "$moddir" -name '*.ko*' -newer "$moddir/modules.dep" -print -quit)" ]; then
        depmod -b "$ROOT" "$version"
        note "depmod $version"
    fi
    for m in button evdev; do
        find "$moddir" -name "$m.ko*" -print -quit | grep -q . ||
            echo "customize.sh: warning: module $m is not in $moddir: the fast boot cannot handle the ACPI power button" >&2
    done
done

# --- systemd units (for banger.init=/lib/systemd/systemd) ---------------------------------------
if [ "$has_systemd" = 1 ]; then
    if command -v systemctl >/dev/null 2>&1; then
        systemctl_root() { systemctl --root="$ROOT" --quiet "$@"; }
    else
        systemctl_root() { chroot "$ROOT" systemctl --quiet "$@"; }
    fi
    systemctl_root enable banger-config.service banger-agent.service banger-acpid.service banger-ready.service
    # A disposable VM should not wake up to refresh apt lists and upgrade behind its user's back;
    # e2scrub checks LVM snapshots, which a VM's plain ext4 disks never are.
    for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service; do
        if [ -e "$ROOT/lib/systemd/system/$unit" ]; then systemctl_root disable "$unit"; fi
    done
    # Keep the kernel's interface names (eth0): banger finds the NIC by MAC, and a udev rename racing
    # banger-config.service would only get in the way.
    mkdir -p "$ROOT/etc/systemd/network"
    [ "$(readlink "$ROOT/etc/systemd/network/99-default.link")" = /dev/null ] ||
        ln -sfn /dev/null "$ROOT/etc/systemd/network/99-default.link"
    note "systemd: enabled banger-config, banger-agent, banger-acpid, banger-ready; disabled apt-daily and e2scrub units; kernel NIC names"
fi

# --- later apt installs in the VM skip docs, man pages and translations -----------------------
if [ -d "$ROOT/etc/dpkg" ]; then
    put etc/dpkg/dpkg.cfg.d/banger-nodoc 0644 <<'EOF'
# banger: guests carry no documentation, manuals or translations (customize.sh removed them).
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/groff/*
path-exclude=/usr/share/lintian/*
path-exclude=/usr/share/linda/*
EOF
    note "dpkg drop-in etc/dpkg/dpkg.cfg.d/banger-nodoc (path-exclude docs, man, info, locale)"
fi

# --- strip what a VM never uses ---------------------------------------------------------------
empty_dir usr/share/doc
empty_dir usr/share/man
empty_dir usr/share/info
empty_dir usr/share/locale locale.alias
empty_dir usr/share/groff
empty_dir usr/share/lintian
if [ -d "$ROOT/var/cache/apt" ]; then
    find "$ROOT/var/cache/apt/archives" -maxdepth 1 -type f -name '*.deb' -delete 2>/dev/null || true
    empty_dir var/cache/apt/archives/partial
    find "$ROOT/var/cache/apt" -maxdepth 1 -type f -name '*.bin' -delete
fi
empty_dir var/lib/apt/lists partial lock
empty_dir var/lib/apt/lists/partial
[ -d "$ROOT/var/log" ] && find "$ROOT/var/log" -mindepth 1 ! -type d -delete
empty_dir tmp
empty_dir var/tmp
rm -f "$ROOT"/var/lib/dpkg/*-old "$ROOT"/var/cache/debconf/*-old
note "stripped docs, man, info, locales, apt caches and lists, logs, tmp"

after=$(size_of)
echo "customize.sh: $ROOT customized:"
for line in "${summary[@]}"; do echo "  - $line"; done
echo "  - size: ${before} MiB -> ${after} MiB; largest directories:"
du -xm --max-depth=3 "$ROOT" 2>/dev/null | sort -rn | sed -n '2,9p' | while read -r mib path; do
    echo "      ${mib} MiB  /${path#"$ROOT"/}"
done
[ -x "$ROOT/opt/banger/jre/bin/java" ] && [ -f "$ROOT/opt/banger/agent/banger-agent.jar" ] ||
    echo "customize.sh: note: no guest agent in $ROOT/opt/banger (jre/bin/java, agent/banger-agent.jar): the agent cannot start"
