// What a projection script sees besides the language itself: KurrentDB's projection functions,
// and nothing that reaches outside (no clock, no randomness, no I/O). Run once per engine,
// before the user's script. The engine calls `globalThis[HOOK]` (defined last) from Rust.
"use strict";
(() => {
  const noClock = (what) => () => {
    throw new Error(`${what} is not available in a projection: the same events must always give the same state`);
  };

  // Date stays usable on given times (new Date(e.created)), but it cannot read the clock.
  const RealDate = Date;
  const SandboxDate = function Date(...args) {
    if (new.target === undefined || args.length === 0) noClock("the clock")();
    return Reflect.construct(RealDate, args, new.target);
  };
  SandboxDate.prototype = RealDate.prototype;
  SandboxDate.UTC = RealDate.UTC;
  SandboxDate.parse = RealDate.parse;
  SandboxDate.now = noClock("Date.now()");
  Object.defineProperty(RealDate.prototype, "constructor", { value: SandboxDate });
  globalThis.Date = SandboxDate;
  Math.random = noClock("Math.random()");

  let source = null;
  let handlers = null;
  // The state of the run being folded, and its stream.
  let live = null;
  let stream = null;
  let streamCategory = null;
  // Event types by the number `register` gave them, with their handler.
  const types = [];

  const selected = (kind, ids) => {
    if (source !== null) throw new Error(`the projection chose its events twice (${source.kind} and ${kind})`);
    source = { kind, ids: ids.map(String) };
    return selection;
  };
  const list = (args) => (args.length === 1 && Array.isArray(args[0]) ? args[0] : args);

  // The chain after a selection. Each stream folds on its own in eventlens, which is what
  // foreachStream() and partitionBy() ask for in KurrentDB; outputState() and outputTo()
  // say where KurrentDB writes the state, and here it is always shown.
  const afterWhen = {
    outputState: () => afterWhen,
    outputTo: () => afterWhen,
  };
  const selection = {
    foreachStream: () => selection,
    partitionBy: () => selection,
    when: (given) => {
      if (handlers !== null) throw new Error("when() is called twice");
      if (typeof given !== "object" || given === null) throw new TypeError("when() takes an object of handlers, as in when({ OrderPlaced: (s, e) => … })");
      for (const [name, handler] of Object.entries(given)) {
        if (typeof handler !== "function") throw new TypeError(`the handler "${name}" is not a function`);
      }
      handlers = given;
      return afterWhen;
    },
  };
  for (const unsupported of ["transformBy", "filterBy"]) {
    afterWhen[unsupported] = () => {
      throw new Error(`${unsupported}() is not supported by eventlens: it shows the state the handlers build`);
    };
  }

  globalThis.fromAll = () => selected("all", []);
  globalThis.fromStream = (id) => selected("streams", [id]);
  globalThis.fromStreams = (...ids) => selected("streams", list(ids));
  globalThis.fromCategory = (name) => selected("categories", [name]);
  globalThis.fromCategories = (...names) => selected("categories", list(names));
  // Options tune KurrentDB's server; log() writes to its log; emit() and linkTo() write
  // events to other streams. eventlens only reads a file, so these have nothing to act on.
  globalThis.options = () => {};
  globalThis.log = () => {};
  globalThis.emit = () => {};
  globalThis.linkTo = () => {};

  const own = (object, name) => Object.prototype.hasOwnProperty.call(object, name);

  // The `e` a handler gets. As in KurrentDB's own prelude, `metadata` is read from
  // `metadataRaw` the first time a handler asks for it (most never do), and is then the
  // event's own member like the others.
  const envelope = (eventType, sequenceNumber, eventId, created, data, bodyRaw, metadataRaw) => ({
    __proto__: Envelope,
    eventType,
    streamId: stream,
    category: streamCategory,
    sequenceNumber,
    eventId,
    created,
    isJson: true,
    data,
    body: data,
    bodyRaw,
    metadataRaw,
  });
  const settle = (e, metadata) => {
    Object.defineProperty(e, "metadata", { value: metadata, writable: true, enumerable: true, configurable: true });
    return metadata;
  };
  const Envelope = Object.defineProperty({}, "metadata", {
    get() {
      return settle(this, this.metadataRaw === null ? null : JSON.parse(this.metadataRaw));
    },
    set(metadata) {
      settle(this, metadata);
    },
  });

  Object.defineProperty(globalThis, "__eventlens", {
    value: Object.freeze({
      // What the script declared: its source and the types it handles.
      declared() {
        if (handlers === null) throw new Error("the projection has no when({ … }): nothing to fold");
        return JSON.stringify({
          source: source,
          handles: Object.keys(handlers).filter((name) => !name.startsWith("$")),
          any: own(handlers, "$any"),
        });
      },
      init() {
        const state = own(handlers, "$init") ? handlers.$init() : {};
        return written(state === undefined ? {} : state, "$init");
      },
      // A run of one stream's events starts from a state as JSON text. Between the events of
      // a run the state stays here, as the handlers left it (Dates, Maps, undefined members
      // and all); `state()` writes it as JSON where the run ends.
      begin(stateText, streamId, category) {
        live = JSON.parse(stateText);
        stream = streamId;
        streamCategory = category;
      },
      // One event of the run. Returns why when its payload cannot be read; throws what its
      // handler throws.
      // An event type's number for `step`, which finds its handler by it.
      register(eventType) {
        const handler = own(handlers, eventType) ? handlers[eventType] : handlers.$any;
        types.push({ eventType, handler });
        return types.length - 1;
      },
      step(type, sequenceNumber, eventId, created, bodyRaw, metadataRaw) {
        const { eventType, handler } = types[type];
        if (handler === undefined) return undefined;
        let data;
        try {
          data = bodyRaw === null ? null : JSON.parse(bodyRaw);
        } catch (error) {
          return `its payload cannot be read: ${error.message}`;
        }
        const e = envelope(eventType, sequenceNumber, eventId, created, data, bodyRaw, metadataRaw);
        const returned = handler(live, e);
        if (returned !== undefined) {
          const kind = typeof returned;
          if (kind === "function" || kind === "symbol") {
            throw new TypeError(`the state left by ${eventType} cannot be written as JSON (it is ${kind})`);
          }
          live = returned;
        }
        return undefined;
      },
      state() {
        return written(live, "the handlers");
      },
    }),
  });

  const written = (state, by) => {
    const text = JSON.stringify(state);
    if (text === undefined) throw new TypeError(`the state left by ${by} cannot be written as JSON (it is ${typeof state})`);
    return text;
  };
})();
