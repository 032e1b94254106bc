# Sourced by setup.sh, test.sh, bin/* and bench/run.sh: the one place that picks the JDK.
# banger needs Java 25; the machine's default java may be older.
: "${BANGER_JAVA_HOME:=${JAVA_HOME:-}}"
if [ -z "$BANGER_JAVA_HOME" ] || [ ! -x "$BANGER_JAVA_HOME/bin/java" ] \
   || ! "$BANGER_JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  BANGER_JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
export JAVA_HOME="$BANGER_JAVA_HOME"
