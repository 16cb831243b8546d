// app.js is the Statecraft console: a single-page application on the
// public Step Functions API, reached through the console's session
// (POST /console/api with X-Amz-Target, as an SDK posts to /, plus the
// session's CSRF token), and the console's live stream (/console/events,
// server-sent events made from GetExecutionHistory). Without a session it
// shows the sign-in form (a key pair, or a token from
// `statecraft console-token`). Routes live in the URL fragment:
//
//	#/                          state machines
//	#/new                       a new state machine: name, type, role and definition
//	#/machines/<arn>            a state machine: graph, definition (saved, and a version
//	                            published, by UpdateStateMachine), start, executions,
//	                            versions, aliases (moved to a version), delete
//	#/machines/<version arn>    a published version (arn:...:stateMachine:NAME:N): its graph and definition
//	#/executions/<arn>          an execution: live graph, state data, event log
//	#/activities                activities, with their queued tasks and waiting
//	                            workers from the server's Prometheus metrics (GET /console/metrics)
//	#/cluster                   the engine nodes and the shards each holds (GET /console/cluster)

import { Graph, statesOf } from './graph.js';
import { Tracker, detailsOf } from './history.js';
import { activityLoad, fetchMetrics } from './metrics.js';

// ---- API ----

export class ApiError extends Error {
  constructor(type, message) {
    super(`${type}: ${message}`);
    this.type = type;
    this.detail = message;
  }
}

// session is who is signed in, as GET /console/session and the login
// answer it: { accessKeyId, account, accountName, role, region, csrfToken,
// expires, actions: { StartExecution: bool, ... } }; null when signed out.
let session = null;

// can tells whether the session's role allows an operation the console
// offers a control for (the API refuses it anyway; this only hides it).
const can = (op) => !!(session && session.actions && session.actions[op]);

async function readBody(res) {
  const text = await res.text();
  try { return text ? JSON.parse(text) : {}; } catch { return { message: text }; }
}

function errorOf(res, out) {
  const type = String(out.__type || res.status).replace(/^.*#/, '');
  return new ApiError(type, out.message || out.Message || res.statusText);
}

export async function api(op, body = {}) {
  const res = await fetch('/console/api', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'AWSStepFunctions.' + op,
      'X-CSRF-Token': session ? session.csrfToken : '',
    },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  const out = await readBody(res);
  if (!res.ok) {
    const err = errorOf(res, out);
    if (res.status === 401) signedOut('Your session has ended: sign in again.');
    throw err;
  }
  return out;
}

// ---- DOM helpers ----

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const main = () => document.getElementById('main');

function toast(msg, kind = 'error') {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.className = 'toast toast-' + kind;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}

function fmtTime(epoch) {
  if (epoch === undefined || epoch === null) return '';
  const d = new Date(epoch * 1000);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function fmtElapsed(sec) {
  if (!isFinite(sec)) return '';
  if (sec < 60) return `+${sec.toFixed(3)}s`;
  const m = Math.floor(sec / 60);
  return `+${m}m ${(sec - m * 60).toFixed(3)}s`;
}

function pretty(text) {
  if (text === undefined || text === null) return '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return String(text); }
}

function statusBadge(status) {
  return h('span', { class: `status status-${String(status || '').toLowerCase()}` }, status || '');
}

function nameOf(arn) {
  return String(arn).split(':').at(-1);
}

const machineLink = (arn) => '#/machines/' + encodeURIComponent(arn);
const executionLink = (arn) => '#/executions/' + encodeURIComponent(arn);

// jsonProblem checks JSON text and says where it is wrong.
export function jsonProblem(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    let msg = String(e.message || e);
    const m = /position (\d+)/.exec(msg);
    if (m && !/line \d+/.test(msg)) {
      const before = text.slice(0, Number(m[1]));
      const line = before.split('\n').length;
      const col = Number(m[1]) - before.lastIndexOf('\n');
      msg += ` (line ${line}, column ${col})`;
    }
    return msg;
  }
}

// ---- Routing ----

let cleanup = [];
function onLeave(fn) { cleanup.push(fn); }

function leave() {
  for (const fn of cleanup) { try { fn(); } catch { /* already gone */ } }
  cleanup = [];
}

async function route() {
  if (!session) return;
  leave();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [, page, arg] = /^\/([^/]*)\/?(.*)$/.exec(hash) || [];
  const section = page === 'activities' || page === 'cluster' ? page : 'machines';
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === section);
  }
  const m = main();
  m.textContent = '';
  m.dataset.page = page || 'machines';
  try {
    if (page === 'machines' && arg) await machinePage(m, decodeURIComponent(arg));
    else if (page === 'executions' && arg) await executionPage(m, decodeURIComponent(arg));
    else if (page === 'new' && can('CreateStateMachine')) await newMachinePage(m);
    else if (page === 'activities') await activitiesPage(m);
    else if (page === 'cluster') await clusterPage(m);
    else await machinesPage(m);
  } catch (e) {
    if (!session) return; // signed out meanwhile: the sign-in form says so
    m.appendChild(h('div', { class: 'error-box' }, String(e.message || e)));
  }
}

// ---- Pager: Next/Previous over nextToken ----

// test prefixes the buttons' data-test names, for pages with two pagers.
function pager(onPage, test = '') {
  const tokens = [undefined];
  let i = 0;
  let next;
  const prev = h('button', { class: 'secondary', 'data-test': test + 'prev', onclick: () => { if (i > 0) { i--; load(); } } }, '← Previous');
  const nxt = h('button', { class: 'secondary', 'data-test': test + 'next', onclick: () => { if (next) { tokens[++i] = next; tokens.length = i + 1; load(); } } }, 'Next →');
  const info = h('span', { class: 'muted' });
  const el = h('div', { class: 'pager' }, prev, info, nxt);
  // Only the tokens of the pages seen are kept: one page is loaded at a
  // time, however long the listing.
  async function load() {
    prev.disabled = nxt.disabled = true;
    try {
      next = await onPage(tokens[i], i);
    } catch (e) {
      toast(e.message);
    }
    prev.disabled = i === 0;
    nxt.disabled = !next;
    info.textContent = `page ${i + 1}`;
  }
  return { el, load, reset() { tokens.length = 1; i = 0; return load(); } };
}

// ---- State machines ----

// A name search reads at most SEARCH_PAGES pages of SEARCH_PAGE executions
// per click.
const SEARCH_PAGE = 100;
const SEARCH_PAGES = 10;

