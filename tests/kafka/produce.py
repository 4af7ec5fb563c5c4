"""Writes a Kafka topic for tests/kafka.rs with the real confluent-kafka client (librdkafka).

    produce.py BOOTSTRAP TOPIC PARTITIONS OUT_DIR [--timed | --more KEY N]

Creates TOPIC with PARTITIONS partitions and produces order events keyed by order id with
librdkafka's `murmur2_random` partitioner (the Java client's default), from four producers
that compress their batches with gzip, snappy, lz4 and zstd, with headers, a tombstone, a
payload that is not JSON and one that is not UTF-8. Writes to OUT_DIR:

- produced.json: every message as its delivery report gave it (partition, offset, timestamp);
- dump.jsonl: the topic read back by a consumer with assigned partitions, printed as the
  lines `kcat -J` prints (the route eventlens compares the topic with).

--timed produces to an existing topic instead: messages with explicit timestamps, one second
apart from 2030-01-01T00:00:00Z. --more KEY N appends N more events to KEY's order.
"""

import base64
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def producer(bootstrap, compression):
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "partitioner": "murmur2_random",
            "compression.type": compression,
            # Batches of several records, which brokers store as one.
            "linger.ms": 20,
        }
    )


def create(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
    ).values():
        future.result(30)


def history(n):
    """Order n's events: (type, data) pairs."""
    events = [("OrderPlaced", {"qty": 1 + n % 5, "price": "19.99", "items": [f"sku-{n}"]})]
    for k in range(n % 4):
        events.append(("ItemAdded", {"items": [f"sku-{n}", f"sku-{n}-{k}"], "qty": 2 + k}))
    if n % 3 != 0:
        events.append(("OrderPaid", {"payment": {"ref": f"pay-{n}", "amount": 18446744073709551615}}))
    if n % 2 == 0:
        events.append(("OrderShipped", {"status": "shipped", "carrier": None}))
    return events


def produce(bootstrap, topic, messages, delivered):
    """Sends (key, value, headers, timestamp) tuples, a quarter with each codec, in order."""
    codecs = ["gzip", "snappy", "lz4", "zstd"]
    quarter = (len(messages) + 3) // 4
    for i, codec in enumerate(codecs):
        p = producer(bootstrap, codec)

        def report(err, msg, codec=codec):
            if err is not None:
                raise SystemExit(f"delivery failed: {err}")
            value = msg.value()
            try:
                text = None if value is None else value.decode("utf-8")
                shown = {"payload": text}
            except UnicodeDecodeError:
                shown = {"payload_base64": base64.b64encode(value).decode()}
            delivered.append(
                {
                    "key": msg.key().decode(),
                    "partition": msg.partition(),
                    "offset": msg.offset(),
                    "timestamp": msg.timestamp()[1],
                    "codec": codec,
                    **shown,
                }
            )

        for key, value, headers, timestamp in messages[i * quarter : (i + 1) * quarter]:
            extra = {} if timestamp is None else {"timestamp": timestamp}
            p.produce(topic, key=key, value=value, headers=headers, on_delivery=report, **extra)
            p.poll(0)
        if p.flush(30) != 0:
            raise SystemExit("messages left unsent")


def orders(count):
    messages = []
    for n in range(count):
        for type_, data in history(n):
            value = json.dumps({"type": type_, "data": data}).encode()
            headers = [("type", type_.encode()), ("correlationId", f"c-{n}".encode())]
            messages.append((f"order-{n}", value, headers, None))
    messages.append(("order-3", None, [], None))
    messages.append(("note-1", b"not json at all", [("type", b"Note")], None))
    messages.append(("blob-1", b"\xff\x00A", [("type", b"Blob")], None))
    return messages


def dump(bootstrap, topic, delivered, out):
    """Reads the topic back, partition by partition, as kcat -J lines."""
    wanted = {}
    for d in delivered:
        wanted[d["partition"]] = max(wanted.get(d["partition"], -1), d["offset"])
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "dump", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in wanted])
    got = {}
    left = dict(wanted)
    while left:
        msg = consumer.poll(10)
        if msg is None:
            raise SystemExit(f"the topic ended early: still waiting for {left}")
        if msg.error():
            raise SystemExit(f"consume failed: {msg.error()}")
        got[(msg.partition(), msg.offset())] = msg
        if left.get(msg.partition()) == msg.offset():
            del left[msg.partition()]
    consumer.close()
    with open(out, "w") as f:
        for (partition, offset), msg in sorted(got.items()):
            value = msg.value()
            if value is not None and value.startswith(b"\xff"):
                continue  # kcat prints such bytes as they are: no JSON line holds them
            headers = []
            for name, header in msg.headers() or []:
                headers += [name, header.decode()]
            line = {
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "tstype": "create",
                "ts": msg.timestamp()[1],
                "headers": headers,
                "key": msg.key().decode(),
                "payload": None if value is None else value.decode(),
            }
            f.write(json.dumps(line) + "\n")


def main():
    bootstrap, topic, partitions, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    mode = sys.argv[5:]
    delivered = []
    if mode[:1] == ["--more"]:
        key, n = mode[1], int(mode[2])
        messages = [
            (key, json.dumps({"type": "Noted", "data": {"note": i}}).encode(), [], None)
            for i in range(n)
        ]
        produce(bootstrap, topic, messages, delivered)
    elif mode[:1] == ["--timed"]:
        create(bootstrap, topic, partitions)
        start = 1893456000000  # 2030-01-01T00:00:00Z
        messages = [
            (f"t-{i % 5}", json.dumps({"type": "Tick", "data": {"i": i}}).encode(), [], start + 1000 * i)
            for i in range(40)
        ]
        produce(bootstrap, topic, messages, delivered)
    else:
        create(bootstrap, topic, partitions)
        produce(bootstrap, topic, orders(40), delivered)
        dump(bootstrap, topic, delivered, f"{out}/dump.jsonl")
    with open(f"{out}/produced.json", "w") as f:
        json.dump(delivered, f)


if __name__ == "__main__":
    main()
