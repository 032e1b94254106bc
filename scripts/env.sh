# Sourced by setup.sh, test.sh, bin/* and bench/run.sh: the one place that picks the JDK.
# banger needs Java 25 or newer; the machine's default java may be older. Reads the JDK's release
# file instead of running java -version, which would cost a JVM start on every banger command.
java_ok() {
  [ -x "$1/bin/java" ] && [ -f "$1/release" ] \
    && grep -qE '^JAVA_VERSION="(2[5-9]|[3-9][0-9])' "$1/release"
}
if [ -n "${BANGER_JAVA_HOME:-}" ] && java_ok "$BANGER_JAVA_HOME"; then
  JAVA_HOME=$BANGER_JAVA_HOME
elif [ -n "${JAVA_HOME:-}" ] && java_ok "$JAVA_HOME"; then
  :
else
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
export JAVA_HOME
