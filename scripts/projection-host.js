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
const readline = require("readline");
const { load, handlerFor, envelope } = require("../tests/node/kurrent-api.js");

const [storePath, scriptPath, only] = process.argv.slice(2);
const { selects, handlers } = load(scriptPath);

// Reading and parsing the records is not the fold: done first, as eventlens has its index
// before it folds. Line by line, since a store can be larger than V8's longest string.
async function read() {
  const records = [];
  const lines = readline.createInterface({ input: fs.createReadStream(storePath), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line);
    if (only !== undefined ? record.stream === only : selects(record.stream)) records.push(record);
  }
  return records;
}

read().then((records) => {
  const began = process.hrtime.bigint();
  const states = new Map();
  let folded = 0;
  let failed = 0;
  for (const record of records) {
    const stream = record.stream;
    let s = states.get(stream);
    if (s === undefined) s = handlers.$init ? handlers.$init() : {};
    const handler = handlerFor(handlers, record);
    if (handler) {
      // A handler that throws fails its event only, as in eventlens; the state goes on.
      let returned;
      try {
        returned = handler(s, envelope(record));
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
});
