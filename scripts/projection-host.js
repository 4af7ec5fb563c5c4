// The plain V8 host the projection benchmark runs beside eventlens (scripts/bench.sh): it reads
// an eventlens JSON Lines store, runs a KurrentDB projection script in a V8 context and calls
// its handlers directly, the state kept as a live object between events (no JSON round trip,
// no checks), folding each stream it selects on its own, or only STREAM. Prints the events
// folded and the time the fold took, apart from reading the file:
//   {"events": N, "failed": F, "streams": S, "fold_s": T, "events_per_s": R}
//
//   node scripts/projection-host.js STORE.jsonl PROJECTION.js [STREAM]
"use strict";
const fs = require("fs");
const vm = require("vm");

const [storePath, scriptPath, only] = process.argv.slice(2);

let selects = null;
let handlers = null;
const chain = {
  foreachStream: () => chain,
  partitionBy: () => chain,
  when: (given) => {
    handlers = given;
    const output = { outputState: () => output, outputTo: () => output };
    return output;
  },
};
const categoryOf = (stream) => (stream.includes("-") ? stream.slice(0, stream.indexOf("-")) : null);
const flat = (args) => (args.length === 1 && Array.isArray(args[0]) ? args[0] : args);
vm.runInNewContext(
  fs.readFileSync(scriptPath, "utf8"),
  {
    fromAll: () => ((selects = () => true), chain),
    fromStream: (id) => ((selects = (s) => s === id), chain),
    fromStreams: (...ids) => ((selects = (s) => flat(ids).includes(s)), chain),
    fromCategory: (name) => ((selects = (s) => categoryOf(s) === name), chain),
    fromCategories: (...names) => ((selects = (s) => flat(names).includes(categoryOf(s))), chain),
    options: () => {},
    log: () => {},
    emit: () => {},
    linkTo: () => {},
  },
  { filename: scriptPath },
);

// Reading and parsing the records is not the fold: done first, as eventlens has its index
// before it folds.
const records = [];
const text = fs.readFileSync(storePath, "utf8");
let start = 0;
while (start < text.length) {
  let end = text.indexOf("\n", start);
  if (end < 0) end = text.length;
  const line = text.slice(start, end);
  start = end + 1;
  if (line.trim() === "") continue;
  const record = JSON.parse(line);
  if (only !== undefined ? record.stream === only : selects(record.stream)) records.push(record);
}

const began = process.hrtime.bigint();
const states = new Map();
let folded = 0;
let failed = 0;
for (const record of records) {
  const stream = record.stream;
  let s = states.get(stream);
  if (s === undefined) s = handlers.$init ? handlers.$init() : {};
  const handler = Object.prototype.hasOwnProperty.call(handlers, record.type) ? handlers[record.type] : handlers.$any;
  if (handler) {
    // A handler that throws fails its event only, as in eventlens; the state goes on.
    let returned;
    try {
      returned = handler(s, {
        eventType: record.type,
        streamId: stream,
        sequenceNumber: record.seq,
        created: record.time,
        data: record.data,
        body: record.data,
        metadata: record.meta,
      });
    } catch {
      failed += 1;
    }
    if (returned !== undefined) s = returned;
    folded += 1;
  }
  states.set(stream, s);
}
const seconds = Number(process.hrtime.bigint() - began) / 1e9;
process.stdout.write(
  JSON.stringify({ events: folded, failed, streams: states.size, fold_s: seconds, events_per_s: Math.round(folded / seconds) }) + "\n",
);
