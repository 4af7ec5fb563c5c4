#!/usr/bin/env bash
# The read side beside DuckDB, in one run, on the same generated store with a warm page cache:
#   eventlens table --at-time T --json      vs  DuckDB's fold of every stream to T
#     (list_reduce of json_merge_patch over read_ndjson, the query of DESIGN.md), 5 moments
#   eventlens when over the whole store     (events/s)
#   eventlens count --every 1h              (events/s)
# Both sides read the file afresh for each moment and write every state as JSON to /dev/null,
# in ROUNDS rounds (3) that interleave them moment by moment.
# DuckDB also runs once more with the events loaded into a table first, which is how a user
# asking several questions would use it. A measurement, not a test: CI does not run it.
#
#   scripts/bench-read.sh                     # ~520 MB, 2 M events, a third in order-1000
#   EVENTS=200000 scripts/bench-read.sh       # smaller
# Needs: python3 -m pip install duckdb
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-2000000}
hot_share=${HOT_SHARE:-0.33}
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bin=$(release_binary)
store=${STORE:-target/bench/orders-$events.jsonl}

python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
mkdir -p "$(dirname "$store")"
if [ ! -f "$store" ]; then
  "$bin" generate --events "$events" --hot-share "$hot_share" --out "$store"
fi
cat "$store" > /dev/null # warm the page cache

# Five moments spread over the store's time span: 10 %, 30 %, 50 %, 70 %, 90 %.
first=$(head -c 4000 "$store" | head -1 | jq -r .time)
last=$(tail -1 "$store" | jq -r .time)
moments=$(python3 - "$first" "$last" <<'EOF'
import sys
from datetime import datetime, timezone
a, b = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in sys.argv[1:])
for share in (0.1, 0.3, 0.5, 0.7, 0.9):
    t = a + (b - a) * share
    print(t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
EOF
)

size_mb=$(echo "scale=1; $(stat -c %s "$store") / 1048576" | bc)
# DuckDB's fold of every stream to each moment given, over the file (`file`) or over the events
# loaded into a table first (`table`, loading not timed): the seconds of each, on one line.
duck_fold() {
  python3 - "$@" <<'PY'
import sys, time, duckdb
mode, store, moments = sys.argv[1], sys.argv[2], sys.argv[3:]
con = duckdb.connect()
con.execute("SET threads = 2")
src = f"""read_ndjson('{store}', columns = {{stream: 'VARCHAR', seq: 'UBIGINT',
          time: 'TIMESTAMPTZ', data: 'JSON'}})"""
fold = """SELECT stream, max(seq) AS seq,
       list_reduce(list(data ORDER BY seq), lambda a, b: json_merge_patch(a, b)) AS state
       FROM {src} WHERE time <= TIMESTAMPTZ '{t}' GROUP BY stream ORDER BY stream"""
if mode == "table":
    con.execute(f"CREATE TABLE events AS SELECT * FROM {src}")
    src = "events"
out = []
for t in moments:
    start = time.perf_counter()
    con.execute(f"COPY ({fold.format(src=src, t=t)}) TO '/dev/null' (FORMAT json)")
    out.append(time.perf_counter() - start)
print(" ".join(f"{s:.3f}" for s in out))
PY
}

# ROUNDS rounds; in each, every moment is folded by eventlens and then by DuckDB, so that the
# host's slow and fast stretches fall on both alike. Per moment, the median of the rounds.
rounds=${ROUNDS:-3}
mapfile -t moment_list <<<"$moments"
declare -A el_at dk_at
el_totals=() dk_totals=()
for _ in $(seq "$rounds"); do
  el_total=0 dk_total=0
  for t in "${moment_list[@]}"; do
    el=$(seconds "$bin" table "$store" --at-time "$t" --json)
    dk=$(duck_fold file "$store" "$t")
    el_at[$t]="${el_at[$t]:-} $el"
    dk_at[$t]="${dk_at[$t]:-} $dk"
    el_total=$(echo "$el_total + $el" | bc)
    dk_total=$(echo "$dk_total + $dk" | bc)
  done
  el_totals+=("$el_total")
  dk_totals+=("$dk_total")
done
read -r -a in_table <<<"$(duck_fold table "$store" "${moment_list[@]}")"

echo "store: $store ($size_mb MB, $events events, order-1000 holds $hot_share of them)"
echo "$rounds rounds, each moment's median of them; DuckDB over a table it loaded first, once"
printf '%-22s %12s %12s %12s %8s\n' "moment" "eventlens s" "duckdb s" "duckdb mem s" "ratio"
i=0
for t in "${moment_list[@]}"; do
  # shellcheck disable=SC2086 # the rounds' times, one word each
  el=$(median ${el_at[$t]})
  # shellcheck disable=SC2086
  dk=$(median ${dk_at[$t]})
  printf '%-22s %12s %12s %12s %8s\n' "$t" "$el" "$dk" "${in_table[$i]}" "$(ratio "$dk" "$el")"
  i=$((i + 1))
done
echo "the 5 moments, each round: eventlens ${el_totals[*]} s; DuckDB ${dk_totals[*]} s"
echo "ratio duckdb / eventlens over the 5 moments: $(ratios "${dk_totals[*]}" "${el_totals[*]}")  (target ≥ 5)"

when_s=$(seconds "$bin" when "$store" --where '.status == "shipped" and .payment == null' --json)
count_s=$(seconds "$bin" count "$store" --by .status --every 1h --csv)
echo "when over the whole store:  $when_s s, $(echo "$events / $when_s" | bc) events/s"
echo "count --every 1h:           $count_s s, $(echo "$events / $count_s" | bc) events/s"
