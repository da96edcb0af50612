import { createHash } from 'node:crypto';
import { ROUTES, routesOf } from '../../domain/routes.ts';

/**
 * The deployments web page. It opens on a feed's overview: a matrix of its packages (rows) by targets (columns) with
 * the version each target runs and the region that recorded it, drifted packages and rollbacks marked, filters for
 * group, target and region, the four DORA keys with their ratings over the last 7, 30 or 90 days (for the target and
 * region filters), and an inline SVG chart of deployments per week, the failed ones stacked in red. A package opens
 * its own view: the current version on each target and the history. The overview's "Which targets run..." box asks
 * which targets run a package's version in a range, or what an OSV advisory pasted as JSON names, and marks them in
 * the matrix. Deep links: `?feed=F` (the overview; `&group=`, `&target=`, `&region=` filter it, `&days=7|30|90` sets
 * the DORA panel's range), `?feed=F&package=P` (`&group=G` for a package in a group) and `?feed=F&package=P&range=R`
 * (the overview with the affected targets of P marked). Plain HTML, CSS and a small inline script that calls the read
 * API; nothing is fetched
 * from anywhere else, and the Content-Security-Policy allows only this script (by its hash) and same-origin requests.
 * The API key, when one is needed, is kept in the tab's sessionStorage and sent as X-ApiKey, never in a URL.
 */

const STYLE = `
:root { color-scheme: light dark; --line: #8884; --muted: #777; font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; line-height: 1.4; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
form { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: .5rem; }
label { display: flex; flex-direction: column; font-size: .85rem; gap: .2rem; }
input, select, button { font: inherit; padding: .3rem .5rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td.version { font-weight: 600; }
.muted, caption { color: var(--muted); font-size: .85rem; }
caption { text-align: left; padding: .25rem 0; }
#status { min-height: 1.4rem; }
#status.error { color: #c22; }
details { margin-bottom: 1rem; }
#matrix td, #matrix th { white-space: nowrap; }
#matrix td.cell small { display: block; color: var(--muted); font-weight: 400; font-size: .75rem; }
#matrix td.none { color: var(--muted); }
#matrix tr.drift th { border-left: 3px solid #d80; }
.mark { display: inline-block; font-size: .7rem; font-weight: 600; padding: 0 .3rem; margin-left: .35rem; border-radius: .2rem; vertical-align: middle; }
.mark.drift { background: #d804; color: inherit; }
td.rolledback { background: #c223; }
.mark.rollback { background: #c22; color: #fff; }
.mark.failed { border: 1px solid #c22; color: #c22; }
td.upgraded .arrow { color: #292; }
td.changed .arrow { color: var(--muted); }
figure { margin: 1rem 0; }
figcaption { color: var(--muted); font-size: .85rem; }
#chart { width: 100%; max-width: 48rem; height: auto; display: block; }
#chart .bar { fill: #48c; }
#chart .bar-failed { fill: #c22; }
#dora-panel h2 { display: flex; gap: .75rem; align-items: center; }
#dora { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .75rem; margin: .5rem 0; }
#dora div { border: 1px solid var(--line); border-radius: .3rem; padding: .5rem .75rem; }
#dora dt { font-size: .85rem; color: var(--muted); }
#dora dd { margin: .2rem 0 0; font-weight: 600; }
.rating { display: inline-block; font-size: .75rem; padding: 0 .35rem; border-radius: .2rem; margin-left: .4rem; font-weight: 600; }
.rating.elite { background: #2924; } .rating.high { background: #48c4; } .rating.medium { background: #d804; } .rating.low { background: #c224; }
.rating.none { color: var(--muted); }
#chart .axis { fill: var(--muted); font-size: 11px; }
.legend { font-size: .8rem; }
#affected-box { border: 1px solid var(--line); border-radius: .3rem; padding: .5rem .75rem; margin: 1rem 0; }
#affected-box h3 { font-size: 1rem; margin: .25rem 0 .5rem; }
#affected-osv { width: 100%; min-height: 4rem; font-family: ui-monospace, monospace; font-size: .8rem; }
#affected-form label.wide { flex: 1 1 100%; }
#matrix td.affected { outline: 2px solid #c22; outline-offset: -2px; }
.mark.affected { background: #c22; color: #fff; }
.mark.unknown { background: #777; color: #fff; }
`;

