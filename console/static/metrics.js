// metrics.js reads the server's Prometheus metrics (documented in
// metrics/README.md) in the text exposition format, through the console's
// session: GET /console/metrics serves the activity gauges of the
// session's account.

// parseMetrics parses the Prometheus text format into samples
// { name, labels: {..}, value }. Comments (# HELP, # TYPE) and blank lines
// are skipped; a line that cannot be read is skipped too, so one odd line
// costs that sample only.
export function parseMetrics(text) {
  const out = [];
  for (const raw of String(text).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = parseLine(line);
    if (s) out.push(s);
  }
  return out;
}

function parseLine(line) {
  let i = 0;
  let name = '';
  while (i < line.length && !/[\s{]/.test(line[i])) name += line[i++];
  const labels = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (i >= line.length) return null;
      if (line[i] === '}') { i++; break; }
      let key = '';
      if (line[i] === '"') {
        // A quoted name: the metric's own (UTF-8 names) or a label's.
        const r = quoted(line, i);
        if (!r) return null;
        key = r.value;
        i = r.end;
        while (line[i] === ' ') i++;
        if (line[i] !== '=') { name = key; continue; }
      } else {
        while (i < line.length && /[^\s=]/.test(line[i])) key += line[i++];
        while (line[i] === ' ') i++;
        if (line[i] !== '=') return null;
      }
      i++; // '='
      while (line[i] === ' ') i++;
      const r = quoted(line, i);
      if (!r) return null;
      labels[key] = r.value;
      i = r.end;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (!name || !rest[0]) return null;
  const value = parseValue(rest[0]);
  if (Number.isNaN(value) && rest[0] !== 'NaN') return null;
  return { name, labels, value };
}

// quoted reads the quoted string at line[i] ("..." with \\, \" and \n
// escapes) and returns its value and the index after it.
function quoted(line, i) {
  if (line[i] !== '"') return null;
  let v = '';
  for (i++; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return { value: v, end: i + 1 };
    if (c === '\\' && i + 1 < line.length) {
      const n = line[++i];
      v += n === 'n' ? '\n' : n;
    } else {
      v += c;
    }
  }
  return null;
}

function parseValue(s) {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  return s.trim() === '' ? NaN : Number(s);
}

// activityLoad picks, per activity ARN, the tasks queued and the workers
// waiting: { arn: { queued, waiting } }.
export function activityLoad(samples) {
  const out = {};
  const of = (arn) => out[arn] || (out[arn] = { queued: 0, waiting: 0 });
  for (const s of samples) {
    const arn = s.labels.activity;
    if (arn === undefined) continue;
    if (s.name === 'statecraft_activity_tasks_queued') of(arn).queued = s.value;
    else if (s.name === 'statecraft_activity_pollers_waiting') of(arn).waiting = s.value;
  }
  return out;
}

// fetchMetrics reads and parses GET /console/metrics.
export async function fetchMetrics() {
  const res = await fetch('/console/metrics', { headers: { Accept: 'text/plain;version=0.0.4' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /console/metrics: ${res.status} ${res.statusText}`);
  return parseMetrics(await res.text());
}
