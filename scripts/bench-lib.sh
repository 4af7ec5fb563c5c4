# Shared by the benchmark scripts (sourced, not run).

# Seconds a command takes, its output discarded.
seconds() {
  local start end
  start=$(date +%s%N)
  "$@" > /dev/null
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / 1000000000" | bc
}

# The eventlens binary to measure: $EVENTLENS if given, else a release build of the sources as
# they are, built now (a no-op when it is up to date), so that a binary left from other sources
# is never what is measured.
release_binary() {
  if [ -n "${EVENTLENS:-}" ]; then
    echo "$EVENTLENS"
  else
    cargo build --release --no-default-features --quiet >&2
    echo target/release/eventlens
  fi
}
