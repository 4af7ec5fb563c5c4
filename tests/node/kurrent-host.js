// A stand-in for KurrentDB's projection host, written apart from eventlens, to check that a
// projection gives the same states in both: it reads an eventlens JSON Lines store, runs the
// script in a fresh V8 context with KurrentDB's functions, folds each stream it selects on
// its own, and prints {"stream": state, ...}.
//
//   node tests/node/kurrent-host.js STORE.jsonl PROJECTION.js
"use strict";
const fs = require("fs");
const vm = require("vm");

const [storePath, scriptPath] = process.argv.slice(2);

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
const host = {
  fromAll: () => ((selects = () => true), chain),
  fromStream: (id) => ((selects = (s) => s === id), chain),
  fromStreams: (...ids) => ((selects = (s) => flat(ids).includes(s)), chain),
  fromCategory: (name) => ((selects = (s) => categoryOf(s) === name), chain),
  fromCategories: (...names) => ((selects = (s) => flat(names).includes(categoryOf(s))), chain),
  options: () => {},
  log: () => {},
  emit: () => {},
  linkTo: () => {},
};
vm.runInNewContext(fs.readFileSync(scriptPath, "utf8"), host, { filename: scriptPath });

const states = {};
for (const line of fs.readFileSync(storePath, "utf8").split("\n")) {
  if (line.trim() === "") continue;
  const record = JSON.parse(line);
  const stream = record.stream;
  if (!selects(stream)) continue;
  if (!(stream in states)) {
    states[stream] = handlers.$init ? handlers.$init() : {};
  }
  const handler = Object.prototype.hasOwnProperty.call(handlers, record.type) ? handlers[record.type] : handlers.$any;
  if (!handler) continue;
  const e = {
    eventType: record.type,
    streamId: stream,
    sequenceNumber: record.seq,
    created: record.time,
    data: record.data,
    body: record.data,
    metadata: record.meta,
    bodyRaw: JSON.stringify(record.data),
  };
  // The state as KurrentDB keeps it between events: JSON.
  const s = JSON.parse(JSON.stringify(states[stream]));
  const returned = handler(s, e);
  states[stream] = returned === undefined ? s : returned;
}
process.stdout.write(JSON.stringify(states));
