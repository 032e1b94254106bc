#!/usr/bin/env bash
# Runs all of banger's tests: unit and property tests, the architecture rules, and the integration
# tests that drive a real bangerd through bin/banger on temporary BANGER_HOMEs. Needs root.
#   ./test.sh                 everything (mvn verify, then banger-daemon's tests as uid 65534)
#   ./test.sh -pl banger-core  extra arguments go to Maven
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --deps-only
. scripts/env.sh
# Maven itself (not banger) trips JDK 25's sun.misc.Unsafe warnings; filter those four lines only.
set +e
mvn -B verify "$@" 2>&1 | grep -v -E 'sun\.misc\.Unsafe|terminally deprecated method|Please consider reporting this to the maintainers|will be removed in a future release'
status=${PIPESTATUS[0]}
set -e
# The same tests as a user who is not root (the privileged ones left out): a full run only.
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
  scripts/test-unprivileged.sh || status=$?
fi
# Tests must not leak daemons: each one stops what it started.
if leftover=$(pgrep -a -x bangerd); then
  echo "test.sh: bangerd processes left running after the tests:" >&2
  echo "$leftover" >&2
  exit 1
fi
exit "$status"
