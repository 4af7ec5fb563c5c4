#!/usr/bin/env bash
# Side by side, in one run, on the same generated store with a warm page cache:
#   wc -l (the floor for reading the file)   vs  eventlens streams --json (read, count, list)
#   DuckDB's GROUP BY stream over read_ndjson vs  eventlens streams --json
#   jq folding the hot stream                vs  eventlens state of the hot stream
#   eventlens bench scrub (open time, latency of any point of the hot stream, peak memory)
#   a projection on Node.js calling its handlers directly (scripts/projection-host.js)
#                                            vs  eventlens bench scrub/check --projection, the same
#                                                script: the hot stream, and every stream
# Each measure runs several rounds, interleaved with its peer (ROUNDS, 5; PROJECTION_ROUNDS, 3):
# it prints the median and every round, and each ratio as the median of the rounds' ratios with
# the rounds' own after it. A measurement, not a test: CI does not run it.
#
#   scripts/bench.sh                                  # ~570 MB: 2 M events in 150 000 streams,
#                                                     # half of them in order-1000
#   EVENTS=10000000 STREAMS=750000 scripts/bench.sh   # the 10 M store (~2.8 GB)
#   EVENTS=300000 STREAMS=20000 scripts/bench.sh      # smaller
#   PROJECTIONS= scripts/bench.sh                     # without the projection folds (minutes)
#   ROUNDS=1 PROJECTION_ROUNDS=1 scripts/bench.sh     # each measure once
# Needs: jq, node, python3 -m pip install duckdb
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-2000000}
hot_share=${HOT_SHARE:-0.5}
streams=${STREAMS:-150000}
stream=order-1000
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bin=$(release_binary)
projection=${PROJECTION:-assets/order-summary.js}
projections=${PROJECTIONS-yes}
store=${STORE:-target/bench/orders-$events-$streams.jsonl}

python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
mkdir -p "$(dirname "$store")"
if [ ! -f "$store" ]; then
  "$bin" generate --events "$events" --hot-share "$hot_share" --streams "$streams" --out "$store"
fi
cat "$store" > /dev/null # warm the page cache
rounds=${ROUNDS:-5}
projection_rounds=${PROJECTION_ROUNDS:-3}

size_mb=$(echo "scale=1; $(stat -c %s "$store") / 1048576" | bc)
# DuckDB's listing of the streams, the query alone timed (seconds).
duck_listing() {
  python3 - "$1" <<'PY'
import sys, time, duckdb
con = duckdb.connect()
start = time.perf_counter()
con.execute(f"""SELECT stream, count(*), min(seq), max(seq), min(time), max(time)
  FROM read_ndjson('{sys.argv[1]}', columns = {{stream: 'VARCHAR', seq: 'BIGINT', time: 'VARCHAR'}})
  GROUP BY stream""").fetchall()
print(f"{time.perf_counter() - start:.3f}")
PY
}
# The quick measures run ROUNDS times, each round every command once in turn, so that the
# host's slow and fast stretches fall on both sides of each ratio alike.
wc_all=() streams_all=() duck_all=()
for _ in $(seq "$rounds"); do
  wc_all+=("$(seconds wc -l "$store")")
  streams_all+=("$(seconds "$bin" streams "$store" --json)")
  duck_all+=("$(duck_listing "$store")")
done
# Peak memory of the listing, file-backed pages included (KiB).
streams_kb=$( { /usr/bin/time -f %M "$bin" streams "$store" --json > /dev/null; } 2>&1 | tail -1)
scrub=$("$bin" bench scrub "$store" --stream "$stream" --samples 1000 --json)
state_s=$(seconds "$bin" state "$store" --stream "$stream")
jq_s=$(seconds jq -n "reduce (inputs | select(.stream == \"$stream\")) as \$e ({}; . * \$e.data)" "$store")