/** The read API's paths the script calls, relative to the page (the API's root), from lib/domain/routes.ts. */
const API_PATHS = Object.fromEntries(routesOf('query-deployments').map((id) => [id, ROUTES[id].path.slice(1)]));

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const KEY = 'package-deployment-api-key';
const params = new URLSearchParams(location.search);
const state = {
  feed: params.get('feed') || '', group: params.get('group') || '', pkg: params.get('package') || '',
  target: params.get('target') || '', region: params.get('region') || '', range: params.get('range') || '',
  days: ['7', '30', '90'].includes(params.get('days')) ? params.get('days') : '30',
};
const SVG = 'http://www.w3.org/2000/svg';

const headers = () => {
  const key = sessionStorage.getItem(KEY);
  return key ? { 'X-ApiKey': key } : {};
};
const status = (text, error) => { $('status').textContent = text; $('status').className = error ? 'error' : 'muted'; };
// Relative to the page, which is the API's root whatever the stage or base path (/, /prod/, or /prod without a slash).
const ROOT = location.pathname.replace(/\\/?$/, '/');
const PATHS = ${JSON.stringify(API_PATHS)};
const api = async (path, query) => {
  const url = ROOT + path + '?' + new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined));
  const response = await fetch(url, { headers: headers() });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || response.status + ' ' + response.statusText);
  return body;
};
// A POST of a JSON text (an advisory) to the read API, answered as api() answers.
const apiPost = async (path, query, text) => {
  const url = ROOT + path + '?' + new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined));
  const response = await fetch(url, { method: 'POST', headers: { ...headers(), 'Content-Type': 'application/json' }, body: text });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || response.status + ' ' + response.statusText);
  return body;
};
const when = (iso) => iso.replace('T', ' ').replace(/\\.\\d+Z$|Z$/, ' UTC');
const cell = (row, text, className) => {
  const td = row.insertCell();
  td.textContent = text === undefined ? '' : text;
  if (className) td.className = className;
  return td;
};
const link = (td, url) => {
  if (!url) return;
  const a = document.createElement('a');
  a.href = url; a.rel = 'noreferrer noopener'; a.textContent = 'link';
  td.textContent = ''; td.append(a);
};

// A package's view keeps the target and region filters of the overview (the read API filters a package's history by
// neither, so they apply here).
const kept = (d) => (!state.target || d.Target.normalize('NFC').toLowerCase() === state.target.normalize('NFC').toLowerCase()) && (!state.region || d.Region === state.region);
const renderCurrent = (items) => {
  const body = $('current').tBodies[0];
  body.replaceChildren();
  for (const d of items.filter(kept)) {
    const row = body.insertRow();
    cell(row, d.Target); cell(row, d.Version, 'version'); cell(row, when(d.Date)); cell(row, d.UserName);
    cell(row, d.Application); cell(row, d.Region); cell(row, d.PreviousVersion); cell(row, d.Change, d.Change);
  }
  $('current-empty').hidden = body.rows.length > 0;
};
const renderHistory = (items, append) => {
  const body = $('history').tBodies[0];
  if (!append) body.replaceChildren();
  for (const d of items.filter(kept)) {
    const row = body.insertRow();
    cell(row, when(d.Date)); cell(row, d.Version, 'version'); cell(row, d.Target); cell(row, d.UserName);
    cell(row, d.Application); cell(row, d.Description); cell(row, d.Region); link(cell(row, ''), d.Url);
  }
  $('history-empty').hidden = body.rows.length > 0;
};

let nextCursor;
let lastPage = [];
const loadHistory = async (append) => {
  const page = await api(PATHS.history, {
    FeedName: state.feed, GroupName: state.group, PackageName: state.pkg, limit: '50', cursor: append ? nextCursor : undefined,
  });
  renderHistory(page.Items, append);
  lastPage = page.Items;
  nextCursor = page.NextCursor;
  $('more').hidden = !nextCursor;
};
const loadCurrent = async () => {
  const items = [];
  let cursor;
  do {
    const page = await api(PATHS.current, { FeedName: state.feed, GroupName: state.group, PackageName: state.pkg, limit: '200', cursor });
    items.push(...page.Items);
    cursor = page.NextCursor;
  } while (cursor);
  renderCurrent(items);
};

