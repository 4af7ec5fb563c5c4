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

# The median of the numbers given.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# A over B, to two decimals.
ratio() { echo "scale=2; $1 / $2" | bc; }

# Round by round, the ratio of the numbers in A (a list, one per round) to those in B: their
# median, then each round's in parentheses. A ratio within a round compares runs made moments
# apart, which a noisy host disturbs less than it does the same runs minutes apart.
ratios() {
  local -a a b each
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  local i
  for i in "${!a[@]}"; do
    each+=("$(ratio "${a[$i]}" "${b[$i]}")")
  done
  echo "$(median "${each[@]}") (${each[*]})"
}
