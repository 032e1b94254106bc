#!/bin/bash
# banger: build a Void Linux (glibc, x86_64) root filesystem tree for a banger guest image.
#
#   make-rootfs.sh OUT_DIR [MIRROR]     MIRROR defaults to https://repo-default.voidlinux.org
#
# Downloads the static xbps from MIRROR/static, installs base-minimal, openssh, iproute2 (ss),
# busybox (the fast boot's init and acpid) and kmod into OUT_DIR from MIRROR/current, then applies
# banger's customizing (images/debian/customize.sh, which skips what Void does not have: systemd,
# dpkg, apt). Void images boot the fast way only (banger.init=/sbin/banger-init). As for Debian, the
# builder then adds the kernel modules and /opt/banger and runs customize.sh OUT_DIR again.
#
# Exit status: 0 done; 1 failed (OUT_DIR removed); 2 usage; 3 the mirror is unreachable (checked
# first, with a 10 s timeout, before anything is created).
set -euo pipefail

die() { echo "make-rootfs.sh: $*" >&2; exit 1; }
usage() { echo "usage: make-rootfs.sh OUT_DIR [MIRROR]   (MIRROR default: https://repo-default.voidlinux.org)" >&2; exit 2; }

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then usage; fi
OUT=$1
MIRROR=${2:-https://repo-default.voidlinux.org}
MIRROR=${MIRROR%/}
ARCH=x86_64
# The key that signs Void's glibc repositories (docs.voidlinux.org, "XBPS: Repositories").
VOID_KEY=${VOID_KEY_FINGERPRINT:-60:ae:0c:d6:f0:95:17:80:bc:93:46:7a:89:af:a3:2d}

[ -n "$OUT" ] || usage
[ "$(id -u)" -eq 0 ] || die "must run as root (package scripts and owners inside OUT_DIR)"
if [ -e "$OUT" ] && [ ! -d "$OUT" ]; then
    die "$OUT exists and is not a directory"
elif [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
    die "$OUT already exists and is not empty: give a new directory"
fi

# --- the mirror must answer before anything is created ------------------------------------------
case "$MIRROR" in
    https://*) hostport=${MIRROR#https://}; port=443 ;;
    http://*) hostport=${MIRROR#http://}; port=80 ;;
    *) echo "make-rootfs.sh: MIRROR must be an http:// or https:// URL, not '$MIRROR'" >&2; exit 2 ;;
esac
hostport=${hostport%%/*}
host=${hostport%:*}
[ "$host" != "$hostport" ] && port=${hostport##*:}
case "$port" in '' | *[!0-9]*) echo "make-rootfs.sh: bad port in MIRROR '$MIRROR'" >&2; exit 2 ;; esac
host=${host#[}
host=${host%]}
# shellcheck disable=SC2016 # $1 and $2 belong to the inner bash
if ! timeout 10 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null; then
    echo "make-rootfs.sh: cannot reach the Void mirror $MIRROR ($host port $port) within 10 s; nothing was created" >&2
    exit 3
fi

if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fsSL --retry 2 --connect-timeout 15 -m 600 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q -T 15 -t 3 -O "$2" "$1"; }
else
    die "neither curl nor wget is installed"
fi

# --- from here on, undo everything on failure ---------------------------------------------------
created_out=0 # 1: we created OUT; 2: OUT existed, empty (on failure, empty it again)
WORK=$(mktemp -d)
cleanup() {
    status=$?
    rm -rf "$WORK"
    if [ "$status" -ne 0 ]; then
        case "$created_out" in
            1) rm -rf --one-file-system "$OUT"; echo "make-rootfs.sh: failed (status $status); removed $OUT" >&2 ;;
            2) find "$OUT" -xdev -mindepth 1 -delete; echo "make-rootfs.sh: failed (status $status); emptied $OUT" >&2 ;;
        esac
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if [ -d "$OUT" ]; then
    created_out=2
else
    mkdir -p "$OUT"
    created_out=1
fi
OUT=$(cd "$OUT" && pwd -P)

echo "make-rootfs.sh: static xbps from $MIRROR/static"
fetch "$MIRROR/static/xbps-static-latest.$ARCH-musl.tar.xz" "$WORK/xbps-static.tar.xz" ||
    die "cannot download $MIRROR/static/xbps-static-latest.$ARCH-musl.tar.xz"
mkdir -p "$WORK/xbps"
tar -xJf "$WORK/xbps-static.tar.xz" -C "$WORK/xbps"
XBPS_INSTALL=$WORK/xbps/usr/bin/xbps-install.static
XBPS_RECONFIGURE=$WORK/xbps/usr/bin/xbps-reconfigure.static
[ -x "$XBPS_INSTALL" ] || die "the static xbps archive has no usr/bin/xbps-install.static"
export XBPS_ARCH=$ARCH
REPO=$MIRROR/current

# Sync the repository index first: xbps imports the repository's signing key on first use, so check
# that it is Void's key before installing anything signed with it.
mkdir -p "$OUT/var/db/xbps/keys"
if [ -d "$WORK/xbps/var/db/xbps/keys" ]; then
    cp -a "$WORK/xbps/var/db/xbps/keys/." "$OUT/var/db/xbps/keys/"
fi
{ yes || true; } | "$XBPS_INSTALL" -S -r "$OUT" -R "$REPO" >/dev/null || die "cannot sync the repository index from $REPO"
[ -f "$OUT/var/db/xbps/keys/$VOID_KEY.plist" ] ||
    die "the repository at $REPO is not signed with Void's key $VOID_KEY (keys: $(ls "$OUT/var/db/xbps/keys"))"

echo "make-rootfs.sh: installing base-minimal openssh iproute2 busybox kmod ca-certificates from $REPO"
"$XBPS_INSTALL" -S -y -r "$OUT" -R "$REPO" base-minimal openssh iproute2 busybox kmod ca-certificates ||
    die "xbps-install failed"
if [ -x "$XBPS_RECONFIGURE" ]; then
    "$XBPS_RECONFIGURE" -r "$OUT" -f -a || die "xbps-reconfigure failed"
fi
mkdir -p "$OUT/etc/xbps.d"
echo "repository=$REPO" >"$OUT/etc/xbps.d/00-repository-main.conf"

# Void ships busybox without applet links; the fast boot only ever calls it as /bin/busybox.
[ -x "$OUT/bin/busybox" ] || die "busybox is missing from $OUT/bin after the install"

rm -rf "${OUT:?}"/var/cache/xbps/*
"$(dirname "$0")/../debian/customize.sh" "$OUT"

trap - EXIT
rm -rf "$WORK"
echo "make-rootfs.sh: Void root filesystem ready in $OUT (boot it with banger.init=/sbin/banger-init)"