async function machinesPage(m) {
  const body = h('tbody');
  const table = h('table', { class: 'list', id: 'machines' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Created'))), body);
  const p = pager(async (token) => {
    const out = await api('ListStateMachines', { maxResults: 50, ...(token ? { nextToken: token } : {}) });
    body.textContent = '';
    for (const sm of out.stateMachines || []) {
      body.appendChild(h('tr', {}, h('td', {}, h('a', { href: machineLink(sm.stateMachineArn), class: 'machine-link' }, sm.name)),
        h('td', {}, sm.type), h('td', {}, fmtTime(sm.creationDate))));
    }
    if (!body.children.length) body.appendChild(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No state machines yet. Create one here, with the API, the AWS CLI or `statecraft deploy`.')));
    return out.nextToken;
  });
  m.append(h('div', { class: 'page-head' }, h('h1', {}, 'State machines'),
    h('div', { class: 'row' }, can('CreateStateMachine') ? h('a', { class: 'button', id: 'new-machine-link', href: '#/new' }, 'Create state machine') : null,
      h('button', { class: 'secondary', onclick: () => p.load() }, 'Refresh'))), table, p.el);
  await p.load();
}

// problemsByState maps validation diagnostics to the states they are
// about, from their JSON Pointer location (/States/A/Next,
// /States/P/Branches/0/States/B/Retry/0).
function stateOfPointer(loc) {
  const parts = String(loc || '').split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let name = null;
  for (let i = 0; i + 1 < parts.length; i++) if (parts[i] === 'States') name = parts[i + 1];
  return name;
}

// versionOf returns the version number of a version ARN
// (arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME:N), null for any
// other ARN; machineOf the ARN of the machine a version belongs to.
function versionOf(arn) {
  const parts = String(arn).split(':');
  return parts.length === 8 && /^[1-9][0-9]*$/.test(parts[7]) ? parts[7] : null;
}
const machineOf = (arn) => String(arn).split(':').slice(0, 7).join(':');

// definitionEditor is a definition's text beside its graph, checked by
// ValidateStateMachineDefinition (for the type typeOf gives) on Validate,
// with each problem tied to its state. note, when given, says what the
// edits do not do. actions is the row under the text, where a page adds
// its own buttons.
function definitionEditor(text, def, typeOf, note) {
  const graphBox = h('div', { class: 'graph-box', id: 'graph' });
  const selected = h('div', { class: 'muted small', id: 'selected-state' }, 'Click a state to find it in the definition.');
  const defText = h('textarea', { class: 'code', id: 'definition', spellcheck: 'false', rows: 24 });
  defText.value = text;
  const problems = h('ul', { class: 'problems', id: 'problems' });
  const validateBtn = h('button', { class: 'secondary', id: 'validate', type: 'button' }, 'Validate');
  let graph;
  const draw = (d) => {
    graph = new Graph(graphBox, d, {
      onSelect: (name) => {
        graph.select(name);
        selected.textContent = `State ${name}`;
        const i = defText.value.indexOf(JSON.stringify(name) + ':');
        if (i >= 0) { defText.focus(); defText.setSelectionRange(i, i + name.length + 2); }
      },
    });
  };
  draw(def);
  async function validate() {
    problems.textContent = '';
    const text = defText.value;
    const jp = jsonProblem(text);
    if (!jp) draw(JSON.parse(text));
    let out;
    try {
      out = await api('ValidateStateMachineDefinition', { definition: text, type: typeOf() });
    } catch (e) {
      problems.appendChild(h('li', { class: 'problem' }, e.message));
      return;
    }
    const byState = new Map();
    for (const p of out.diagnostics || []) {
      const st = stateOfPointer(p.location);
      if (st) (byState.get(st) || byState.set(st, []).get(st)).push(p.message);
      problems.appendChild(h('li', { class: 'problem', dataset: { state: st || '' }, onclick: () => st && graph.reveal(st) },
        h('span', { class: 'code-name' }, p.code), ' ', st ? h('button', { type: 'button', class: 'link state-ref' }, st) : null, st ? ': ' : '', p.message,
        p.location ? h('span', { class: 'muted small' }, ` at ${p.location}`) : null));
    }
    if (graph) graph.mark(byState);
    if (!(out.diagnostics || []).length) problems.appendChild(h('li', { class: 'ok' }, '✓ The definition is valid.'));
    if (out.truncated) problems.appendChild(h('li', { class: 'muted' }, 'More problems were left out.'));
  }
  validateBtn.addEventListener('click', validate);
  const actions = h('div', { class: 'row' }, validateBtn, note ? h('span', { class: 'muted small' }, note) : null);
  const el = h('section', { class: 'split' },
    h('div', { class: 'panel grow' }, h('h2', {}, 'Graph'), legend(), graphBox, selected),
    h('div', { class: 'panel side' }, h('h2', {}, 'Definition'), defText, actions, problems));
  return { el, text: () => defText.value, validate, actions, problems };
}

// apiProblem shows an error the API answered in an editor's problem
// list: the API's type and message, with the pointer it names (an
// InvalidDefinition says where) left as the message has it.
function apiProblem(list, what, e) {
  list.textContent = '';
  list.appendChild(h('li', { class: 'problem api-error', dataset: { type: e.type || '' } },
    h('strong', {}, what + ' failed: '), h('span', { class: 'code-name' }, e.type || 'Error'), ' ', e.detail || e.message));
}

// saveControls update a machine's definition with UpdateStateMachine,
// publishing a version when asked, then show the page afresh.
function saveControls(arn, ed) {
  const publish = h('input', { type: 'checkbox', id: 'publish' });
  const save = h('button', { id: 'save-definition', type: 'button' }, 'Save definition');
  save.addEventListener('click', async () => {
    const jp = jsonProblem(ed.text());
    if (jp) { apiProblem(ed.problems, 'Saving', new ApiError('InvalidDefinition', 'not JSON: ' + jp)); return; }
    save.disabled = true;
    try {
      const out = await api('UpdateStateMachine', { stateMachineArn: arn, definition: ed.text(), ...(publish.checked ? { publish: true } : {}) });
      toast(out.stateMachineVersionArn ? `Saved, and published version ${versionOf(out.stateMachineVersionArn)}.` : 'Saved.', 'info');
      await route();
    } catch (e) {
      apiProblem(ed.problems, 'Saving', e);
      save.disabled = false;
    }
  });
  return [save, h('label', { class: 'inline small' }, publish, ' publish a version')];
}

// deleteControl deletes a machine after a second, explicit click.
function deleteControl(arn, name) {
  const box = h('div', { class: 'error-box', id: 'delete-box', hidden: true });
  const ask = h('button', { class: 'danger', id: 'delete-machine', type: 'button' }, 'Delete');
  const yes = h('button', { class: 'danger', id: 'delete-confirm', type: 'button' }, `Delete ${name}`);
  const no = h('button', { class: 'secondary', id: 'delete-cancel', type: 'button', onclick: () => { box.hidden = true; ask.disabled = false; } }, 'Cancel');
  ask.addEventListener('click', () => { box.hidden = false; ask.disabled = true; });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await api('DeleteStateMachine', { stateMachineArn: arn });
      toast(`Deleted ${name}.`, 'info');
      location.hash = '#/';
    } catch (e) {
      toast(e.message);
      yes.disabled = false;
    }
  });
  box.append(h('p', {}, `Delete the state machine ${name}? This cannot be undone.`),
    h('div', { class: 'row' }, yes, no));
  return { ask, box };
}

