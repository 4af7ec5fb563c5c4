#!/usr/bin/env bash
# eventlens on a PostgreSQL store beside the same store dumped as a file, in one run.
#
#   scripts/bench-pg.sh URL HOT_STREAM CATEGORY
#
# URL is a message-db database (postgres://USER:PASSWORD@HOST:PORT/DB). Measures: the stream
# list (one aggregate query), one stream read alone, a category read alone, the same three on
# the store dumped as message-db rows (JSON Lines), and the latency from a write_message to the
# event printed by `events --follow` (20 writes, 250 ms poll). Needs psql and Python's psycopg.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 3 ] || { echo "usage: $0 URL HOT_STREAM CATEGORY" >&2; exit 2; }
url=$1 hot=$2 category=$3
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bin=$(release_binary)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() { # runs "$@" with stdout discarded, prints the best wall time of 3 in seconds
  local best=
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    best=$(python3 -c "print(min(float('${best:-1e9}'), $end - $start))")
  done
  printf '%.3f' "$best"
}

events=$(psql "$url" -Atc "SELECT count(*) FROM message_store.messages")
hot_events=$(psql "$url" -Atc "SELECT count(*) FROM message_store.messages WHERE stream_name = '$hot'")
category_events=$(psql "$url" -Atc "SELECT count(*) FROM message_store.messages WHERE message_store.category(stream_name) = '$category'")
psql "$url" -Atc "SELECT row_to_json(m) FROM message_store.messages m ORDER BY global_position" > "$work/dump.jsonl"
size=$(du -m "$work/dump.jsonl" | cut -f1)
echo "store: $events events ($size MB as JSON Lines); $hot: $hot_events; category $category: $category_events"

row() { # what, seconds on the database, seconds on the file, events read
  python3 -c "
what, db, file, n = '$1', $2, $3, $4
print(f'{what:<22} database {db:7.3f} s ({n / db:>9,.0f} events/s)   file {file:7.3f} s   database/file {db / file:5.2f}x')"
}
row "streams --json" "$(seconds "$bin" streams "$url" --json)" "$(seconds "$bin" streams "$work/dump.jsonl" --json)" "$events"
row "events --stream" "$(seconds "$bin" events "$url" --stream "$hot" --json)" "$(seconds "$bin" events "$work/dump.jsonl" --stream "$hot" --json)" "$hot_events"
row "state --stream" "$(seconds "$bin" state "$url" --stream "$hot")" "$(seconds "$bin" state "$work/dump.jsonl" --stream "$hot")" "$hot_events"
row "events --category" "$(seconds "$bin" events "$url" --category "$category" --json)" "$(seconds "$bin" events "$work/dump.jsonl" --category "$category" --json)" "$category_events"

python3 - "$bin" "$url" <<'EOF'
import statistics, subprocess, sys, threading, time, uuid, queue
import psycopg
bin, url = sys.argv[1], sys.argv[2]
follower = subprocess.Popen([bin, "events", url, "--stream", "bench-latency-1", "--follow", "--json", "--poll-ms", "250"],
                            stdout=subprocess.PIPE, text=True)
lines = queue.Queue()
threading.Thread(target=lambda: [lines.put(l) for l in follower.stdout], daemon=True).start()
time.sleep(3)
while not lines.empty():
    lines.get()
waits = []
with psycopg.connect(url, autocommit=True, options="-c search_path=message_store,public") as db:
    for n in range(20):
        start = time.monotonic()
        db.execute("SELECT message_store.write_message(%s, 'bench-latency-1', 'Ping', %s::jsonb)",
                   (str(uuid.uuid4()), '{"n": %d}' % n))
        lines.get(timeout=10)
        waits.append((time.monotonic() - start) * 1000)
        time.sleep(0.1)
follower.terminate()
waits.sort()
print(f"follow latency         write_message -> printed: median {statistics.median(waits):.0f} ms, "
      f"max {waits[-1]:.0f} ms over {len(waits)} writes (poll 250 ms)")
EOF
