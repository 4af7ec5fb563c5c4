# Shared by the benchmark scripts (sourced, not run).

# Seconds a command takes, its output discarded.
seconds() {
  local start end
  start=$(date +%s%N)
  "$@" > /dev/null
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / 1000000000" | bc
}