// aliasPanel moves an alias of a machine to one of its versions
// (UpdateStateMachineAlias with one route at weight 100).
async function aliasPanel(arn) {
  const [list, versions] = await Promise.all([
    api('ListStateMachineAliases', { stateMachineArn: arn, maxResults: 100 }),
    api('ListStateMachineVersions', { stateMachineArn: arn, maxResults: 100 }),
  ]);
  const aliases = list.stateMachineAliases || [];
  if (!aliases.length) return null;
  const described = await Promise.all(aliases.map((a) => api('DescribeStateMachineAlias', { stateMachineAliasArn: a.stateMachineAliasArn }).catch(() => null)));
  const rows = h('tbody');
  aliases.forEach((a, i) => {
    const d = described[i];
    const routes = (d && d.routingConfiguration) || [];
    const to = h('select', { class: 'alias-version' }, (versions.stateMachineVersions || []).map((v) =>
      h('option', { value: v.stateMachineVersionArn, selected: routes.length === 1 && routes[0].stateMachineVersionArn === v.stateMachineVersionArn },
        'version ' + versionOf(v.stateMachineVersionArn))));
    const move = h('button', { class: 'secondary small alias-move', type: 'button' }, 'Move');
    move.addEventListener('click', async () => {
      move.disabled = true;
      try {
        await api('UpdateStateMachineAlias', { stateMachineAliasArn: a.stateMachineAliasArn, routingConfiguration: [{ stateMachineVersionArn: to.value, weight: 100 }] });
        toast(`Alias ${nameOf(a.stateMachineAliasArn)} now routes to version ${versionOf(to.value)}.`, 'info');
        await route();
      } catch (e) {
        toast(e.message);
        move.disabled = false;
      }
    });
    rows.appendChild(h('tr', { dataset: { alias: nameOf(a.stateMachineAliasArn) } },
      h('td', {}, nameOf(a.stateMachineAliasArn)),
      h('td', { class: 'alias-routes' }, routes.map((r) => `version ${versionOf(r.stateMachineVersionArn)} (${r.weight}%)`).join(', ') || '—'),
      h('td', {}, h('div', { class: 'row' }, to, move))));
  });
  return h('section', { class: 'panel', id: 'aliases-panel' }, h('h2', {}, 'Aliases'),
    h('table', { class: 'list', id: 'aliases' }, h('thead', {}, h('tr', {}, h('th', {}, 'Alias'), h('th', {}, 'Routes to'), h('th', {}, 'Move to'))), rows));
}

// A new machine starts from a definition that runs as it is.
const STARTER = JSON.stringify({
  Comment: 'A new state machine',
  StartAt: 'Hello',
  States: { Hello: { Type: 'Pass', Result: { hello: 'world' }, End: true } },
}, null, 2);

async function newMachinePage(m) {
  const name = h('input', { id: 'new-name', maxlength: 80, spellcheck: 'false', placeholder: 'letters, digits, - and _' });
  const type = h('select', { id: 'new-type' }, h('option', { value: 'STANDARD' }, 'STANDARD'), h('option', { value: 'EXPRESS' }, 'EXPRESS'));
  // Statecraft records the role and runs tasks with its own credentials;
  // a role ARN of the signed-in account is what the API asks for.
  const roleArn = h('input', { id: 'new-role', spellcheck: 'false', size: 60 });
  roleArn.value = `arn:aws:iam::${session.account}:role/statecraft`;
  const error = h('div', { class: 'error-box', id: 'create-error', hidden: true });
  const ed = definitionEditor(STARTER, JSON.parse(STARTER), () => type.value, null);
  type.addEventListener('change', () => ed.validate());
  const create = h('button', { id: 'create', type: 'button' }, 'Create state machine');
  create.addEventListener('click', async () => {
    error.hidden = true;
    create.disabled = true;
    try {
      const out = await api('CreateStateMachine', { name: name.value.trim(), type: type.value, roleArn: roleArn.value.trim(), definition: ed.text() });
      toast(`Created ${name.value.trim()}.`, 'info');
      location.hash = machineLink(out.stateMachineArn);
    } catch (e) {
      error.textContent = '';
      error.dataset.type = e.type || '';
      error.append(h('strong', {}, `${e.type || 'Error'}: `), e.detail || e.message);
      error.hidden = false;
      create.disabled = false;
    }
  });
  m.append(h('div', { class: 'page-head' },
    h('div', {}, h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'State machines'), ' / '), h('h1', {}, 'New state machine'))),
  h('section', { class: 'panel', id: 'new-machine' },
    h('div', { class: 'row' }, h('label', {}, 'Name', name), h('label', {}, 'Type', type), h('label', {}, 'Role ARN', roleArn)),
    error),
  ed.el,
  h('div', { class: 'row' }, create));
  ed.validate();
  name.focus();
}