const loadFeeds = async () => {
  const select = $('feed');
  try {
    const { Items } = await api(PATHS.feeds, {});
    // Each feed says how long it keeps history: its retention, or forever (what a target runs now is always kept).
    const kept = (f) => (f.RetainDays ? ' (history kept ' + f.RetainDays + ' day' + (f.RetainDays === 1 ? '' : 's') + ')' : ' (history kept forever)');
    select.replaceChildren(...Items.map((f) => new Option(f.Name + kept(f), f.Name)));
    // Feed names match case-insensitively: select the listed spelling of the feed in the address.
    const listed = Items.find((f) => f.Name.toLowerCase() === state.feed.toLowerCase());
    if (state.feed && !listed) select.add(new Option(state.feed, state.feed));
    select.value = listed ? listed.Name : state.feed || (Items[0] ? Items[0].Name : '');
    if (Items.length === 0) status('No feed is visible without an API key; enter one above.', false);
  } catch (e) {
    status(e.message, true);
    if (state.feed) select.replaceChildren(new Option(state.feed, state.feed));
  }
};

// The overview: a matrix of packages by targets, and the chart.
let packages = [];
let packagesCursor;
const fold = (s) => s.normalize('NFC').toLowerCase();
const packageLink = (p) => {
  const a = document.createElement('a');
  const q = new URLSearchParams({ feed: state.feed, package: p.PackageName });
  if (p.GroupName) q.set('group', p.GroupName);
  a.href = '?' + q; a.textContent = (p.GroupName ? p.GroupName + '/' : '') + p.PackageName;
  return a;
};
const mark = (text, className, title) => {
  const span = document.createElement('span');
  span.className = 'mark ' + className; span.textContent = text; span.title = title;
  return span;
};
const ARROWS = { upgraded: '↑', rolledback: '↓', redeployed: '=', changed: '~', deployed: '' };
const renderMatrix = () => {
  const targets = new Map();
  for (const p of packages) for (const t of p.Targets) if (!targets.has(fold(t.Target))) targets.set(fold(t.Target), t.Target);
  const columns = [...targets.keys()].sort();
  const head = $('matrix').tHead.rows[0];
  head.replaceChildren();
  const corner = document.createElement('th'); corner.textContent = 'Package'; head.append(corner);
  for (const key of columns) { const th = document.createElement('th'); th.textContent = targets.get(key); th.scope = 'col'; head.append(th); }
  const body = $('matrix').tBodies[0];
  body.replaceChildren();
  for (const p of packages) {
    const row = body.insertRow();
    row.className = p.Drift ? 'drift' : '';
    const th = document.createElement('th'); th.scope = 'row'; th.append(packageLink(p));
    if (p.Drift) th.append(mark('drift', 'drift', 'Its targets run different versions: ' + p.Versions.join(', ')));
    row.append(th);
    const byTarget = new Map(p.Targets.map((t) => [fold(t.Target), t]));
    for (const key of columns) {
      const t = byTarget.get(key);
      if (!t) { cell(row, '—', 'none'); continue; }
      const td = cell(row, '', 'cell ' + t.Change);
      const version = document.createElement('strong'); version.className = 'version'; version.textContent = t.Version;
      td.append(version);
      if (ARROWS[t.Change]) { const a = document.createElement('span'); a.className = 'arrow'; a.textContent = ' ' + ARROWS[t.Change]; td.append(a); }
      if (t.Change === 'rolledback') td.append(mark('rollback', 'rollback', 'Rolled back from ' + t.PreviousVersion));
      if (t.LastAttempt) td.append(mark('failed ' + t.LastAttempt.Version, 'failed', 'Deploying ' + t.LastAttempt.Version + ' failed ' + when(t.LastAttempt.Date) + '; the target still runs ' + t.Version));
      const verdict = affected && affected.marks.get(fold(p.GroupName || '') + '/' + fold(p.PackageName) + '/' + fold(t.Target));
      if (verdict) {
        td.classList.add(verdict.status);
        td.append(mark(verdict.status, verdict.status, verdict.status === 'affected' ? 'Runs an affected version' + (verdict.fixedIn ? '; fixed in ' + verdict.fixedIn : '') + ' (' + affected.what + ')' : 'Its version cannot be ordered: check it by hand'));
      }
      const region = document.createElement('small'); region.className = 'region'; region.textContent = t.Region;
      td.append(region);
      td.title = t.Change + (t.PreviousVersion ? ' from ' + t.PreviousVersion : '') + ', ' + when(t.Date) + ' by ' + t.UserName + ' (' + t.Application + ')';
    }
  }
  $('matrix-empty').hidden = packages.length > 0;
  $('more-packages').hidden = !packagesCursor;
};
const loadPackages = async (append) => {
  const page = await api(PATHS.overview, {
    FeedName: state.feed, GroupName: state.group, Target: state.target, Region: state.region, limit: '50', cursor: append ? packagesCursor : undefined,
  });
  packages = append ? packages.concat(page.Packages) : page.Packages;
  packagesCursor = page.NextCursor;
  renderMatrix();
};
const renderChart = (frequency) => {
  const svg = $('chart');
  svg.replaceChildren();
  const W = 720, H = 160, left = 32, bottom = 20, top = 10;
  const buckets = frequency.Buckets;
  const max = Math.max(1, ...buckets.map((b) => b.Count));
  // Each bar: the succeeded deployments, with the failed ones stacked on top in red.
  const step = (W - left) / Math.max(1, buckets.length);
  const add = (name, attributes, text) => {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    svg.append(el);
    return el;
  };
  buckets.forEach((b, i) => {
    const failed = b.Failed || 0;
    const h = ((H - bottom - top) * (b.Count - failed)) / max;
    const hf = ((H - bottom - top) * failed) / max;
    const x = left + i * step + 2, width = Math.max(1, step - 4);
    const bar = add('rect', { class: 'bar', x, y: H - bottom - h, width, height: h, 'data-start': b.Start, 'data-count': b.Count, 'data-failed': failed });
    const red = add('rect', { class: 'bar-failed', x, y: H - bottom - h - hf, width, height: hf, 'data-start': b.Start, 'data-failed': failed });
    const text = (frequency.Interval === 'week' ? 'Week of ' : '') + b.Start + ': ' + b.Count + ' deployment' + (b.Count === 1 ? '' : 's') + ', ' + failed + ' failed';
    for (const el of [bar, red]) { const title = document.createElementNS(SVG, 'title'); title.textContent = text; el.append(title); }
  });
  add('text', { class: 'axis', x: 0, y: top + 10 }, String(max));
  add('text', { class: 'axis', x: 0, y: H - bottom }, '0');
  if (buckets.length > 0) {
    add('text', { class: 'axis', x: left, y: H - 4 }, buckets[0].Start);
    add('text', { class: 'axis', x: W, y: H - 4, 'text-anchor': 'end' }, buckets[buckets.length - 1].Start);
  }
  const total = buckets.reduce((n, b) => n + b.Count, 0);
  const failedTotal = buckets.reduce((n, b) => n + (b.Failed || 0), 0);
  $('chart-caption').textContent = 'Deployments per week, last ' + buckets.length + ' weeks' + (state.target ? ' to ' + state.target : '') + ', all regions: ' + total + ', of which ' + failedTotal + ' failed (red).';
};

