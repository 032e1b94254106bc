# Sourced by setup.sh, test.sh, bin/* and bench/run.sh: the one place that picks the JDK.
# banger needs Java 25 or newer; the machine's default java may be older. Reads the JDK's release
# file with bash alone (no java -version, which would cost a JVM start, nor grep, a process) on every
# banger command.
java_ok() {
  local line
  [ -x "$1/bin/java" ] && [ -f "$1/release" ] || return 1
  while IFS= read -r line; do
    [[ $line =~ ^JAVA_VERSION=\"(2[5-9]|[3-9][0-9]) ]] && return 0
  done <"$1/release"
  return 1
}
if [ -n "${BANGER_JAVA_HOME:-}" ] && java_ok "$BANGER_JAVA_HOME"; then
  JAVA_HOME=$BANGER_JAVA_HOME
elif [ -n "${JAVA_HOME:-}" ] && java_ok "$JAVA_HOME"; then
  :
elif java_ok /usr/lib/jvm/java-25-openjdk-amd64; then
  JAVA_HOME=/usr/lib/jvm/java-25-openjdk-amd64 # Ubuntu's own package
else
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 # Adoptium's package (README.md); named in setup.sh's message when missing
fi
export JAVA_HOME