async function machinePage(m, arn) {
  const sm = await api('DescribeStateMachine', { stateMachineArn: arn });
  const version = versionOf(arn);
  const del = !version && can('DeleteStateMachine') ? deleteControl(arn, sm.name) : null;
  let def = {};
  try { def = JSON.parse(sm.definition); } catch { /* shown as text */ }
  if (version) {
    m.appendChild(h('div', { class: 'page-head' },
      h('div', {}, h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'State machines'), ' / ',
        h('a', { href: machineLink(machineOf(arn)), id: 'version-machine' }, sm.name), ' / '),
      h('h1', { id: 'machine-name' }, sm.name, ' ', h('span', { class: 'version-tag', id: 'version-number' }, 'version ' + version))),
      h('div', { class: 'meta' }, h('span', {}, sm.type), ' · ', h('span', {}, 'published ' + fmtTime(sm.creationDate)), ' · ',
        h('span', { class: 'muted', title: sm.stateMachineArn }, sm.stateMachineArn))));
    if (sm.description) m.appendChild(h('p', { class: 'version-description', id: 'version-description' }, sm.description));
  } else {
    m.appendChild(h('div', { class: 'page-head' },
      h('div', {}, h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'State machines'), ' / '), h('h1', { id: 'machine-name' }, sm.name)),
      h('div', { class: 'meta' }, h('span', {}, sm.type), ' · ', h('span', { class: 'muted', title: sm.stateMachineArn }, sm.stateMachineArn)),
      del ? del.ask : null));
    if (del) m.appendChild(del.box);
  }

  const ed = definitionEditor(pretty(sm.definition), def, () => sm.type,
    version || !can('UpdateStateMachine') ? 'Edits are checked and drawn here only; they do not change the state machine.' : null);
  m.appendChild(ed.el);
  ed.validate();
  if (!version && can('UpdateStateMachine')) ed.actions.append(...saveControls(arn, ed));

  if (version) {
    // A version is an immutable snapshot: it has a graph and a
    // definition, and nothing to start here.
    m.appendChild(h('section', { class: 'panel', id: 'version-note' }, h('h2', {}, 'Version ' + version),
      h('p', { class: 'muted' }, 'A published version is an immutable snapshot of the state machine. Statecraft does not start executions from a version yet: start them from ',
        h('a', { href: machineLink(machineOf(arn)) }, 'the state machine'), '.')));
    return;
  }

  // Start an execution.
  const nameIn = h('input', { id: 'exec-name', placeholder: 'generated when empty', maxlength: 80 });
  const input = h('textarea', { class: 'code', id: 'exec-input', rows: 8, spellcheck: 'false' });
  input.value = '{\n  \n}';
  const inputMsg = h('div', { class: 'input-msg small', id: 'exec-input-msg' });
  const startBtn = h('button', { id: 'start' }, 'Start execution');
  const check = () => {
    const p = jsonProblem(input.value);
    input.classList.toggle('bad', !!p);
    inputMsg.textContent = p ? 'Invalid JSON: ' + p : '✓ Valid JSON';
    inputMsg.classList.toggle('bad', !!p);
    startBtn.disabled = !!p;
    return !p;
  };
  input.addEventListener('input', check);
  check();
  startBtn.addEventListener('click', async () => {
    if (!check()) return;
    startBtn.disabled = true;
    try {
      const body = { stateMachineArn: arn, input: input.value };
      if (nameIn.value.trim()) body.name = nameIn.value.trim();
      const out = await api('StartExecution', body);
      location.hash = executionLink(out.executionArn);
    } catch (e) {
      toast(e.message);
      startBtn.disabled = false;
    }
  });
  const startPanel = can('StartExecution')
    ? h('section', { class: 'panel', id: 'start-panel' }, h('h2', {}, 'Start execution'),
      h('label', {}, 'Name', nameIn), h('label', {}, 'Input (JSON)', input), inputMsg, h('div', { class: 'row' }, startBtn))
    : h('section', { class: 'panel', id: 'start-panel' }, h('h2', {}, 'Start execution'),
      h('p', { class: 'muted', id: 'start-denied' }, `The role ${session.role} cannot start executions.`));
  if (sm.type === 'EXPRESS') {
    startPanel.appendChild(h('p', { class: 'muted small' }, 'Express executions are not recorded: they do not appear in the list below.'));
  }

  // Executions: status filter, name search, paging.
  const status = h('select', { id: 'status-filter' }, ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'].map((s) => h('option', { value: s }, s || 'All statuses')));
  const search = h('input', { id: 'name-search', type: 'search', placeholder: 'Search by name' });
  const body = h('tbody');
  const pageSize = 20;
  const searchInfo = h('div', { class: 'muted small search-info', id: 'search-info', hidden: true });
  // A search reads pages of the API's listing (newest first) until it has
  // a page of matches or has read SEARCH_PAGES pages, so that a rare name
  // costs a bounded number of requests per click; Next searches on from
  // where it stopped. A page token here is the API's, and searched[i] is
  // how many executions the pages before page i read.
  const searched = [0];
  const p = pager(async (token, page) => {
    const q = search.value.trim().toLowerCase();
    const rows = [];
    let next = token;
    let reads = 0;
    let scanned = 0;
    do {
      const out = await api('ListExecutions', { stateMachineArn: arn, maxResults: q ? SEARCH_PAGE : pageSize, ...(status.value ? { statusFilter: status.value } : {}), ...(next ? { nextToken: next } : {}) });
      for (const x of out.executions || []) if (!q || x.name.toLowerCase().includes(q)) rows.push(x);
      scanned += (out.executions || []).length;
      next = out.nextToken;
      reads++;
    } while (q && next && rows.length < pageSize && reads < SEARCH_PAGES);
    body.textContent = '';
    for (const x of rows) {
      body.appendChild(h('tr', { dataset: { name: x.name } }, h('td', {}, h('a', { href: executionLink(x.executionArn), class: 'execution-link' }, x.name)),
        h('td', {}, statusBadge(x.status)), h('td', {}, fmtTime(x.startDate)), h('td', {}, fmtTime(x.stopDate))));
    }
    if (!rows.length) body.appendChild(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, q ? 'No matches on this page.' : 'No executions.')));
    searched.length = page + 1;
    searched[page + 1] = (searched[page] ?? 0) + scanned;
    searchInfo.hidden = !q;
    if (q) {
      const total = searched[page + 1];
      searchInfo.dataset.searched = String(total);
      searchInfo.textContent = `${rows.length} match${rows.length === 1 ? '' : 'es'} for “${q}” · searched ${total.toLocaleString('en-US')} execution${total === 1 ? '' : 's'}` +
        (next ? ` (newest first) — Next → searches older ones` : ' — all of them');
    }
    return next;
  });
  status.addEventListener('change', () => p.reset());
  let searchTimer;
  search.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => p.reset(), 250); });
  const execPanel = h('section', { class: 'panel grow' }, h('div', { class: 'page-head' }, h('h2', {}, 'Executions'),
    h('div', { class: 'row' }, status, search, h('button', { class: 'secondary', onclick: () => p.load() }, 'Refresh'))),
  searchInfo,
  h('table', { class: 'list', id: 'executions' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', {}, 'Stopped'))), body), p.el);
  m.appendChild(h('div', { class: 'split' }, startPanel, execPanel));

  // Published versions, newest first. The listing gives ARNs and dates;
  // each version's description comes from DescribeStateMachine on its ARN.
  const versionRows = h('tbody');
  const vp = pager(async (token) => {
    const out = await api('ListStateMachineVersions', { stateMachineArn: arn, maxResults: 10, ...(token ? { nextToken: token } : {}) });
    const items = out.stateMachineVersions || [];
    const described = await Promise.all(items.map((v) => api('DescribeStateMachine', { stateMachineArn: v.stateMachineVersionArn }).catch(() => null)));
    versionRows.textContent = '';
    items.forEach((v, i) => {
      const n = versionOf(v.stateMachineVersionArn);
      const d = described[i];
      versionRows.appendChild(h('tr', { dataset: { version: n } },
        h('td', {}, h('a', { href: machineLink(v.stateMachineVersionArn), class: 'version-link', title: v.stateMachineVersionArn }, 'Version ' + n)),
        h('td', {}, fmtTime(v.creationDate)),
        h('td', { class: d && d.description ? '' : 'muted' }, d ? (d.description || '—') : '(deleted)'),
        h('td', {}, h('a', { href: machineLink(v.stateMachineVersionArn), class: 'secondary small' }, 'View definition and graph'))));
    });
    if (!items.length) {
      versionRows.appendChild(h('tr', {}, h('td', { colspan: 4, class: 'muted' },
        'No versions. Publish one with PublishStateMachineVersion, or CreateStateMachine / UpdateStateMachine with publish=true.')));
    }
    return out.nextToken;
  }, 'versions-');
  m.appendChild(h('section', { class: 'panel', id: 'versions-panel' },
    h('div', { class: 'page-head' }, h('h2', {}, 'Versions'), h('button', { class: 'secondary', onclick: () => vp.load() }, 'Refresh')),
    h('table', { class: 'list', id: 'versions' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Published'), h('th', {}, 'Description'), h('th', {}, ''))), versionRows),
    vp.el));
  const costs = costPanel({ stateMachineArn: arn }, 'machine-cost');
  m.appendChild(costs.el);
  costs.load();
  const aliasesAt = h('div');
  m.appendChild(aliasesAt);
  await Promise.all([p.load(), vp.load(),
    can('UpdateStateMachineAlias') && aliasPanel(arn).then((el) => el && aliasesAt.replaceWith(el), (e) => toast(e.message))]);
}

function legend() {
  const item = (cls, text) => h('span', { class: 'legend-item ' + cls }, h('i'), text);
  return h('div', { class: 'legend small' }, item('l-running', 'running'), item('l-succeeded', 'succeeded'), item('l-failed', 'failed'),
    item('l-caught', 'caught'), item('l-retried', 'retried'), item('l-cancelled', 'cancelled'),
    h('span', { class: 'legend-edge' }, '— next'), h('span', { class: 'legend-edge e-default' }, '- - default'), h('span', { class: 'legend-edge e-catch' }, '- - catch'));
}

// ---- Executions ----

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

async function executionPage(m, arn) {
  const [x, smx] = await Promise.all([
    api('DescribeExecution', { executionArn: arn }),
    api('DescribeStateMachineForExecution', { executionArn: arn }),
  ]);
  let def = {};
  try { def = JSON.parse(smx.definition); } catch { /* drawn empty */ }
  const statusEl = h('span', { id: 'exec-status' });
  const stopBtn = h('button', { class: 'danger', id: 'stop', hidden: !can('StopExecution') }, 'Stop execution');
  const times = h('span', { class: 'muted', id: 'exec-times' });
  const ioBox = h('div', { class: 'io', id: 'exec-io' });
  const liveEl = h('span', { class: 'live small', id: 'live' }, '');
  // The count grows while the execution runs: read again when its status
  // changes (its end above all).
  const costs = costPanel({ executionArn: arn }, 'exec-cost');
  let costStatus = x.status;
  const setExec = (d) => {
    if (d.status !== costStatus) {
      costStatus = d.status;
      costs.load();
    }
    statusEl.textContent = '';
    statusEl.appendChild(statusBadge(d.status));
    statusEl.dataset.status = d.status;
    stopBtn.disabled = d.status !== 'RUNNING';
    times.textContent = `started ${fmtTime(d.startDate)}${d.stopDate ? ` · stopped ${fmtTime(d.stopDate)}` : ''}`;
    ioBox.textContent = '';
    ioBox.append(h('div', {}, h('h3', {}, 'Execution input'), h('pre', { class: 'json' }, pretty(d.input))));
    if (d.output !== undefined) ioBox.append(h('div', {}, h('h3', {}, 'Execution output'), h('pre', { class: 'json', id: 'exec-output' }, pretty(d.output))));
    if (d.error !== undefined || d.cause !== undefined) ioBox.append(h('div', {}, h('h3', {}, 'Error'), h('pre', { class: 'json bad' }, `${d.error || ''}\n${pretty(d.cause)}`)));
  };
  stopBtn.addEventListener('click', async () => {
    stopBtn.disabled = true;
    try {
      await api('StopExecution', { executionArn: arn, error: 'Console.Stopped', cause: 'Stopped from the Statecraft console' });
      setExec(await api('DescribeExecution', { executionArn: arn }));
    } catch (e) {
      toast(e.message);
      stopBtn.disabled = false;
    }
  });
  m.appendChild(h('div', { class: 'page-head' },
    h('div', {}, h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'State machines'), ' / ', h('a', { href: machineLink(x.stateMachineArn) }, nameOf(x.stateMachineArn)), ' / '),
      h('h1', { id: 'exec-name-title' }, x.name, ' ', statusEl)),
    h('div', { class: 'row' }, liveEl, times, stopBtn)));
  setExec(x);

  const tracker = new Tracker();
  const graphBox = h('div', { class: 'graph-box', id: 'graph' });
  const statePanel = h('div', { class: 'state-panel', id: 'state-panel' }, h('p', { class: 'muted' }, 'Click a state to see its input and output.'));
  let selected = null;
  const graph = new Graph(graphBox, def, { onSelect: (name) => { selected = name; graph.select(name); showState(); } });
  const allStates = statesOf(def);

  function showState() {
    if (!selected) return;
    const runs = tracker.runs.get(selected) || [];
    statePanel.textContent = '';
    statePanel.dataset.state = selected;
    statePanel.appendChild(h('h3', {}, selected, ' ', h('span', { class: 'muted small' }, runs.length ? `${runs.length} run${runs.length > 1 ? 's' : ''}` : 'not run')));
    runs.forEach((r, i) => {
      const parts = [];
      if (runs.length > 1) parts.push(h('h4', {}, `Run ${i + 1}`, ' ', statusBadge(r.status)));
      else parts.push(h('div', {}, statusBadge(r.status), r.retries ? h('span', { class: 'muted small' }, ` retried ${r.retries}×`) : null));
      parts.push(h('div', { class: 'io-pair' },
        h('div', {}, h('h4', {}, 'Input'), h('pre', { class: 'json state-input' }, pretty(r.input))),
        h('div', {}, h('h4', {}, 'Output'), h('pre', { class: 'json state-output' }, r.output === undefined ? (r.status === 'running' ? '(running)' : '(none)') : pretty(r.output)))));
      if (r.error !== undefined || r.cause !== undefined) parts.push(h('div', {}, h('h4', {}, 'Error'), h('pre', { class: 'json bad state-error' }, `${r.error ?? ''}${r.cause ? '\n' + pretty(r.cause) : ''}`)));
      statePanel.appendChild(h('div', { class: 'run' }, parts));
    });
  }

  // Map Runs of Distributed Maps, with their children's counts: read
  // (DescribeMapRun) at first, on every MapRun event and every few
  // seconds while the execution runs, since children move without the
  // parent's history showing it.
  const mapRunsBody = h('tbody');
  const mapRunsPanel = h('section', { class: 'panel', id: 'map-runs', hidden: true }, h('h2', {}, 'Map Runs'),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['Map Run', 'Status', 'Children: running', 'pending', 'succeeded', 'failed', 'aborted', 'total', 'Items', 'Max concurrency'].map((t) => h('th', {}, t)))), mapRunsBody));
  let mapRunsBusy = false;
  let running = !TERMINAL.has(x.status);
  const refreshMapRuns = async () => {
    if (mapRunsBusy) return;
    mapRunsBusy = true;
    try {
      const out = await api('ListMapRuns', { executionArn: arn, maxResults: 20 });
      const runs = (await Promise.all(out.mapRuns.map((r) => api('DescribeMapRun', { mapRunArn: r.mapRunArn }).catch(() => null)))).filter(Boolean);
      mapRunsBody.textContent = '';
      mapRunsPanel.hidden = runs.length === 0;
      for (const r of runs) {
        const c = r.executionCounts, it = r.itemCounts;
        const label = r.mapRunArn.slice(r.mapRunArn.indexOf(':mapRun:') + ':mapRun:'.length);
        mapRunsBody.append(h('tr', { class: 'map-run', dataset: { mapRun: r.mapRunArn, status: r.status, running: c.running, succeeded: c.succeeded, total: c.total } },
          h('td', { class: 'small', title: r.mapRunArn }, label),
          h('td', {}, statusBadge(r.status)),
          ...[c.running, c.pending, c.succeeded, c.failed + c.timedOut, c.aborted, c.total].map((n) => h('td', { class: 'num' }, String(n))),
          h('td', { class: 'num', title: 'items succeeded / total' }, `${it.succeeded} / ${it.total}`),
          h('td', { class: 'num' }, r.maxConcurrency ? String(r.maxConcurrency) : 'unlimited')));
      }
    } catch {
      mapRunsPanel.hidden = true; // not the role's to see, or the server went away: the event log says the rest
    } finally {
      mapRunsBusy = false;
    }
  };
  refreshMapRuns();
  const mapRunsTimer = setInterval(() => { if (running && !mapRunsPanel.hidden) refreshMapRuns(); }, 2000);
  onLeave(() => clearInterval(mapRunsTimer));

  // Event log.
  const tbody = h('tbody');
  const table = h('table', { class: 'list events', id: 'events' },
    h('thead', {}, h('tr', {}, ['ID', 'Type', 'State', 'Resource', 'Elapsed', 'Timestamp'].map((t) => h('th', {}, t)))), tbody);
  const addRow = (ev, state) => {
    const d = detailsOf(ev);
    const res = tracker.resourceOf.get(ev.id) || '';
    const elapsed = tracker.start !== null ? ev.timestamp - tracker.start : NaN;
    const cls = /Failed$|TimedOut$|Aborted$/.test(ev.type) ? 'ev-bad' : /Succeeded$/.test(ev.type) ? 'ev-good' : '';
    const detail = h('tr', { class: 'event-detail', hidden: true }, h('td', { colspan: 6 }, h('pre', { class: 'json' }, JSON.stringify(d, (k, v) => (typeof v === 'string' && /^[[{]/.test(v.trim()) ? tryParse(v) : v), 2))));
    const row = h('tr', { class: `event ${cls}`, dataset: { id: ev.id, type: ev.type, state: state || '' }, title: 'Click for details' },
      h('td', { class: 'num' }, ev.id),
      h('td', {}, h('span', { class: 'toggle' }, '▸'), ' ', ev.type),
      h('td', {}, state ? h('button', { type: 'button', class: 'link state-ref', onclick: (e2) => { e2.stopPropagation(); selected = state; graph.reveal(state); showState(); } }, state) : ''),
      h('td', { class: 'small', title: res }, res ? shortRes(res) : ''),
      h('td', { class: 'num' }, fmtElapsed(elapsed)),
      h('td', { class: 'small' }, fmtTime(ev.timestamp)));
    row.addEventListener('click', () => {
      detail.hidden = !detail.hidden;
      row.classList.toggle('open', !detail.hidden);
      row.querySelector('.toggle').textContent = detail.hidden ? '▸' : '▾';
    });
    tbody.append(row, detail);
  };

  m.appendChild(h('section', { class: 'split' },
    h('div', { class: 'panel grow' }, h('h2', {}, 'Graph'), legend(), graphBox),
    h('div', { class: 'panel side' }, h('h2', {}, 'State'), statePanel, ioBox)));
  m.appendChild(mapRunsPanel);
  m.appendChild(h('section', { class: 'panel' }, h('h2', {}, 'Event log ', h('span', { class: 'muted small', id: 'event-count' })), table));
  m.appendChild(costs.el);
  costs.load();

  const counter = document.getElementById('event-count');
  let pending = new Set();
  let scheduled = false;
  const repaint = () => {
    scheduled = false;
    for (const s of pending) {
      const st = tracker.status(s);
      graph.setStatus(s, st.status, st.retries, st.runs);
    }
    pending = new Set();
    counter.textContent = `${tracker.events.length} events`;
    if (selected) showState();
  };
  const onEvent = (ev) => {
    if (tracker.stateOf.has(ev.id)) return; // sent again after a reconnection
    const state = tracker.add(ev);
    addRow(ev, state);
    if (state) pending.add(state);
    if (ev.type.startsWith('Execution') && ev.type !== 'ExecutionStarted') for (const s of allStates) pending.add(s);
    if (ev.type.startsWith('MapRun') || (ev.type.startsWith('Execution') && ev.type !== 'ExecutionStarted')) refreshMapRuns();
    if (!scheduled) { scheduled = true; requestAnimationFrame(repaint); }
  };

  // Live: the stream sends the history so far, then each new event.
  const es = new EventSource('/console/events?executionArn=' + encodeURIComponent(arn));
  onLeave(() => es.close());
  liveEl.textContent = '● connecting';
  es.addEventListener('open', () => { liveEl.textContent = '● live'; liveEl.className = 'live small on'; });
  es.addEventListener('history', (e) => onEvent(JSON.parse(e.data)));
  es.addEventListener('execution', (e) => {
    const d = JSON.parse(e.data);
    running = !TERMINAL.has(d.status);
    setExec(d);
  });
  es.addEventListener('end', () => {
    es.close();
    liveEl.textContent = '■ ended';
    liveEl.className = 'live small';
    repaint();
  });
  es.addEventListener('error', (e) => {
    if (e.data) {
      const err = JSON.parse(e.data);
      es.close();
      liveEl.textContent = '✕ stream failed';
      if (err.__type === 'SessionExpired') { signedOut(err.message); return; }
      toast(err.message || 'stream error');
      return;
    }
    if (es.readyState !== EventSource.CLOSED) { liveEl.textContent = '● reconnecting'; liveEl.className = 'live small'; return; }
    // Refused (a stream answers 401 once the session is gone): say why.
    liveEl.textContent = '✕ stream failed';
    liveEl.className = 'live small';
    checkSession();
  });
  if (TERMINAL.has(x.status)) liveEl.textContent = '■ ended';
}

function tryParse(s) {
  try { return JSON.parse(s); } catch { return s; }
}

function shortRes(r) {
  const p = r.split(':');
  return r.startsWith('arn:') && p.length > 6 ? p.slice(5).join(':') : r;
}

// ---- Activities ----

// How often the activities page reads the metrics.
const METRICS_EVERY_MS = 3000;

async function activitiesPage(m) {
  const body = h('tbody');
  const p = pager(async (token) => {
    const out = await api('ListActivities', { maxResults: 50, ...(token ? { nextToken: token } : {}) });
    body.textContent = '';
    for (const a of out.activities || []) {
      body.appendChild(h('tr', { dataset: { activity: a.activityArn } }, h('td', {}, a.name),
        h('td', { class: 'num load queued', title: 'Tasks scheduled and not yet claimed by a worker' }, '…'),
        h('td', { class: 'num load waiting', title: 'GetActivityTask long polls waiting for a task now' }, '…'),
        h('td', { class: 'small' }, a.activityArn), h('td', {}, fmtTime(a.creationDate))));
    }
    if (!body.children.length) body.appendChild(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No activities.')));
    showLoad();
    return out.nextToken;
  });

  // Queued tasks and waiting workers come from the Prometheus endpoint
  // (statecraft_activity_tasks_queued and statecraft_activity_pollers_waiting),
  // read every few seconds while the page is open.
  const status = h('span', { class: 'muted small', id: 'metrics-status' });
  let load = null;
  let failed = false;
  function showLoad() {
    for (const row of body.querySelectorAll('tr[data-activity]')) {
      const l = load && (load[row.dataset.activity] || { queued: 0, waiting: 0 });
      const set = (cls, n, word) => {
        const td = row.querySelector('td.' + cls);
        td.textContent = l ? `${n} ${word}` : '—';
        td.dataset.count = l ? String(n) : '';
        td.classList.toggle('busy', !!l && n > 0);
      };
      set('queued', l?.queued, 'queued');
      set('waiting', l?.waiting, 'waiting');
    }
  }
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      load = activityLoad(await fetchMetrics());
      failed = false;
      status.textContent = `from the server's metrics, updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      load = null;
      if (!failed) toast(`Reading the metrics: ${e.message || e}`);
      failed = true;
      status.textContent = 'metrics unavailable: queue figures not shown';
    } finally {
      busy = false;
    }
    showLoad();
  }
  const timer = setInterval(refresh, METRICS_EVERY_MS);
  onLeave(() => clearInterval(timer));

  m.append(h('div', { class: 'page-head' }, h('h1', {}, 'Activities'),
    h('div', { class: 'row' }, status, h('button', { class: 'secondary', onclick: () => { p.load(); refresh(); } }, 'Refresh'))),
  h('table', { class: 'list', id: 'activities' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Tasks queued'),
    h('th', {}, 'Workers waiting'), h('th', {}, 'ARN'), h('th', {}, 'Created'))), body), p.el);
  await Promise.all([p.load(), refresh()]);
}

// ---- Cost ----

// fetchCost reads GET /console/cost (package cost) as the session's
// principal: query is executionArn or stateMachineArn.
async function fetchCost(query) {
  const res = await fetch('/console/cost?' + new URLSearchParams(query), { cache: 'no-store' });
  const out = await readBody(res);
  if (!res.ok) {
    if (res.status === 401) signedOut('Your session has ended: sign in again.');
    throw errorOf(res, out);
  }
  return out;
}

// usd writes a price to the hundred-millionth of a dollar: a transition
// costs $0.000025.
export const usd = (v) => '$' + Number(v || 0).toFixed(8);

// pricesNote says where the prices come from.
const pricesNote = (p) => `AWS list prices of ${p.date}, ${p.region} (${p.currency}): ${usd(p.standardPerTransition)} per state transition, ` +
  `${usd(p.lambdaPerRequest)} per Lambda request and ${usd(p.lambdaPerGBSecond)} per GB-second. Transitions and durations are measured here; no free tier is taken off.`;

// costPanel is the panel of what an execution (query executionArn) or a
// state machine's executions (stateMachineArn) would cost on AWS; its
// load() reads it again.
function costPanel(query, id) {
  const body = h('div', { id: id + '-body' }, h('p', { class: 'muted' }, 'Reading…'));
  const el = h('section', { class: 'panel', id }, h('h2', {}, 'Cost on AWS'), body);
  const load = async () => {
    if (!can('GetCost')) {
      body.textContent = '';
      body.appendChild(h('p', { class: 'muted' }, `The role ${session.role} cannot read costs.`));
      return;
    }
    try {
      const r = await fetchCost(query);
      const t = r.execution || (r.stateMachines && r.stateMachines[0]) || {};
      const rows = [];
      if (!r.execution) rows.push(['Executions', String(t.executions || 0)]);
      rows.push(['State transitions', `${t.transitions || 0} × ${usd(r.prices.standardPerTransition)} = ${usd(t.transitionsUSD)}`]);
      rows.push(['Lambda', `${t.lambdaRequests || 0} requests, ${(t.lambdaGBSeconds || 0).toFixed(6)} GB-s = ${usd(t.lambdaUSD)}` +
        (t.lambdaUnpriced ? ` (${t.lambdaUnpriced} calls of functions not run here are not priced)` : '')]);
      if (t.expressRequests) {
        rows.push(['Express Map children', `${t.expressRequests} executions, ${(t.expressGBSeconds || 0).toFixed(6)} GB-s = ${usd(t.expressUSD)}` +
          (t.expressRunning ? ` (${t.expressRunning} still running: duration not counted yet)` : '')]);
      }
      rows.push(['Total', usd(t.totalUSD)]);
      body.textContent = '';
      body.appendChild(h('table', { class: 'kv', id: id + '-table' }, h('tbody', {}, rows.map(([k, v]) =>
        h('tr', {}, h('th', {}, k), h('td', { class: k === 'Total' ? 'cost-total' : '' }, v))))));
      body.appendChild(h('p', { class: 'muted small', id: id + '-prices' }, pricesNote(r.prices)));
      for (const n of r.notes || []) body.appendChild(h('p', { class: 'muted small' }, n));
    } catch (e) {
      body.textContent = '';
      body.appendChild(h('p', { class: 'bad' }, `Reading the cost: ${e.message || e}`));
    }
  };
  return { el, load };
}

// ---- Cluster ----

// How often the cluster page reads the view: a node heartbeats every
// third of its lease (2 s by default), so this shows each beat or so.
const CLUSTER_EVERY_MS = 3000;

// fetchCluster reads GET /console/cluster, the server's cluster view
// (package clusterview) as the session's principal.
async function fetchCluster() {
  const res = await fetch('/console/cluster', { cache: 'no-store' });
  const out = await readBody(res);
  if (!res.ok) {
    const err = errorOf(res, out);
    if (res.status === 401) signedOut('Your session has ended: sign in again.');
    throw err;
  }
  return out;
}

// ago says how long before the view's own instant a time was, so that
// the browser's clock plays no part.
export function ago(asOf, t) {
  const ms = Date.parse(asOf) - Date.parse(t);
  if (!isFinite(ms)) return '';
  if (ms < 1000) return 'just now';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

// shardRanges writes shard numbers compactly: 0-3, 7, 9-10.
export function shardRanges(shards) {
  const out = [];
  for (let i = 0; i < shards.length; i++) {
    let j = i;
    while (j + 1 < shards.length && shards[j + 1] === shards[j] + 1) j++;
    out.push(j > i ? `${shards[i]}-${shards[j]}` : String(shards[i]));
    i = j;
  }
  return out.join(', ');
}

async function clusterPage(m) {
  const status = h('span', { class: 'muted small', id: 'cluster-status' });
  const note = h('div', { class: 'note-box', id: 'cluster-note', hidden: true });
  const summary = h('p', { class: 'muted', id: 'cluster-summary' });
  const body = h('tbody');
  const map = h('div', { class: 'shard-map', id: 'shard-map' });
  const mapPanel = h('section', { class: 'panel', id: 'shard-panel', hidden: true }, h('h2', {}, 'Shards'), map,
    h('p', { class: 'muted small' }, 'Each square is a shard, coloured by the node holding its lease. Executions belong to shards by their ARN; a node runs the executions of the shards it holds.'));
  const expired = h('ul', { class: 'small', id: 'expired-shards' });
  const expiredPanel = h('section', { class: 'panel', id: 'expired-panel', hidden: true }, h('h2', {}, 'Expired leases'),
    h('p', { class: 'muted small' }, 'Their nodes stopped renewing them: the next node to look for shards takes them over.'), expired);

  const info = (n, key) => (n.info && n.info[key] !== undefined ? String(n.info[key]) : '—');
  function show(v) {
    const single = v.mode === 'single';
    note.hidden = !single;
    note.textContent = single ? 'Single node (SQLite): this server runs every execution; there are no shards to share. Run several servers on one PostgreSQL database (--db) to share the work.' : '';
    const nodes = v.nodes || [];
    const free = v.freeShards || [];
    const exp = v.expiredShards || [];
    summary.textContent = single ? `1 node, as of ${new Date(v.asOf).toLocaleTimeString()}`
      : `${nodes.length} node${nodes.length === 1 ? '' : 's'} seen within ${v.seenWithinSeconds} s · ${v.shardCount} shards: ` +
        `${v.shardCount - free.length - exp.length} held, ${free.length} free, ${exp.length} expired`;
    body.textContent = '';
    const colour = new Map();
    nodes.forEach((n, i) => colour.set(n.id, i % 8));
    for (const n of nodes) {
      body.appendChild(h('tr', { dataset: { node: n.id }, class: n.live ? '' : 'stale' },
        h('td', {}, h('span', { class: `swatch node-${colour.get(n.id)}` }), ' ', h('strong', { class: 'node-id' }, n.id),
          n.this ? h('span', { class: 'version-tag this-node' }, 'this server') : null,
          n.live ? null : h('span', { class: 'muted small' }, ' no recent heartbeat')),
        h('td', { class: 'small address' }, n.address || '—'),
        h('td', { class: 'num shards', title: (n.shards || []).join(', ') }, single ? 'all' : String(n.shardCount),
          single || !n.shardCount ? null : h('div', { class: 'muted small shard-list' }, shardRanges(n.shards))),
        h('td', { class: 'num live-executions' }, info(n, 'live')),
        h('td', { class: 'num' }, info(n, 'pollers')),
        h('td', { class: 'num' }, info(n, 'timersInFlight')),
        h('td', { class: 'small' }, n.startedAt ? fmtTime(Date.parse(n.startedAt) / 1000) : '—'),
        h('td', { class: 'small seen' }, n.seenAt ? ago(v.asOf, n.seenAt) : '—')));
    }
    if (!nodes.length) body.appendChild(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No node has been seen recently.')));

    mapPanel.hidden = single;
    map.textContent = '';
    const holder = new Map();
    for (const n of nodes) for (const s of n.shards || []) holder.set(s, n.id);
    const lapsed = new Map(exp.map((e) => [e.shard, e.node]));
    for (let s = 0; s < v.shardCount; s++) {
      const node = holder.get(s);
      const cls = node !== undefined ? `node-${colour.get(node)}` : lapsed.has(s) ? 'expired' : 'free';
      const what = node !== undefined ? `held by ${node}` : lapsed.has(s) ? `expired (last held by ${lapsed.get(s)})` : 'free';
      map.appendChild(h('span', { class: `shard ${cls}`, title: `shard ${s}: ${what}`, dataset: { shard: s, node: node ?? '' } }, s));
    }
    expiredPanel.hidden = !exp.length;
    expired.textContent = '';
    for (const e of exp) expired.appendChild(h('li', {}, `shard ${e.shard}, last held by ${e.node}, expired ${ago(v.asOf, e.expires)}`));
  }

  let failed = false;
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      show(await fetchCluster());
      failed = false;
      status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (!session) return;
      if (!failed) toast(`Reading the cluster: ${e.message || e}`);
      failed = true;
      status.textContent = `not updated: ${e.detail || e.message || e}`;
    } finally {
      busy = false;
    }
  }
  const timer = setInterval(refresh, CLUSTER_EVERY_MS);
  onLeave(() => clearInterval(timer));

  m.append(h('div', { class: 'page-head' }, h('h1', {}, 'Cluster'),
    h('div', { class: 'row' }, status, h('button', { class: 'secondary', id: 'cluster-refresh', onclick: refresh }, 'Refresh'))),
  note, summary,
  h('table', { class: 'list', id: 'cluster-nodes' }, h('thead', {}, h('tr', {}, ['Node', 'Address', 'Shards', 'Executions in memory', 'Pollers',
    'Timers in flight', 'Started', 'Last seen'].map((t) => h('th', {}, t)))), body),
  h('div', { class: 'gap' }), mapPanel, expiredPanel);
  await refresh();
}

// ---- Signing in ----

// showUser shows who is signed in, with Sign out, in the top bar; and the
// navigation only while someone is.
function showUser() {
  const box = document.getElementById('user');
  const nav = document.getElementById('nav');
  box.textContent = '';
  box.hidden = !session;
  nav.hidden = !session;
  if (!session) return;
  document.getElementById('nav-cluster').hidden = !can('DescribeCluster');
  const who = session.accountName ? `${session.account} ${session.accountName}` : session.account;
  box.append(
    h('span', { id: 'whoami', title: `region ${session.region}` }, 'Signed in as ', h('strong', {}, session.accessKeyId), ` (${who}, ${session.role})`),
    h('button', { class: 'secondary small', id: 'signout', type: 'button', onclick: signOut }, 'Sign out'));
}

async function signOut() {
  const csrf = session ? session.csrfToken : '';
  // Streams and timers stop first: they would see the session end and
  // say so, when it is this page that ends it.
  session = null;
  leave();
  try {
    await fetch('/console/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, cache: 'no-store' });
  } catch { /* the server is gone: the session with it */ }
  showLogin('Signed out.', 'info');
}

// signedOut drops the session (ended by the server, or expired) and
// shows the sign-in form, once however many requests find it gone.
function signedOut(message, kind = 'error') {
  if (!session && document.getElementById('login')) return;
  showLogin(message, kind);
}

function showLogin(message, kind) {
  session = null;
  leave();
  showUser();
  loginPage(main(), message, kind);
}

// checkSession asks whether the session still holds, after a request
// that could not say (an event stream refused).
async function checkSession() {
  const res = await fetch('/console/session', { cache: 'no-store' });
  if (res.status === 401) signedOut('Your session has ended: sign in again.');
}

function loginPage(m, message, kind) {
  m.textContent = '';
  m.dataset.page = 'login';
  const error = h('div', { class: kind === 'info' ? 'note-box' : 'error-box', id: 'login-error', hidden: !message }, message || '');
  const akid = h('input', { id: 'login-akid', name: 'accessKeyId', autocomplete: 'username', spellcheck: 'false', required: true });
  const secret = h('input', { id: 'login-secret', name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', required: true });
  const sessionToken = h('input', { id: 'login-session-token', name: 'sessionToken', type: 'password', autocomplete: 'off' });
  const token = h('input', { id: 'login-token-input', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const submit = async (e, body) => {
    e.preventDefault();
    const buttons = m.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    error.hidden = true;
    try {
      const res = await fetch('/console/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
      });
      const out = await readBody(res);
      if (!res.ok) throw errorOf(res, out);
      secret.value = token.value = sessionToken.value = '';
      signedIn(out);
    } catch (err) {
      error.className = 'error-box';
      error.textContent = err.detail || err.message || String(err);
      error.hidden = false;
      for (const b of buttons) b.disabled = false;
    }
  };
  // The forms post only through submit (JSON, which no HTML form can
  // send); method=post keeps a secret out of the URL should a script
  // ever fail to load.
  const keyForm = h('form', { id: 'login-keys', method: 'post', action: 'login',
    onsubmit: (e) => submit(e, { accessKeyId: akid.value.trim(), secretAccessKey: secret.value, ...(sessionToken.value ? { sessionToken: sessionToken.value } : {}) }) },
  h('label', {}, 'Access key ID', akid),
  h('label', {}, 'Secret access key', secret),
  h('details', { class: 'small' }, h('summary', { class: 'muted' }, 'Temporary credentials'), h('label', {}, 'Session token', sessionToken)),
  h('div', { class: 'row' }, h('button', { type: 'submit', id: 'login-submit' }, 'Sign in')));
  const tokenForm = h('form', { id: 'login-token', method: 'post', action: 'login', onsubmit: (e) => submit(e, { token: token.value.trim() }) },
    h('label', {}, 'Console token', token),
    h('p', { class: 'muted small' }, 'Mint one on the server with ', h('code', {}, 'statecraft console-token --access-key-id KEY'), ': it signs in as that key, and expires.'),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'secondary', id: 'login-token-submit' }, 'Sign in with token')));
  m.append(h('section', { class: 'panel login', id: 'login' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted small' }, 'With an access key of this server (with no credentials configured, the development pair local / local, from this machine only), or a console token.'),
    error, keyForm, h('div', { class: 'or muted small' }, 'or'), tokenForm));
  akid.focus();
}

function signedIn(s) {
  session = s;
  showUser();
  route();
}

async function start() {
  window.addEventListener('hashchange', route);
  let res;
  try {
    res = await fetch('/console/session', { cache: 'no-store' });
  } catch (e) {
    main().textContent = '';
    main().appendChild(h('div', { class: 'error-box' }, `The server cannot be reached: ${e.message || e}`));
    return;
  }
  if (res.ok) signedIn(await res.json());
  else signedOut();
}

start();