// The four DORA keys over the last 7, 30 or 90 days, for the target and region filters (GET /api/deployments/dora).
const duration = (s) => {
  if (s < 60) return Math.round(s) + ' s';
  if (s < 3600) return Math.round(s / 60) + ' min';
  const fixed = (n) => String(Math.round(n * 10) / 10);
  return s < 86400 ? fixed(s / 3600) + ' h' : fixed(s / 86400) + ' d';
};
const setKey = (id, text, rating) => {
  const dd = $(id);
  const badge = document.createElement('span');
  badge.className = 'rating ' + (rating || 'none'); badge.textContent = rating || 'no data';
  dd.replaceChildren(document.createTextNode(text), badge);
  dd.dataset.rating = rating || '';
};
const renderDora = (d) => {
  const f = d.DeploymentFrequency, l = d.LeadTimeForChanges, c = d.ChangeFailureRate, r = d.TimeToRestore;
  setKey('dora-frequency', f.PerDay === null ? 'no deployments' : f.PerDay + ' a day (' + d.Deployments + ' on ' + f.DaysWithDeployment + ' days)', f.Rating);
  setKey('dora-lead', l.MedianSeconds === null ? 'no CommitTime recorded' : duration(l.MedianSeconds) + ' median, ' + duration(l.P90Seconds) + ' p90 (' + l.Count + ')', l.Rating);
  setKey('dora-failure', c.Rate === null ? 'no deployments' : Math.round(c.Rate * 1000) / 10 + '% (' + c.Failed + ' of ' + c.Total + ')', c.Rating);
  setKey('dora-restore', r.MedianSeconds === null ? 'no restores' : duration(r.MedianSeconds) + ' median (' + r.Count + ')', r.Rating);
  $('dora-caption').textContent = d.From.slice(0, 10) + ' to ' + d.To.slice(0, 10) + (state.target ? ', target ' + state.target : '') + (state.region ? ', region ' + state.region : '') +
    ', every package' + (state.group ? ' (the group filter does not narrow these)' : '') + '. Ratings: clusters of the 2023 Accelerate State of DevOps report.';
};
const loadDora = async () => {
  const days = Number(state.days);
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.parse(to) - (days - 1) * 86400000).toISOString().slice(0, 10);
  renderDora(await api(PATHS.dora, { FeedName: state.feed, Target: state.target, Region: state.region, from, to }));
};
const loadChart = async () => {
  renderChart(await api(PATHS.frequency, { FeedName: state.feed, Target: state.target, interval: 'week' }));
};
// "Which targets run...": a range for one package (GET) or an advisory (POST), every page; marks for the matrix.
let affected = null;
const checkAffected = async () => {
  const pkg = $('affected-package').value.trim(), range = $('affected-range').value.trim(), osv = $('affected-osv').value.trim();
  const summary = $('affected-summary');
  const body = $('affected-table').tBodies[0];
  body.replaceChildren();
  $('affected-table').hidden = true;
  affected = null;
  if (!osv && (!pkg || !range)) { summary.textContent = 'Give a package and a range, or paste an advisory.'; renderMatrix(); return; }
  summary.textContent = 'Checking…';
  const merged = { Packages: [], Checked: 0, Advisory: null };
  let cursor;
  try {
    do {
      const page = osv
        ? await apiPost(PATHS.affected, { FeedName: state.feed, Target: state.target, Region: state.region, cursor }, osv)
        : await api(PATHS.affected, { FeedName: state.feed, PackageName: pkg, GroupName: state.group, Range: range, Target: state.target, Region: state.region, cursor });
      page.Packages.forEach((p, i) => {
        const m = merged.Packages[i];
        if (!m) merged.Packages.push({ ...p });
        else { m.Affected = m.Affected.concat(p.Affected); m.Unknown = m.Unknown.concat(p.Unknown); m.Unaffected += p.Unaffected; }
      });
      merged.Checked += page.Checked;
      merged.Advisory = page.Advisory;
      cursor = page.NextCursor;
    } while (cursor);
  } catch (e) {
    summary.textContent = e.message;
    renderMatrix();
    return;
  }
  const what = osv ? (merged.Advisory || 'the advisory') : pkg + ' ' + range;
  const marks = new Map();
  let count = 0;
  for (const p of merged.Packages) {
    const name = (p.GroupName ? p.GroupName + '/' : '') + p.PackageName;
    const key = fold(p.GroupName || '') + '/' + fold(p.PackageName) + '/';
    for (const [list, status] of [[p.Affected, 'affected'], [p.Unknown, 'unknown']]) {
      for (const d of list) {
        if (status === 'affected') count++;
        marks.set(key + fold(d.Target), { status, fixedIn: d.FixedIn });
        const row = body.insertRow();
        cell(row, name); cell(row, d.Target); cell(row, d.Region); cell(row, d.Version, 'version'); cell(row, status, status); cell(row, d.FixedIn);
      }
    }
  }
  affected = { marks, what };
  $('affected-table').hidden = body.rows.length === 0;
  const versionsOnly = merged.Packages.filter((p) => p.Matching === 'versions-list').map((p) => p.PackageName);
  summary.textContent = count + ' of ' + merged.Checked + ' target' + (merged.Checked === 1 ? '' : 's') + ' run' + (merged.Checked === 1 ? 's' : '') + ' an affected version (' + what + ').' +
    (versionsOnly.length ? ' Matched by the versions list of the advisory only: ' + versionsOnly.join(', ') + '.' : '');
  renderMatrix();
};