echo "store: $store ($size_mb MB, $events events in $streams streams, $stream holds $hot_share of them)"
echo "$scrub" | jq -r '"bench scrub: open \(.open_ms) ms (\(.index_mb_per_s) MB/s), checkpoints \(.checkpoints_ms) ms, state p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms, peak RSS \(.peak_rss_mb) MB"'
echo "$rounds rounds: the median, then every round in order"
printf '%-44s %10s   %s\n' "command" "seconds" "rounds"
printf '%-44s %10s   %s\n' "wc -l" "$(median "${wc_all[@]}")" "${wc_all[*]}"
printf '%-44s %10s   %s\n' "eventlens streams --json" "$(median "${streams_all[@]}")" "${streams_all[*]}"
printf '%-44s %10s   %s\n' "DuckDB GROUP BY stream (columns given)" "$(median "${duck_all[@]}")" "${duck_all[*]}"
printf '%-44s %10s\n' "jq fold of $stream" "$jq_s"
printf '%-44s %10s\n' "eventlens state of $stream" "$state_s"
echo "ratio streams / wc -l:          $(ratios "${streams_all[*]}" "${wc_all[*]}")  (target ≤ 8)"
echo "ratio DuckDB / streams:         $(ratios "${duck_all[*]}" "${streams_all[*]}")  (target ≥ 2)"
echo "ratio jq / eventlens state:     $(ratio "$jq_s" "$state_s")"
echo "peak RSS / file size (streams): $(echo "scale=2; $streams_kb / 1024 / $size_mb" | bc)  (target ≤ 1.5)"
echo "peak RSS / file size (scrub):   $(echo "$scrub" | jq ".peak_rss_mb / $size_mb * 100 | round / 100")  (target ≤ 1.5)"

[ -n "$projections" ] || exit 0
# The projection folds, each side timing the fold alone: the Node.js host reads and parses the
# file before its clock starts; `bench scrub --projection` times the fold of the whole stream
# after opening the store (checkpoints_ms); for every stream, eventlens's time is `check` with
# the projection less `check` without it (opening, indexing and checking the store). They run
# PROJECTION_ROUNDS times, the four folds in turn each round, and each ratio is taken within a
# round, of events per second.
node_hot_all=() node_all_all=() fold_hot_all=() fold_all_all=()
for _ in $(seq "$projection_rounds"); do
  node_hot=$(node --max-old-space-size=16384 scripts/projection-host.js "$store" "$projection" "$stream")
  fold_hot_all+=("$("$bin" bench scrub "$store" --stream "$stream" --samples 100 --json --projection "$projection" | jq '.checkpoints_ms / 1000')")
  node_all=$(node --max-old-space-size=16384 scripts/projection-host.js "$store" "$projection")
  check_s=$(seconds "$bin" check "$store")
  check_with_s=$(seconds "$bin" check "$store" --projection "$projection")
  fold_all_all+=("$(echo "$check_with_s - $check_s" | bc)")
  node_hot_all+=("$(echo "$node_hot" | jq .fold_s)")
  node_all_all+=("$(echo "$node_all" | jq .fold_s)")
done
hot_events=$(echo "$node_hot" | jq .events)
all_events=$(echo "$node_all" | jq .events)
per_s() { echo "$1 / $2" | bc; }
printf '%-44s %10s %10s   %s\n' "projection $projection" "seconds" "events/s" "rounds (seconds)"
fold_row() {
  local label=$1 events=$2
  shift 2
  local mid
  mid=$(median "$@")
  printf '%-44s %10s %10s   %s\n' "$label" "$mid" "$(per_s "$events" "$mid")" "$(printf '%.3f ' "$@")"
}
fold_row "node, $stream ($hot_events events)" "$hot_events" "${node_hot_all[@]}"
fold_row "eventlens, $stream (bench scrub)" "$hot_events" "${fold_hot_all[@]}"
fold_row "node, every stream ($all_events events)" "$all_events" "${node_all_all[@]}"
fold_row "eventlens check --projection" "$all_events" "${fold_all_all[@]}"
# eventlens's events/s over V8's is V8's time over eventlens's, the same events on both sides.
echo "ratio eventlens / V8, hot stream:    $(ratios "${node_hot_all[*]}" "${fold_hot_all[*]}")  (target ≥ 0.5)"
echo "ratio eventlens / V8, every stream:  $(ratios "${node_all_all[*]}" "${fold_all_all[*]}")  (target ≥ 1)"
