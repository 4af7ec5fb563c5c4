#!/usr/bin/env python3
"""Seeds each fuzz target's corpus (fuzz/corpus/TARGET/) from tests/fixtures/: whole fixtures
and pieces of them for the store readers, single records for the scanner, pairs of payloads for
the patches, the projections as they are, and the filters the CLI tests use. Run it before a
campaign; docs/FUZZING.md says how. Then unpacks what earlier campaigns kept (fuzz/kept/, made
by fuzz/keep) beside the seeds. Writes only under fuzz/corpus/."""

import json
import pathlib
import tarfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = ROOT / "fuzz" / "corpus"
KEPT = ROOT / "fuzz" / "kept"

FORMATS = {
    "envelope_jsonl": ["orders.jsonl", "causation.jsonl", "checkout.jsonl", "schema-drift.jsonl"],
    "envelope_json": ["orders.json"],
    "envelope_cloudevents": ["orders.cloudevents.jsonl"],
    "envelope_kurrent": ["orders.kurrent.json"],
    "envelope_message_db": ["orders.message-db.jsonl"],
    "envelope_kcat": ["orders.kcat.jsonl"],
}

FILTERS = [
    ".status",
    '.status == "shipped" and .payment == null',
    ".total > 100",
    ".items | length",
    '.data.payment.ref == "PAY-1"',
    '.meta.user == "bob"',
    "[.items[] | .qty] | add",
    '.tags | join(",")',
    ".a | (.b",
    "x=.a | (.b",
    "if .total > 10 then \"big\" else empty end",
    "reduce .items[] as $i (0; . + $i.qty)",
    "def f: .a; f // 1",
    ".[\"order_no\"] | tostring",
]

TIMES = [
    "2024-03-01T10:00:00Z",
    "2024-03-01T10:05:00.250Z",
    "2024-03-01T10:05:00.123456789+02:00",
    "2024-03-01 10:05:00.5",
    "2024-03-01T10:05",
    "2024-03-01",
    "1678-01-01T00:00:00Z",
    "2262-04-11T23:47:16.854775807Z",
    "15m",
    "1d",
]


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def lines(path):
    return [line for line in path.read_text().splitlines() if line.strip()]


def payloads():
    """Every fixture event's data, in file order, per stream: states and merge patches."""
    by_stream = {}
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for line in lines(path):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            data = record.get("data")
            if isinstance(data, (dict, list)):
                by_stream.setdefault(str(record.get("stream")), []).append(data)
    return by_stream


def main():
    for target, files in FORMATS.items():
        for file in files:
            path = FIXTURES / file
            write(target, file, path.read_bytes())
            records = lines(path)
            for at in range(0, len(records), 3):
                write(target, f"{file}.{at}", "\n".join(records[at : at + 3]) + "\n")
            write("container", file, path.read_bytes())
    # Python eventsourcing's rows, as eventlens reads them from its SQLite tables.
    rows = []
    for number, line in enumerate(lines(FIXTURES / "orders.jsonl"), 1):
        event = json.loads(line)
        rows.append(json.dumps({
            "notification_id": number,
            "originator_id": event.get("stream"),
            "originator_version": event.get("seq"),
            "topic": f"orders:{event.get('type')}",
            "state": json.dumps(event.get("data"), ensure_ascii=False),
        }, ensure_ascii=False))
    write("envelope_eventsourcing", "rows", "\n".join(rows) + "\n")
    for at in range(0, len(rows), 3):
        write("envelope_eventsourcing", f"rows.{at}", "\n".join(rows[at : at + 3]) + "\n")
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for at, line in enumerate(lines(path)):
            write("scan", f"{path.name}.{at}", line)
    for stream, states in payloads().items():
        for at, (before, after) in enumerate(zip(states, states[1:])):
            pair = json.dumps(before, ensure_ascii=False) + "\n" + json.dumps(after, ensure_ascii=False)
            write("merge_patch", f"{stream}.{at}", pair)
            write("json_patch", f"{stream}.{at}", pair)
    write("json_patch", "ops", '{"a":{"b":[1,2]}}\n[{"op":"add","path":"/a/b/-","value":3},'
          '{"op":"move","from":"/a/b/0","path":"/c"},{"op":"test","path":"/c","value":1},'
          '{"op":"copy","from":"/a","path":"/d"},{"op":"remove","path":"/a/b"},'
          '{"op":"replace","path":"/d/b/1","value":null}]')
    for path in sorted((FIXTURES / "projections").glob("*.js")):
        write("projection", path.name, path.read_bytes())
    for at, text in enumerate(FILTERS):
        write("filter", str(at), text)
    for at, text in enumerate(TIMES):
        write("time", str(at), text)
    for packed in sorted(KEPT.glob("*.tar.xz")):
        target = packed.name.removesuffix(".tar.xz")
        with tarfile.open(packed) as kept:
            for member in kept.getmembers():
                if member.isfile():
                    # libFuzzer names an input by its hash: flat, no paths to follow.
                    name = pathlib.PurePath(member.name).name
                    write(target, name, kept.extractfile(member).read())


if __name__ == "__main__":
    main()
