import { createHash } from 'node:crypto';

/**
 * The deployments web page: pick a feed and a package, see the current version on each target and the history, with
 * the region of each record. Plain HTML, CSS and a small inline script that calls the read API; nothing is fetched
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
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const KEY = 'package-deployment-api-key';
const params = new URLSearchParams(location.search);
const state = { feed: params.get('feed') || '', group: params.get('group') || '', pkg: params.get('package') || '' };

const headers = () => {
  const key = sessionStorage.getItem(KEY);
  return key ? { 'X-ApiKey': key } : {};
};
const status = (text, error) => { $('status').textContent = text; $('status').className = error ? 'error' : 'muted'; };
// Relative to the page, which is the API's root whatever the stage or base path (/, /prod/, or /prod without a slash).
const ROOT = location.pathname.replace(/\\/?$/, '/');
const api = async (path, query) => {
  const url = ROOT + path + '?' + new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined));
  const response = await fetch(url, { headers: headers() });
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

const renderCurrent = (items) => {
  const body = $('current').tBodies[0];
  body.replaceChildren();
  for (const d of items) {
    const row = body.insertRow();
    cell(row, d.Target); cell(row, d.Version, 'version'); cell(row, when(d.Date)); cell(row, d.UserName);
    cell(row, d.Application); cell(row, d.Region);
  }
  $('current-empty').hidden = items.length > 0;
};
const renderHistory = (items, append) => {
  const body = $('history').tBodies[0];
  if (!append) body.replaceChildren();
  for (const d of items) {
    const row = body.insertRow();
    cell(row, when(d.Date)); cell(row, d.Version, 'version'); cell(row, d.Target); cell(row, d.UserName);
    cell(row, d.Application); cell(row, d.Description); cell(row, d.Region); link(cell(row, ''), d.Url);
  }
  $('history-empty').hidden = body.rows.length > 0;
};

let nextCursor;
let lastPage = [];
const loadHistory = async (append) => {
  const page = await api('api/deployments', {
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
    const page = await api('api/deployments/current', { FeedName: state.feed, GroupName: state.group, PackageName: state.pkg, limit: '200', cursor });
    items.push(...page.Items);
    cursor = page.NextCursor;
  } while (cursor);
  renderCurrent(items);
};

const loadFeeds = async () => {
  const select = $('feed');
  try {
    const { Items } = await api('api/feeds', {});
    select.replaceChildren(...Items.map((f) => new Option(f.Name, f.Name)));
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

const show = async () => {
  if (!state.feed || !state.pkg) { $('results').hidden = true; return; }
  $('title').textContent = (state.group ? state.group + '/' : '') + state.pkg + ' in ' + state.feed;
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
$('package').value = state.pkg;
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
<label>Package<input id="package" name="package" maxlength="250" required></label>
<button type="submit">Show</button>
</form>
<p id="status" class="muted"><noscript>This page needs JavaScript (its own, served here) to read the API.</noscript></p>
<section id="results" hidden>
<h2 id="title"></h2>
<table id="current">
<caption>Current version on each target (the latest deployment by date)</caption>
<thead><tr><th>Target</th><th>Version</th><th>Deployed</th><th>By</th><th>Application</th><th>Region</th></tr></thead>
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
