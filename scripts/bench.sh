#!/usr/bin/env bash
# Side by side, in one run, on the same generated store with a warm page cache:
#   wc -l (the floor for reading the file)   vs  eventlens opening and indexing it
#   jq folding the hot stream                vs  eventlens state of the hot stream
# and eventlens bench scrub (latency of any point of the hot stream, peak memory).
# Prints the numbers and their ratios. A measurement, not a test: CI does not run it.
#
#   scripts/bench.sh                      # ~520 MB, 2.8 M lean events, a third in order-1000
#   EVENTS=500000 scripts/bench.sh        # smaller
#   LEAN= scripts/bench.sh                # full events (ids as UUIDs, meta): ~730 MB
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-2800000}
hot_share=${HOT_SHARE:-0.33}
stream=order-1000
bin=${EVENTLENS:-target/release/eventlens}
lean=${LEAN---lean}
store=${STORE:-target/bench/orders-$events${lean:+-lean}.jsonl}

if [ ! -x "$bin" ]; then
  cargo build --release --no-default-features
fi
mkdir -p "$(dirname "$store")"
if [ ! -f "$store" ]; then
  "$bin" generate --events "$events" --hot-share "$hot_share" $lean --out "$store"
fi
cat "$store" > /dev/null # warm the page cache

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

size_mb=$(echo "scale=1; $(stat -c %s "$store") / 1048576" | bc)
wc_s=$(seconds wc -l "$store")
scrub=$("$bin" bench scrub "$store" --stream "$stream" --samples 1000 --json)
open_s=$(echo "$scrub" | jq '.open_ms / 1000')
state_s=$(seconds "$bin" state "$store" --stream "$stream")
jq_s=$(seconds jq -n "reduce (inputs | select(.stream == \"$stream\")) as \$e ({}; . * \$e.data)" "$store")

echo "store: $store ($size_mb MB, $events events, $stream holds $hot_share of them)"
echo "$scrub" | jq -r '"bench scrub: open \(.open_ms) ms (\(.index_mb_per_s) MB/s), checkpoints \(.checkpoints_ms) ms, state p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms, peak RSS \(.peak_rss_mb) MB"'
printf '%-36s %10s\n' "command" "seconds"
printf '%-36s %10s\n' "wc -l" "$wc_s"
printf '%-36s %10s\n' "eventlens open + index" "$open_s"
printf '%-36s %10s\n' "jq fold of $stream" "$jq_s"
printf '%-36s %10s\n' "eventlens state of $stream" "$state_s"
echo "ratio open / wc -l:       $(echo "scale=1; $open_s / $wc_s" | bc)  (target ≤ 15)"
echo "ratio jq / eventlens:     $(echo "scale=1; $jq_s / $state_s" | bc)"
echo "peak RSS / file size:     $(echo "$scrub" | jq ".peak_rss_mb / $size_mb * 100 | round / 100")  (target ≤ 1.5)"
