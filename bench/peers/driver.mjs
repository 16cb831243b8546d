// Times aws-local-stepfunctions on the shared workloads, the same JSON the
// Go benchmarks in bench/ run, and summarizes both engines' results.
//
//	node driver.mjs peer WORKLOADS_DIR PEER_DIR [workload ...]  one round of the peer: JSON lines
//	node driver.mjs report RESULTS.jsonl                        the side-by-side table
//
// run.sh drives it; README.md, "Benchmarks against peers", says how to read it.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// Executions timed per round, after a tenth as many (at least one) as
// warm-up; W2 and W5 as the shared README's peer figures were taken.
const plan = {
  'w1-pass-chain-params': 50,
  'w1-pass-chain-result': 200,
  'w2-choice': 10000,
  'w4-map-10k': 3,
  'w5-parallel-10x10': 1000,
};

const [mode, ...args] = process.argv.slice(2);
if (mode === 'peer') {
  await peer(...args);
} else if (mode === 'report') {
  report(args[0]);
} else {
  console.error('usage: driver.mjs peer WORKLOADS_DIR PEER_DIR [workload ...] | report RESULTS.jsonl');
  process.exit(2);
}

async function peer(dir, peerDir, ...names) {
  // The package sits in run.sh's cache, not beside this file.
  const { StateMachine } = createRequire(path.join(peerDir, 'package.json'))('aws-local-stepfunctions');
  const scale = Number(process.env.PEERS_SCALE || 1);
  for (const name of names.length ? names : Object.keys(plan)) {
    const def = JSON.parse(fs.readFileSync(path.join(dir, name + '.asl.json'), 'utf8'));
    const base = JSON.parse(fs.readFileSync(path.join(dir, name + '.input.json'), 'utf8'));
    // W2 runs n = i % 100, as the Go benchmark does.
    const input = name === 'w2-choice' ? (i) => ({ n: i % 100 }) : () => base;
    const sm = new StateMachine(def);

    // An untimed pass counts the states the peer's own event log says it
    // entered: a cross-check only, since that log drops events (run.sh
    // divides both engines' time by Statecraft's count).
    let logged = 0;
    const ex = sm.run(input(0));
    const consumed = (async () => {
      for await (const e of ex.eventLogs) if (e.type === 'StateEntered') logged++;
    })();
    const out = await ex.result;
    await consumed;
    check(name, out);

    const n = Math.max(1, Math.round(plan[name] * scale));
    for (let i = 0; i < Math.max(1, Math.floor(n / 10)); i++) await sm.run(input(i)).result;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await sm.run(input(i)).result;
    const ns = Number(process.hrtime.bigint() - t0);
    console.log(JSON.stringify({ engine: 'peer', workload: name, executions: n, ns, loggedEnteredPerExec: logged }));
  }
}

// A wrong answer fast is no figure: each workload must produce its output.
function check(name, out) {
  const fail = (why) => {
    console.error(`${name}: aws-local-stepfunctions: ${why}: ${JSON.stringify(out).slice(0, 200)}`);
    process.exit(1);
  };
  switch (name) {
    case 'w1-pass-chain-params':
      if (out.k !== 999 || out.prev !== 998 || out.v !== 'payload') fail('unexpected output');
      break;
    case 'w1-pass-chain-result':
      if (!out.r || out.r.k !== 999) fail('unexpected output');
      break;
    case 'w2-choice':
      if (out.size !== 'small' || out.tag !== 'w2') fail('unexpected output');
      break;
    case 'w4-map-10k':
      if (!Array.isArray(out) || out.length !== 10000 || out[9999].id !== 9999) fail('unexpected output');
      break;
    case 'w5-parallel-10x10':
      if (!Array.isArray(out) || out.length !== 10 || out.some((b, i) => b.b !== i || b.k !== 9)) fail('unexpected output');
      break;
  }
}

function report(file) {
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const by = {};
  for (const r of rows) {
    const w = (by[r.workload] ??= { go: [], peer: [], per: null, logged: null });
    if (r.engine === 'statecraft') {
      w.go.push(r.nsPerTransition);
      w.per = r.transitionsPerOp;
    } else {
      w.peer.push(r);
      w.logged = r.loggedEnteredPerExec;
    }
  }
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const f = (x, d) => x.toFixed(d);
  const lines = [
    '| workload | transitions/exec (peer log) | Statecraft ns/transition | aws-local-stepfunctions µs/transition | ratio (peer ÷ Statecraft) |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const name of Object.keys(plan)) {
    const w = by[name];
    if (!w || !w.go.length || !w.peer.length || !w.per) continue;
    const peerNs = w.peer.map((r) => r.ns / (r.executions * w.per));
    // Round i of one engine ran next to round i of the other.
    const ratios = peerNs.slice(0, w.go.length).map((p, i) => p / w.go[i]);
    const g = `${f(med(w.go), 0)} (${f(Math.min(...w.go), 0)}–${f(Math.max(...w.go), 0)})`;
    const p = `${f(med(peerNs) / 1000, 2)} (${f(Math.min(...peerNs) / 1000, 2)}–${f(Math.max(...peerNs) / 1000, 2)})`;
    const q = `${f(med(ratios), 0)}× (${f(Math.min(...ratios), 0)}–${f(Math.max(...ratios), 0)})`;
    lines.push(`| ${name} | ${w.per} (${w.logged}) | ${g} | ${p} | ${q} |`);
  }
  console.log(lines.join('\n'));
}
