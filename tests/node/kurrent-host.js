// A stand-in for KurrentDB's projection host, written apart from eventlens, to check that a
// projection gives the same states in both: it reads an eventlens JSON Lines store, runs the
// script in a fresh V8 context with KurrentDB's functions, folds each stream it selects on
// its own, and prints {"stream": state, ...}.
//
//   node tests/node/kurrent-host.js STORE.jsonl PROJECTION.js
"use strict";
const fs = require("fs");
const { load, handlerFor, envelope } = require("./kurrent-api.js");

const [storePath, scriptPath] = process.argv.slice(2);
const { selects, handlers } = load(scriptPath);

const states = {};
for (const line of fs.readFileSync(storePath, "utf8").split("\n")) {
  if (line.trim() === "") continue;
  const record = JSON.parse(line);
  const stream = record.stream;
  if (!selects(stream)) continue;
  if (!(stream in states)) {
    states[stream] = handlers.$init ? handlers.$init() : {};
  }
  const handler = handlerFor(handlers, record);
  if (!handler) continue;
  const e = envelope(record);
  e.bodyRaw = JSON.stringify(record.data);
  // The state as KurrentDB keeps it between events: JSON.
  const s = JSON.parse(JSON.stringify(states[stream]));
  const returned = handler(s, e);
  states[stream] = returned === undefined ? s : returned;
}
process.stdout.write(JSON.stringify(states));
