#!/usr/bin/env bash
# Proves that banger-daemon's tests (and those of the modules it builds on) pass as a user who is not
# root: the 'privileged' tests are left out there (the parent pom's not-root profile), everything else
# must run and pass. test.sh runs it after the full build, as root, which lets it act as 'nobody':
#   scripts/test-unprivileged.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
if [ "$(id -u)" -ne 0 ]; then
  # Already unprivileged: just run them.
  exec mvn -B -q -o -pl banger-daemon -am test
fi
work=$(mktemp -d /tmp/banger-unpriv.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The tree without build outputs, and a copy of the local Maven repository (root's is 0700): nobody must
# be able to read both and write its own target/ directories.
tar --exclude=./.git --exclude='*/target' --exclude=./build -cf - . | tar -xf - -C "$work" --no-same-owner
mkdir -p "$work/.m2"
cp -a "${HOME:-/root}/.m2/repository" "$work/.m2/repository"
chown -R 65534:65534 "$work"
echo "test-unprivileged: mvn -pl banger-daemon -am test as uid 65534"
setpriv --reuid=65534 --regid=65534 --clear-groups \
  env HOME="$work" JAVA_HOME="$JAVA_HOME" PATH="$JAVA_HOME/bin:/usr/local/bin:/usr/bin:/bin" \
  bash -c 'cd "$HOME" && mvn -B -q -o -Dmaven.repo.local="$HOME/.m2/repository" -pl banger-daemon -am test' \
  2>&1 | grep -v -E 'sun\.misc\.Unsafe|terminally deprecated method|Please consider reporting this to the maintainers|will be removed in a future release'
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "test-unprivileged: passed"
exit "$status"