const showOverview = async () => {
  $('overview-title').textContent = 'Packages in ' + state.feed + (state.group ? ', group ' + state.group : '') + (state.target ? ', target ' + state.target : '') + (state.region ? ', region ' + state.region : '');
  status('Loading…', false);
  try {
    await Promise.all([loadPackages(false), loadChart(), loadDora()]);
    $('overview').hidden = false;
    status('', false);
    if (state.range) await checkAffected();
  } catch (e) {
    $('overview').hidden = true;
    status(e.message, true);
  }
};

const show = async () => {
  $('results').hidden = true;
  $('overview').hidden = true;
  if (!state.feed) state.feed = $('feed').value;
  if (!state.feed) return;
  if (!state.pkg || state.range) return showOverview();
  $('title').textContent = (state.group ? state.group + '/' : '') + state.pkg + ' in ' + state.feed;
  $('back').href = '?' + new URLSearchParams({ feed: state.feed });
  $('back').textContent = 'All packages in ' + state.feed;
  status('Loading…', false);
  try {
    await Promise.all([loadCurrent(), loadHistory(false)]);
    // The names as recorded (matching is case-insensitive, the records keep their casing).
    const first = $('history').tBodies[0].rows.length > 0 && lastPage[0];
    if (first) $('title').textContent = (first.GroupName ? first.GroupName + '/' : '') + first.PackageName + ' in ' + first.FeedName;
    $('results').hidden = false;
    status('', false);
  } catch (e) {
    $('results').hidden = true;
    status(e.message, true);
  }
};

