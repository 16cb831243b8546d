// graph.js lays out an Amazon States Language definition as an SVG graph,
// in the browser, with no library: a layered (Sugiyama-style) layout per
// list of states, with Parallel branches and Map item processors laid out
// recursively and drawn nested inside their state. Edges: Next (solid),
// Choice rules (labelled with the rule), Default (labelled "Default",
// dashed), Catch (orange, dashed, labelled with the errors caught), and
// loops routed up the right-hand side. Edge labels take part in the layout
// (as in Graphviz) so that they never sit on a state.

const NS = 'http://www.w3.org/2000/svg';
const NODE_H = 46;
const GAP_X = 28;
const GAP_Y = 26;
const LABEL_H = 18;
const LABEL_CHARS = 44; // longer labels are clipped (the whole text is the tooltip)
const CHAR_W = 6.6; // a label character at 11px, roughly
const TERM_W = 64;
const TERM_H = 26;

function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  if (parent) parent.appendChild(e);
  return e;
}

function clip(s, n) {
  s = String(s);
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

// ---- Choice rules as text ----

const COMPARE = [
  ['GreaterThanEquals', '>='], ['LessThanEquals', '<='], ['GreaterThan', '>'],
  ['LessThan', '<'], ['Equals', '=='], ['Matches', '~'],
];
const TESTS = { IsNull: 'null', IsPresent: 'present', IsNumeric: 'numeric', IsString: 'a string', IsBoolean: 'a boolean', IsTimestamp: 'a timestamp' };

// describeRule renders one Choice rule (JSONPath or JSONata) as a short
// expression: "$.count > 3", "$.a == \"x\" && !($.b is present)".
export function describeRule(r) {
  if (!r || typeof r !== 'object') return '?';
  if (r.Condition !== undefined) return String(r.Condition);
  const paren = (x) => (x.And || x.Or ? '(' + describeRule(x) + ')' : describeRule(x));
  if (Array.isArray(r.And)) return r.And.map(paren).join(' && ');
  if (Array.isArray(r.Or)) return r.Or.map(paren).join(' || ');
  if (r.Not) return '!(' + describeRule(r.Not) + ')';
  const v = r.Variable ?? '?';
  for (const [k, val] of Object.entries(r)) {
    if (TESTS[k]) return `${v} is ${val ? '' : 'not '}${TESTS[k]}`;
    const isPath = k.endsWith('Path') && k !== 'Variable';
    const base = isPath ? k.slice(0, -4) : k;
    for (const [suffix, op] of COMPARE) {
      if (base.endsWith(suffix) && /^(String|Numeric|Boolean|Timestamp)/.test(base)) {
        return `${v} ${op} ${isPath ? val : JSON.stringify(val)}`;
      }
    }
  }
  return JSON.stringify(r);
}

// ---- Layout ----

function subtitle(st) {
  const type = (st && st.Type) || '?';
  return type === 'Task' && typeof st.Resource === 'string' ? 'Task · ' + shortResource(st.Resource) : type;
}

function stateWidth(name, st) {
  return Math.min(250, Math.max(136, Math.max(name.length * 7.6, subtitle(st).length * 6.2) + 34));
}

function labelWidth(text) {
  return Math.min(LABEL_CHARS, text.length) * CHAR_W + 12;
}

// layoutBlock lays out the states of one list (the machine, a Parallel
// branch or a Map processor). Coordinates are relative to the block.
function layoutBlock(states, startAt, top) {
  states = states && typeof states === 'object' ? states : {};
  const nodes = new Map();
  const add = (n) => { nodes.set(n.id, n); return n; };
  if (top) add({ id: '#start', kind: 'start', name: 'Start', w: TERM_W, h: TERM_H });
  for (const [name, st] of Object.entries(states)) {
    const type = (st && st.Type) || '?';
    const n = add({ id: name, kind: 'state', name, type, st: st || {}, w: stateWidth(name, st), h: NODE_H, inner: [] });
    let blocks = [];
    if (type === 'Parallel' && Array.isArray(st.Branches)) {
      blocks = st.Branches.map((b, i) => ({ title: `Branch ${i + 1}`, block: layoutBlock(b && b.States, b && b.StartAt, false) }));
    } else if (type === 'Map') {
      const p = st.ItemProcessor || st.Iterator;
      if (p) blocks = [{ title: st.ItemProcessor ? 'Item processor' : 'Iterator', block: layoutBlock(p.States, p.StartAt, false) }];
    }
    if (blocks.length) {
      let x = 12;
      let h = 0;
      for (const b of blocks) {
        const bw = Math.max(b.block.w + 20, labelWidth(b.title) + 10);
        n.inner.push({ title: b.title, block: b.block, x, y: 36, w: bw, h: b.block.h + 32 });
        x += bw + 14;
        h = Math.max(h, b.block.h + 32);
      }
      n.w = Math.max(n.w, x - 14 + 12);
      n.h = 36 + h + 12;
      n.compound = true;
    }
  }
  let end = null;
  if (top) end = add({ id: '#end', kind: 'end', name: 'End', w: TERM_W, h: TERM_H });

  // Edges, in definition order; the same pair of states joined twice by
  // the same kind of edge is one edge with both labels.
  const edges = [];
  const byKey = new Map();
  const edge = (from, to, kind, label, title) => {
    if (!nodes.has(to) || !nodes.has(from)) return;
    const key = `${from}\u0000${to}\u0000${kind}`;
    const old = byKey.get(key);
    if (old) {
      if (label) { old.label = old.label ? old.label + ' | ' + label : label; old.title = old.title + '\n' + title; }
      return;
    }
    const e = { from, to, kind, label: label || '', title: title || label || '' };
    byKey.set(key, e);
    edges.push(e);
  };
  if (top && startAt) edge('#start', startAt, 'next');
  for (const [name, st] of Object.entries(states)) {
    if (!st) continue;
    if (st.Type === 'Choice') {
      for (const c of st.Choices || []) {
        const text = describeRule(c);
        edge(name, c.Next, 'choice', clip(text, LABEL_CHARS), text);
      }
      if (st.Default) edge(name, st.Default, 'default', 'Default', 'Default');
    }
    if (typeof st.Next === 'string') edge(name, st.Next, 'next');
    for (const c of st.Catch || []) {
      const errs = (c.ErrorEquals || []).join(', ');
      edge(name, c.Next, 'catch', clip('catch ' + errs, LABEL_CHARS), 'Catch ' + errs);
    }
    if (end && (st.End === true || st.Type === 'Succeed' || st.Type === 'Fail')) edge(name, '#end', 'end');
  }

  // Depth-first from the start: edges into a state on the stack are loops.
  const out = new Map([...nodes.keys()].map((k) => [k, []]));
  for (const e of edges) out.get(e.from).push(e);
  const seen = new Set();
  const onStack = new Set();
  const post = [];
  const pre = [];
  const dfs = (id) => {
    seen.add(id);
    onStack.add(id);
    pre.push(id);
    for (const e of out.get(id)) {
      if (onStack.has(e.to)) e.back = true;
      else if (!seen.has(e.to)) dfs(e.to);
    }
    onStack.delete(id);
    post.push(id);
  };
  const roots = [top ? '#start' : startAt, ...nodes.keys()].filter((id) => id && nodes.has(id) && id !== '#end');
  for (const r of roots) if (!seen.has(r)) dfs(r);
  if (end && !seen.has('#end')) { seen.add('#end'); pre.push('#end'); post.unshift('#end'); }

  // Layers: longest path; a labelled edge spans two layers so that its
  // label gets a row of its own.
  const layer = new Map();
  // States nothing leads to (unreachable ones) go below Start, not beside it.
  for (const id of post.slice().reverse()) {
    if (!layer.has(id)) layer.set(id, top && id !== '#start' ? 1 : 0);
  }
  const topo = post.slice().reverse();
  for (const id of topo) {
    for (const e of out.get(id)) {
      if (e.back) continue;
      const min = e.label ? 2 : 1;
      layer.set(e.to, Math.max(layer.get(e.to) ?? 0, layer.get(id) + min));
    }
  }
  if (end) {
    let m = 0;
    for (const [id, l] of layer) if (id !== '#end') m = Math.max(m, l);
    layer.set('#end', m + 1);
  }

  // Chains of dummy nodes for edges spanning several layers.
  const rows = [];
  const put = (id, l) => { (rows[l] = rows[l] || []).push(id); };
  for (const id of pre) { nodes.get(id).layer = layer.get(id); }
  for (const id of pre) put(id, layer.get(id));
  let dn = 0;
  for (const e of edges) {
    if (e.back) continue;
    const a = layer.get(e.from);
    const b = layer.get(e.to);
    e.chain = [];
    for (let l = a + 1; l < b; l++) {
      const id = `#d${dn++}`;
      const labelled = e.label && l === a + 1;
      nodes.set(id, { id, kind: 'dummy', w: labelled ? labelWidth(e.label) : 14, h: labelled ? LABEL_H : 0, layer: l, edge: e, labelled });
      e.chain.push(id);
      put(id, l);
    }
  }
  for (let l = 0; l < rows.length; l++) rows[l] = rows[l] || [];

  // Segments between consecutive layers, for ordering and placement.
  const preds = new Map([...nodes.keys()].map((k) => [k, []]));
  const succs = new Map([...nodes.keys()].map((k) => [k, []]));
  for (const e of edges) {
    if (e.back) continue;
    const path = [e.from, ...e.chain, e.to];
    for (let i = 0; i + 1 < path.length; i++) {
      preds.get(path[i + 1]).push(path[i]);
      succs.get(path[i]).push(path[i + 1]);
    }
  }
  const pos = new Map();
  const index = () => rows.forEach((r) => r.forEach((id, i) => pos.set(id, i)));
  index();
  const sweep = (from, to, step, nb) => {
    for (let l = from; l !== to; l += step) {
      const r = rows[l];
      const bary = new Map();
      r.forEach((id, i) => {
        const ns = nb.get(id);
        bary.set(id, ns.length ? ns.reduce((s, x) => s + pos.get(x), 0) / ns.length : i);
      });
      r.sort((x, y) => bary.get(x) - bary.get(y) || pos.get(x) - pos.get(y));
      r.forEach((id, i) => pos.set(id, i));
    }
  };
  for (let i = 0; i < 3; i++) {
    sweep(1, rows.length, 1, preds);
    sweep(rows.length - 2, -1, -1, succs);
  }
  sweep(1, rows.length, 1, preds);

  // Coordinates: rows top to bottom; each state centred under what leads
  // into it as far as its row allows.
  let y = 0;
  const cx = new Map();
  for (let l = 0; l < rows.length; l++) {
    const r = rows[l];
    const rh = Math.max(0, ...r.map((id) => nodes.get(id).h));
    const want = r.map((id) => {
      const ps = preds.get(id);
      return ps.length && l > 0 ? ps.reduce((s, p) => s + cx.get(p), 0) / ps.length : null;
    });
    // Without a predecessor: after the previous one.
    let left = [];
    let prevRight = -Infinity;
    r.forEach((id, i) => {
      const n = nodes.get(id);
      const prevDummy = i > 0 && nodes.get(r[i - 1]).kind === 'dummy';
      const gap = n.kind === 'dummy' || prevDummy ? 16 : GAP_X;
      const desired = want[i] !== null ? want[i] - n.w / 2 : (prevRight === -Infinity ? 0 : prevRight + gap);
      const x = Math.max(desired, prevRight + gap);
      left.push(x);
      prevRight = x + n.w;
    });
    const shifts = r.map((id, i) => (want[i] === null ? null : left[i] + nodes.get(id).w / 2 - want[i])).filter((s) => s !== null);
    const shift = shifts.length ? shifts.reduce((a, b) => a + b, 0) / shifts.length : 0;
    r.forEach((id, i) => {
      const n = nodes.get(id);
      n.x = left[i] - shift;
      n.y = y + (rh - n.h) / 2;
      n.rowTop = y;
      n.rowBottom = y + rh;
      cx.set(id, n.x + n.w / 2);
    });
    y += rh + GAP_Y;
  }
  let minX = Infinity;
  let maxX = 0;
  for (const n of nodes.values()) { minX = Math.min(minX, n.x); }
  if (!isFinite(minX)) minX = 0;
  for (const n of nodes.values()) { n.x -= minX; maxX = Math.max(maxX, n.x + n.w); }

  // Edge routes.
  const outs = new Map();
  const ins = new Map();
  for (const e of edges) {
    if (e.back) continue;
    const first = nodes.get(e.chain[0] || e.to);
    const last = nodes.get(e.chain[e.chain.length - 1] || e.from);
    (outs.get(e.from) || outs.set(e.from, []).get(e.from)).push([e, first.x + first.w / 2]);
    (ins.get(e.to) || ins.set(e.to, []).get(e.to)).push([e, last.x + last.w / 2]);
  }
  const spread = (m, attach) => {
    for (const [id, list] of m) {
      const n = nodes.get(id);
      list.sort((a, b) => a[1] - b[1]);
      const k = list.length;
      const span = Math.min(n.w - 24, (k - 1) * 18);
      list.forEach(([e], i) => { attach(e, n.x + n.w / 2 + (k > 1 ? -span / 2 + (span * i) / (k - 1) : 0)); });
    }
  };
  spread(outs, (e, x) => { e.sx = x; });
  spread(ins, (e, x) => { e.tx = x; });
  // Loops (edges back up to a state already passed) run in a lane
  // beside the graph: on the right, or on the left when that side is
  // clearer. An end of a loop leaves (enters) its state from the side when
  // no other state of its row stands between it and the lane, and
  // otherwise through the gap below (above) its row, so that a loop never
  // runs behind a state or a label.
  const blocked = (n, side) => (rows[n.layer] || []).some((id) => {
    if (id === n.id) return false;
    const o = nodes.get(id);
    if (o.kind === 'dummy' && !o.labelled) return false; // an edge passing: a crossing only
    return side > 0 ? o.x >= n.x + n.w : o.x + o.w <= n.x;
  });
  let rightLane = maxX + 16;
  let leftLane = -16;
  const loopsOut = new Map();
  const loopsIn = new Map();
  for (const e of edges) {
    if (e.back) continue;
    const a = nodes.get(e.from);
    const b = nodes.get(e.to);
    const pts = [[e.sx, a.y + a.h]];
    for (const id of e.chain) {
      const d = nodes.get(id);
      const mx = d.x + d.w / 2;
      // Straight down through the row, so that the edge passes beside
      // the states of the row and not behind them.
      pts.push([mx, d.rowTop]);
      pts.push([mx, d.rowBottom]);
      if (d.labelled) e.labelAt = [mx, d.y + d.h / 2];
    }
    pts.push([e.tx, b.y]);
    e.points = pts;
  }
  for (const e of edges) {
    if (!e.back) continue;
    const a = nodes.get(e.from);
    const b = nodes.get(e.to);
    const cost = (side) => Number(blocked(a, side)) + Number(blocked(b, side));
    const side = cost(-1) < cost(1) ? -1 : 1;
    const x = side > 0 ? rightLane : leftLane;
    const pts = [];
    // The k-th loop out of (into) a state keeps apart from the others.
    const ko = loopsOut.get(a.id) || 0;
    const ki = loopsIn.get(b.id) || 0;
    loopsOut.set(a.id, ko + 1);
    loopsIn.set(b.id, ki + 1);
    if (!blocked(a, side)) {
      const sy = a.y + Math.min(a.h / 2, 16) + 8 * ko;
      pts.push([side > 0 ? a.x + a.w : a.x, sy], [x, sy]);
    } else {
      const sx = side > 0 ? a.x + a.w - 10 - 10 * ko : a.x + 10 + 10 * ko;
      const gy = a.rowBottom + 8 + 5 * (ko % 3);
      pts.push([sx, a.y + a.h], [sx, gy], [x, gy]);
    }
    if (!blocked(b, side)) {
      const ty = b.y + Math.min(b.h / 2, 16) - 8 * ki;
      pts.push([x, ty], [side > 0 ? b.x + b.w : b.x, ty]);
    } else {
      const tx = side > 0 ? b.x + b.w - 10 - 10 * ki : b.x + 10 + 10 * ki;
      const gy = b.rowTop - 8 - 5 * (ki % 3);
      pts.push([x, gy], [tx, gy], [tx, b.y]);
    }
    e.points = pts;
    e.loop = true;
    let room = 14;
    if (e.label) {
      const ys = pts.filter(([px]) => px === x).map(([, py]) => py); // the lane's ends
      e.labelAt = [x + side * 4, (Math.min(...ys) + Math.max(...ys)) / 2];
      e.labelAnchor = side > 0 ? 'start' : 'end';
      room = 4 + labelWidth(e.label) + 10;
    }
    if (side > 0) rightLane += room;
    else leftLane -= room;
  }

  // Move everything so that the block starts at (0, 0): left lanes and
  // gaps above the first row lie at negative coordinates.
  let x0 = 0;
  let y0 = 0;
  let x1 = maxX;
  let y1 = Math.max(0, y - GAP_Y);
  for (const e of edges) {
    for (const [px, py] of e.points) { x0 = Math.min(x0, px); y0 = Math.min(y0, py); x1 = Math.max(x1, px); y1 = Math.max(y1, py); }
    if (e.labelAt) {
      const w = labelWidth(e.label);
      const lx = e.labelAnchor === 'start' ? e.labelAt[0] : e.labelAnchor === 'end' ? e.labelAt[0] - w : e.labelAt[0] - w / 2;
      x0 = Math.min(x0, lx);
      x1 = Math.max(x1, lx + w);
    }
  }
  if (x0 < 0 || y0 < 0) {
    for (const n of nodes.values()) { n.x -= x0; n.y -= y0; n.rowTop -= y0; n.rowBottom -= y0; }
    for (const e of edges) {
      e.points = e.points.map(([px, py]) => [px - x0, py - y0]);
      if (e.labelAt) e.labelAt = [e.labelAt[0] - x0, e.labelAt[1] - y0];
    }
  }
  const width = x1 - x0;
  const height = y1 - y0;
  return { w: width, h: height, nodes, edges };
}

// roundedPath draws a polyline of horizontal and vertical segments with
// rounded corners.
function roundedPath(p, r) {
  let s = `M${p[0][0]},${p[0][1]}`;
  for (let i = 1; i + 1 < p.length; i++) {
    const [xa, ya] = p[i - 1];
    const [xb, yb] = p[i];
    const [xc, yc] = p[i + 1];
    const d1 = Math.hypot(xb - xa, yb - ya);
    const d2 = Math.hypot(xc - xb, yc - yb);
    if (!d1 || !d2) continue;
    const rr = Math.min(r, d1 / 2, d2 / 2);
    s += ` L${xb - ((xb - xa) / d1) * rr},${yb - ((yb - ya) / d1) * rr} Q${xb},${yb} ${xb + ((xc - xb) / d2) * rr},${yb + ((yc - yb) / d2) * rr}`;
  }
  const [xl, yl] = p[p.length - 1];
  return s + ` L${xl},${yl}`;
}

function pathOf(e) {
  const p = e.points;
  if (e.loop) return roundedPath(p, 8);
  let s = `M${p[0][0]},${p[0][1]}`;
  for (let i = 1; i < p.length; i++) {
    const [x0, y0] = p[i - 1];
    const [x1, y1] = p[i];
    if (x0 === x1) { s += ` L${x1},${y1}`; continue; }
    const my = (y0 + y1) / 2;
    s += ` C${x0},${my} ${x1},${my} ${x1},${y1}`;
  }
  return s;
}

// ---- Rendering ----

function renderBlock(block, g, index) {
  const eg = svgEl('g', { class: 'edges' }, g);
  const lg = svgEl('g', { class: 'labels' });
  for (const e of block.edges) {
    const cls = `edge edge-${e.kind}${e.loop ? ' edge-loop' : ''}`;
    const path = svgEl('path', { d: pathOf(e), class: cls, 'marker-end': `url(#arrow-${e.kind})`, 'data-from': e.from, 'data-to': e.to }, eg);
    if (e.title) svgEl('title', {}, path).textContent = e.title;
    if (e.label && e.labelAt) {
      const lab = svgEl('g', { class: `edge-label edge-label-${e.kind}`, 'data-from': e.from, 'data-to': e.to }, lg);
      const w = labelWidth(e.label);
      const [x, y] = e.labelAt;
      const x0 = e.labelAnchor === 'start' ? x : e.labelAnchor === 'end' ? x - w : x - w / 2;
      svgEl('rect', { x: x0, y: y - LABEL_H / 2, width: w, height: LABEL_H, rx: 4 }, lab);
      const t = svgEl('text', { x: x0 + w / 2, y: y + 4, 'text-anchor': 'middle' }, lab);
      t.textContent = e.label;
      svgEl('title', {}, lab).textContent = e.title;
    }
  }
  const ng = svgEl('g', { class: 'nodes' }, g);
  for (const n of block.nodes.values()) {
    if (n.kind === 'dummy') continue;
    if (n.kind === 'start' || n.kind === 'end') {
      const t = svgEl('g', { class: `terminal terminal-${n.kind}`, transform: `translate(${n.x},${n.y})` }, ng);
      svgEl('rect', { width: n.w, height: n.h, rx: n.h / 2 }, t);
      const tx = svgEl('text', { x: n.w / 2, y: n.h / 2 + 4, 'text-anchor': 'middle' }, t);
      tx.textContent = n.name;
      continue;
    }
    const ngr = svgEl('g', { class: `node type-${n.type}${n.compound ? ' compound' : ''}`, 'data-state': n.name, transform: `translate(${n.x},${n.y})`, tabindex: 0, role: 'button' }, ng);
    svgEl('title', {}, ngr).textContent = `${n.name} (${n.type})`;
    svgEl('rect', { class: 'box', width: n.w, height: n.h, rx: n.type === 'Succeed' || n.type === 'Fail' ? 16 : 6 }, ngr);
    svgEl('rect', { class: 'band', width: 5, height: n.compound ? 30 : n.h, rx: 2 }, ngr);
    const maxChars = Math.floor((n.w - 30) / 7.6);
    if (n.compound) {
      const name = svgEl('text', { class: 'name', x: 14, y: 19 }, ngr);
      name.textContent = clip(n.name, maxChars - n.type.length);
      const ty = svgEl('text', { class: 'type', x: n.w - 10, y: 19, 'text-anchor': 'end' }, ngr);
      ty.textContent = n.type;
      for (const inner of n.inner) {
        const ig = svgEl('g', { class: 'branch', transform: `translate(${inner.x},${inner.y})` }, ngr);
        svgEl('rect', { class: 'branch-box', width: inner.w, height: inner.h, rx: 6 }, ig);
        const bt = svgEl('text', { class: 'branch-title', x: 8, y: 14 }, ig);
        bt.textContent = inner.title;
        const bg = svgEl('g', { transform: 'translate(10,24)' }, ig);
        renderBlock(inner.block, bg, index);
      }
    } else {
      const name = svgEl('text', { class: 'name', x: 14, y: 20 }, ngr);
      name.textContent = clip(n.name, maxChars);
      const ty = svgEl('text', { class: 'type', x: 14, y: 36 }, ngr);
      ty.textContent = clip(subtitle(n.st), Math.floor((n.w - 24) / 6.2));
    }
    const badge = svgEl('g', { class: 'badge', transform: `translate(${n.w - 4},${-4})` }, ngr);
    svgEl('circle', { r: 9 }, badge);
    svgEl('text', { y: 3.5, 'text-anchor': 'middle' }, badge);
    index.set(n.name, ngr);
  }
  g.appendChild(lg);
}

function shortResource(r) {
  const parts = r.split(':');
  if (r.startsWith('arn:') && parts.length >= 6) {
    if (parts[2] === 'states' && parts[5] === 'activity') return 'activity ' + parts.slice(6).join(':');
    if (parts[2] === 'states' && parts[4] === '') return parts.slice(5).join(':');
    if (parts[2] === 'lambda') return 'lambda ' + (parts[6] || '');
  }
  return r;
}

// statusOrder decides which status a state shows when it ran several
// times (Map iterations, loops).
const STATUSES = ['running', 'failed', 'cancelled', 'caught', 'succeeded'];

// Graph draws a definition into a container and colours its states.
export class Graph {
  constructor(container, definition, { onSelect } = {}) {
    this.container = container;
    this.index = new Map();
    container.textContent = '';
    const block = layoutBlock(definition && definition.States, definition && definition.StartAt, true);
    const m = 12;
    const w = Math.ceil(block.w + 2 * m);
    const h = Math.ceil(block.h + 2 * m);
    const svg = svgEl('svg', { class: 'graph', viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', 'aria-label': 'State machine graph' });
    const defs = svgEl('defs', {}, svg);
    for (const kind of ['next', 'choice', 'default', 'catch', 'end']) {
      const mk = svgEl('marker', { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
      svgEl('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead arrowhead-${kind}` }, mk);
    }
    const root = svgEl('g', { transform: `translate(${m},${m})` }, svg);
    renderBlock(block, root, this.index);
    container.appendChild(svg);
    this.svg = svg;
    if (onSelect) {
      const pick = (ev) => {
        const n = ev.target.closest('g.node');
        if (!n) return;
        ev.stopPropagation();
        onSelect(n.dataset.state);
      };
      svg.addEventListener('click', pick);
      svg.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') pick(ev); });
    }
  }

  node(name) { return this.index.get(name); }

  // setStatus colours a state: running, succeeded, failed, caught,
  // cancelled, or '' for not run; retries > 0 shows a retry badge.
  setStatus(name, status, retries = 0, runs = 0) {
    const n = this.index.get(name);
    if (!n) return;
    for (const s of STATUSES) n.classList.toggle('s-' + s, s === status);
    n.classList.toggle('retried', retries > 0);
    n.dataset.status = status || '';
    n.dataset.retries = String(retries);
    n.dataset.runs = String(runs);
    const t = n.querySelector(':scope > g.badge text');
    if (t) t.textContent = retries > 0 ? '↻' + retries : '';
    const title = n.querySelector(':scope > title');
    if (title) {
      const base = title.textContent.replace(/ — .*$/s, '');
      title.textContent = status ? `${base} — ${status}${retries ? `, retried ${retries}×` : ''}${runs > 1 ? `, ran ${runs}×` : ''}` : base;
    }
  }

  select(name) {
    for (const n of this.index.values()) n.classList.toggle('selected', n.dataset.state === name);
  }

  // mark flags states with a problem (validation) and gives the reason.
  mark(problems) {
    for (const [name, n] of this.index) {
      const msgs = problems.get(name);
      n.classList.toggle('invalid', !!msgs);
      n.dataset.problem = msgs ? msgs.join('\n') : '';
    }
  }

  reveal(name) {
    const n = this.index.get(name);
    if (!n) return;
    this.select(name);
    n.scrollIntoView({ block: 'center', inline: 'center', behavior: 'smooth' });
    n.classList.remove('flash');
    void n.getBBox();
    n.classList.add('flash');
  }
}

// statesOf lists the names of all states of a definition, nested ones too.
export function statesOf(def, out = []) {
  for (const [name, st] of Object.entries((def && def.States) || {})) {
    out.push(name);
    if (st && Array.isArray(st.Branches)) st.Branches.forEach((b) => statesOf(b, out));
    if (st && (st.ItemProcessor || st.Iterator)) statesOf(st.ItemProcessor || st.Iterator, out);
  }
  return out;
}
