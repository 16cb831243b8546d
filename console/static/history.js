// history.js folds an execution's history events, as GetExecutionHistory
// returns them, into what the console shows: each state's runs (input,
// output, error, retries) and status, and for each event the state and
// resource it belongs to.

// detailsOf returns the <type>EventDetails member of an event.
export function detailsOf(ev) {
  if (ev.type.endsWith('StateEntered')) return ev.stateEnteredEventDetails || {};
  if (ev.type.endsWith('StateExited')) return ev.stateExitedEventDetails || {};
  const key = ev.type[0].toLowerCase() + ev.type.slice(1) + 'EventDetails';
  return ev[key] || {};
}

// openKind tells the events that open and close a Parallel or Map state.
function openKind(type) {
  if (type === 'ParallelStateEntered' || type === 'ParallelStateExited') return 'Parallel';
  if (type === 'MapStateEntered' || type === 'MapStateExited') return 'Map';
  return null;
}

// ownKind tells the events a Parallel or Map state emits about itself.
function ownKind(type) {
  if (/^ParallelState(Started|Succeeded|Failed|Aborted)$/.test(type)) return 'Parallel';
  if (/^(MapState(Started|Succeeded|Failed|Aborted)|MapRun\w+)$/.test(type)) return 'Map';
  return null;
}

const FAILED = /(Failed|TimedOut|Aborted)$/;
const RESTARTED = /(Scheduled|Started)$/;

export class Tracker {
  constructor() {
    this.events = [];
    this.stateOf = new Map(); // event id -> state name
    this.resourceOf = new Map(); // event id -> resource
    this.runs = new Map(); // state -> [run]
    this.current = new Map(); // state -> the run in progress
    this.open = { Parallel: [], Map: [] }; // Parallel and Map states entered, not exited
    this.start = null;
    this.ended = null;
  }

  add(ev) {
    if (this.stateOf.has(ev.id)) return null; // seen already
    this.events.push(ev);
    const d = detailsOf(ev);
    let state = null;
    const prev = ev.previousEventId;
    if (ev.type === 'ExecutionStarted') this.start = ev.timestamp;
    if (ev.type.endsWith('StateEntered')) {
      state = d.name;
      const run = { state, input: d.input, status: 'running', retries: 0, entered: ev.id };
      (this.runs.get(state) || this.runs.set(state, []).get(state)).push(run);
      this.current.set(state, run);
      const kind = openKind(ev.type);
      if (kind) this.open[kind].push(state);
    } else if (ev.type.endsWith('StateExited')) {
      state = d.name;
      const run = this.current.get(state);
      if (run) {
        run.output = d.output;
        run.status = run.failed ? 'caught' : 'succeeded';
        run.exited = ev.id;
        this.current.delete(state);
      }
      const kind = openKind(ev.type);
      if (kind) {
        const i = this.open[kind].lastIndexOf(state);
        if (i >= 0) this.open[kind].splice(i, 1);
      }
    } else if (!ev.type.startsWith('Execution')) {
      // The events of a Parallel or Map state itself follow the last
      // event of a branch or iteration: they belong to the innermost such
      // state that is open (Map iterations name theirs).
      const kind = ownKind(ev.type);
      if (ev.type.startsWith('MapIteration') && d.name) state = d.name;
      else if (kind) state = this.open[kind].at(-1) ?? null;
      else state = this.stateOf.get(prev) ?? null;
      const run = state && this.current.get(state);
      if (run) {
        if (FAILED.test(ev.type)) {
          run.failed = true;
          run.status = 'failed';
          if (d.error !== undefined) run.error = d.error;
          if (d.cause !== undefined) run.cause = d.cause;
        } else if (run.failed && RESTARTED.test(ev.type) && !ev.type.startsWith('MapIteration')) {
          run.failed = false;
          run.retries++;
          run.status = 'running';
        }
      }
    }
    this.stateOf.set(ev.id, state);
    const res = d.resource || (state && this.stateOf.get(prev) === state && !ev.type.endsWith('StateEntered') ? this.resourceOf.get(prev) : undefined);
    if (res && state) this.resourceOf.set(ev.id, res);
    if (ev.type === 'ExecutionFailed' || ev.type === 'ExecutionTimedOut' || ev.type === 'ExecutionAborted') {
      this.ended = ev.type;
      const to = ev.type === 'ExecutionAborted' ? 'cancelled' : 'failed';
      for (const runs of this.runs.values()) {
        for (const r of runs) if (r.status === 'running') r.status = to;
      }
      if (ev.type === 'ExecutionFailed' || ev.type === 'ExecutionTimedOut') {
        const last = this.stateOf.get(prev);
        const r = last && this.runs.get(last)?.at(-1);
        if (r) {
          r.status = 'failed';
          if (r.error === undefined && d.error !== undefined) { r.error = d.error; r.cause = d.cause; }
        }
      }
    }
    if (ev.type === 'ExecutionSucceeded') this.ended = ev.type;
    return state;
  }

  // status sums up a state's runs: running while any run is, then the
  // worst outcome.
  status(state) {
    const runs = this.runs.get(state) || [];
    if (!runs.length) return { status: '', retries: 0, runs: 0 };
    const retries = runs.reduce((s, r) => s + r.retries, 0);
    for (const s of ['running', 'failed', 'cancelled', 'caught', 'succeeded']) {
      if (runs.some((r) => r.status === s)) return { status: s, retries, runs: runs.length };
    }
    return { status: '', retries, runs: runs.length };
  }
}