$('group').value = state.group;
$('package').value = state.range ? '' : state.pkg;
$('affected-package').value = state.range ? state.pkg : '';
$('affected-range').value = state.range;
$('affected-form').addEventListener('submit', (event) => {
  event.preventDefault();
  // A range is a deep link (?feed=F&package=P&range=R); an advisory stays in the page.
  const osv = $('affected-osv').value.trim();
  const q = new URLSearchParams({ feed: state.feed });
  for (const [name, value] of [['group', state.group], ['target', state.target], ['region', state.region]]) if (value) q.set(name, value);
  if (!osv && $('affected-package').value.trim() && $('affected-range').value.trim()) {
    q.set('package', $('affected-package').value.trim()); q.set('range', $('affected-range').value.trim());
  }
  history.replaceState(null, '', '?' + q);
  checkAffected();
});
$('target').value = state.target;
$('region').value = state.region;
$('dora-days').value = state.days;
$('dora-days').addEventListener('change', () => {
  state.days = $('dora-days').value;
  const q = new URLSearchParams(location.search); q.set('days', state.days); history.replaceState(null, '', '?' + q);
  loadDora().catch((e) => status(e.message, true));
});
$('more-packages').addEventListener('click', () => {
  $('more-packages').disabled = true;
  loadPackages(true).catch((e) => status(e.message, true)).finally(() => { $('more-packages').disabled = false; });
});
$('more').addEventListener('click', () => {
  // One page at a time: a second click while one loads would fetch the same page again.
  $('more').disabled = true;
  loadHistory(true).catch((e) => status(e.message, true)).finally(() => { $('more').disabled = false; });
});
$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('key').value.trim();
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
  $('key').value = '';
  $('key-state').textContent = key ? 'An API key is set for this tab.' : 'No API key: anonymous access.';
  loadFeeds().then(show);
});
$('key-state').textContent = sessionStorage.getItem(KEY) ? 'An API key is set for this tab.' : 'No API key: anonymous access.';
loadFeeds().then(show);
`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Deployments</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Deployments</h1>
<details>
<summary class="muted">API key</summary>
<form id="key-form">
<label>API key (kept in this tab only)<input id="key" type="password" autocomplete="off"></label>
<button type="submit">Use</button>
<span id="key-state" class="muted"></span>
</form>
</details>
<form id="query" method="get">
<label>Feed<select id="feed" name="feed" required></select></label>
<label>Group (optional)<input id="group" name="group" maxlength="250"></label>
<label>Package (empty: all)<input id="package" name="package" maxlength="250"></label>
<label>Target<input id="target" name="target" maxlength="250"></label>
<label>Region<input id="region" name="region" maxlength="250"></label>
<button type="submit">Show</button>
</form>
<p id="status" class="muted"><noscript>This page needs JavaScript (its own, served here) to read the API.</noscript></p>
<section id="overview" hidden>
<h2 id="overview-title"></h2>
<section id="dora-panel">
<h2>How we deliver <label>Range<select id="dora-days"><option value="7">7 days</option><option value="30">30 days</option><option value="90">90 days</option></select></label></h2>
<dl id="dora">
<div><dt>Deployment frequency</dt><dd id="dora-frequency"></dd></div>
<div><dt>Lead time for changes</dt><dd id="dora-lead"></dd></div>
<div><dt>Change failure rate</dt><dd id="dora-failure"></dd></div>
<div><dt>Time to restore</dt><dd id="dora-restore"></dd></div>
</dl>
<p id="dora-caption" class="muted"></p>
</section>
<figure>
<svg id="chart" viewBox="0 0 720 160" role="img" aria-labelledby="chart-caption"></svg>
<figcaption id="chart-caption"></figcaption>
</figure>
<section id="affected-box">
<h3>Which targets run…</h3>
<form id="affected-form">
<label>Package<input id="affected-package" maxlength="250" placeholder="Newtonsoft.Json"></label>
<label>Range<input id="affected-range" maxlength="1024" placeholder="&lt;13.0.1 or (,13.0.1)"></label>
<label class="wide">or an OSV advisory (JSON, e.g. from the GitHub Advisory Database)<textarea id="affected-osv" spellcheck="false"></textarea></label>
<button type="submit">Check</button>
</form>
<p id="affected-summary" class="muted"></p>
<table id="affected-table" hidden>
<thead><tr><th>Package</th><th>Target</th><th>Region</th><th>Version</th><th>Status</th><th>Fixed in</th></tr></thead>
<tbody></tbody>
</table>
</section>
<table id="matrix">
<caption>The version each target runs now (its latest deployment by date), and the region that recorded it</caption>
<thead><tr></tr></thead>
<tbody></tbody>
</table>
<p id="matrix-empty" class="muted" hidden>No deployments recorded.</p>
<button id="more-packages" type="button" hidden>More packages</button>
<p class="muted legend"><span class="mark drift">drift</span> the package's targets run different versions ·
↑ upgraded · <span class="mark rollback">rollback</span> ↓ a lower version than before · = redeployed ·
~ changed (versions that cannot be ordered) · <span class="mark failed">failed 2.0</span> a later deployment failed (the target
still runs the version shown) · <span class="mark affected">affected</span> runs a version in the range or advisory checked
above · <span class="mark unknown">unknown</span> its version cannot be ordered. Target and region filter the targets shown;
a package opens its history.</p>
</section>
<section id="results" hidden>
<p><a id="back" href="./">All packages</a></p>
<h2 id="title"></h2>
<table id="current">
<caption>Current version on each target (the latest deployment by date)</caption>
<thead><tr><th>Target</th><th>Version</th><th>Deployed</th><th>By</th><th>Application</th><th>Region</th><th>Before</th><th>Change</th></tr></thead>
<tbody></tbody>
</table>
<p id="current-empty" class="muted" hidden>No deployments recorded.</p>
<h2>History</h2>
<table id="history">
<caption>Newest first</caption>
<thead><tr><th>Deployed</th><th>Version</th><th>Target</th><th>By</th><th>Application</th><th>Description</th><th>Region</th><th>Url</th></tr></thead>
<tbody></tbody>
</table>
<p id="history-empty" class="muted" hidden>No deployments recorded.</p>
<button id="more" type="button" hidden>Show more</button>
</section>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64');

/** The page and the headers it is served with. */
export const PAGE = {
  html: HTML,
  headers: {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'sha256-${sha256(SCRIPT)}'`,
      `style-src 'sha256-${sha256(STYLE)}'`,
      "connect-src 'self'",
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  },
} as const;
