// KurrentDB's projection functions for a Node.js host, written apart from eventlens: loads a
// projection script in a fresh V8 context and returns what it declared. Shared by the test host
// (tests/node/kurrent-host.js) and the benchmark host (scripts/projection-host.js).
//
//   const { load, handlerFor, envelope } = require("./kurrent-api.js");
//   const { selects, handlers } = load(scriptPath);
"use strict";
const fs = require("fs");
const vm = require("vm");

const categoryOf = (stream) => (stream.includes("-") ? stream.slice(0, stream.indexOf("-")) : null);
const flat = (args) => (args.length === 1 && Array.isArray(args[0]) ? args[0] : args);

// Runs the script at `scriptPath`; returns `selects(stream)`, whether it reads a stream, and
// `handlers`, what it gave when().
function load(scriptPath) {
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
  return { selects, handlers };
}

// The handler to call for a record of an eventlens JSON Lines store (`$any` for a type without
// its own), or undefined.
const handlerFor = (handlers, record) =>
  Object.prototype.hasOwnProperty.call(handlers, record.type) ? handlers[record.type] : handlers.$any;

// The event `e` a handler gets for such a record, as KurrentDB gives it (but for `bodyRaw`).
const envelope = (record) => ({
  eventType: record.type,
  streamId: record.stream,
  sequenceNumber: record.seq,
  created: record.time,
  data: record.data,
  body: record.data,
  metadata: record.meta,
});

module.exports = { load, handlerFor, envelope };
