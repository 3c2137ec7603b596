/**
 * The docs site: one self-contained HTML page (styles, script and the
 * manifest inline; no CDN, works from a file or a server) with the lineage
 * graph, node pages, search and run history.
 *
 * The graph draws the manifest's layout with each column as wide as its
 * longest label, and opens at a scale where labels are at least 11 px on
 * screen: the whole graph when it fits so, else its top-left or the
 * selected node. The overview has no details panel (its summary is in the
 * graph's bar), so the graph has the whole height below the header. Opening a node shows its lineage (everything upstream and
 * downstream of it) by default. On a narrow screen the node list comes
 * first and the graph is shown on demand.
 *
 * @module
 */
import type { Manifest } from "./manifest.ts";

/** The font of graph labels, shared by the CSS and the script's text measuring. */
const FONT = `system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;

const STYLE = `
:root { --bg:#fff; --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --accent:#0550ae; --panel:#f6f8fa;
  --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --api:#8250df; --test:#6e7781; --exposure:#bf3989; }
* { box-sizing: border-box; }
html, body { height:100%; }
body { margin:0; display:flex; flex-direction:column; font:14px/1.45 ${FONT}; color:var(--fg); background:var(--bg); }
header { flex:none; display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; padding:8px 16px; border-bottom:1px solid var(--line); }
header h1 { font-size:16px; margin:0; }
header h1 a { color:inherit; text-decoration:none; }
header nav a { margin-right:12px; color:var(--accent); }
#search { flex:1; min-width:160px; max-width:420px; padding:6px 8px; border:1px solid var(--line); border-radius:6px; font:inherit; }
button { font:inherit; color:var(--fg); padding:4px 10px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
button:hover { background:var(--panel); }
button:focus-visible, a:focus-visible { outline:2px solid var(--accent); outline-offset:1px; }
#graph-toggle, .back { display:none; }
main { flex:1; min-height:0; display:grid; grid-template-columns:220px minmax(0, 1fr);
  grid-template-rows:minmax(0, 1fr) auto; grid-template-areas:"side graph" "side details"; }
aside { grid-area:side; border-right:1px solid var(--line); overflow:auto; padding:8px; }
aside h2 { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:12px 6px 4px; }
#nodes button { display:block; width:100%; text-align:left; border:0; background:none; padding:4px 6px; border-radius:4px;
  overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
#nodes button:hover, #nodes button:focus { background:#ddf4ff; outline:2px solid var(--accent); outline-offset:-2px; }
#nodes button[aria-current] { background:#ddf4ff; font-weight:600; }
#results { list-style:none; margin:0; padding:0; }
#results li { padding:4px 6px; border-radius:4px; cursor:pointer; overflow-wrap:anywhere; }
#results li:hover, #results li:focus { background:#ddf4ff; }
#graph-panel { grid-area:graph; display:flex; flex-direction:column; min-height:200px; overflow:hidden; background:var(--panel); }
.graph-bar { flex:none; display:flex; flex-wrap:wrap; justify-content:space-between; align-items:center; gap:6px 12px; padding:6px 8px 0 12px; }
#graph { flex:1; min-height:0; display:block; width:100%; cursor:grab; touch-action:none; user-select:none; }
#summary { flex:1 1 240px; font-size:12px; color:var(--muted); text-align:right; }
.toolbar { display:flex; gap:6px; }
.toolbar button { padding:2px 10px; }
.legend { display:flex; flex-wrap:wrap; gap:4px 10px; font-size:12px; color:var(--muted); }
.legend i { display:inline-block; width:12px; height:10px; border:2px solid; border-radius:3px; margin-right:4px; vertical-align:-1px; }
.legend .source { border-color:var(--warn); } .legend .seed { border-color:var(--ok); } .legend .model { border-color:var(--accent); }
.legend .test { border-color:var(--test); border-style:dashed; } .legend .api { border-color:var(--api); } .legend .exposure { border-color:var(--exposure); }
#graph .node rect { fill:#fff; stroke:var(--test); stroke-width:1.2; }
#graph .node.model rect { stroke:var(--accent); } #graph .node.seed rect { stroke:var(--ok); }
#graph .node.source rect { stroke:var(--warn); } #graph .node.api rect { stroke:var(--api); } #graph .node.exposure rect { stroke:var(--exposure); }
#graph .node.test rect { stroke-dasharray:4 3; }
#graph .node.selected rect { fill:#ddf4ff; stroke-width:2.5; }
#graph .node.hit rect { fill:#fff8c5; }
#graph .node text { font:12px ${FONT}; fill:var(--fg); pointer-events:none; }
#graph .node { cursor:pointer; }
#graph .node:hover rect { stroke-width:2.5; }
#graph .col-title { font:600 12px ${FONT}; fill:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
#graph .edge { fill:none; stroke:#8c959f; stroke-width:1.2; }
#graph .edge.hi { stroke:var(--accent); stroke-width:2; }
#arrow path { fill:#8c959f; } #arrow-hi path { fill:var(--accent); }
/* The overview gives the graph the whole height: its summary is in the graph's bar. */
body.home #details, body:not(.home) #summary { display:none; }
#details { grid-area:details; max-height:55vh; overflow:auto; border-top:1px solid var(--line); padding:12px 16px; }
#details h2 { margin:0 0 4px; font-size:18px; overflow-wrap:anywhere; }
#details h3 { margin:16px 0 4px; font-size:15px; }
.meta { color:var(--muted); margin-bottom:8px; overflow-wrap:anywhere; }
.note { color:var(--muted); font-style:italic; }
.table-wrap { max-width:100%; overflow-x:auto; margin:8px 0; }
table { border-collapse:collapse; width:100%; }
th, td { border-bottom:1px solid var(--line); padding:4px 6px; text-align:left; vertical-align:top; overflow-wrap:break-word; }
th { color:var(--muted); font-weight:600; white-space:nowrap; }
td.num, th.num { text-align:right; }
table.wide { width:auto; font-size:13px; }
table.wide td, table.wide th { white-space:nowrap; }
.null { color:var(--muted); font-style:italic; }
code { font-size:13px; }
pre { background:var(--panel); padding:8px; overflow:auto; border-radius:6px; max-width:100%; font-size:13px; }
summary { cursor:pointer; color:var(--accent); }
.status-success,.status-pass,.status-landed { color:var(--ok); } .status-warn,.status-skipped { color:var(--warn); }
.status-error,.status-fail,.status-failed { color:var(--bad); }
@media (max-width: 700px) {
  html, body { height:auto; }
  body { display:block; }
  header { padding:8px 12px; }
  #search { max-width:none; flex:1 1 200px; }
  #graph-toggle, .back { display:inline-block; }
  main { display:flex; flex-direction:column; }
  aside { border-right:0; overflow:visible; padding:4px 8px; }
  body:not(.home):not(.searching) aside { display:none; }
  #graph-panel { display:none; order:-1; height:60vh; border-bottom:1px solid var(--line); }
  body.graph-open #graph-panel { display:flex; }
  #summary { display:none; }
  #details { max-height:none; border-top:0; padding:12px; }
  .back { margin-bottom:8px; }
  /* Tables become one block per row: the first cell as its title, the others labelled. */
  .stack thead { display:none; }
  .stack tr { display:block; padding:6px 0; border-bottom:1px solid var(--line); }
  .stack td { display:block; border:0; padding:1px 0; text-align:left; }
  .stack td:empty { display:none; }
  .stack td:first-child { font-weight:600; }
  .stack td:not(:first-child)::before { content:attr(data-label) ": "; color:var(--muted); font-weight:400; }
  #columns td:nth-child(2) { display:inline; margin-left:8px; color:var(--muted); }
  #columns td:nth-child(2)::before { content:none; }
  #columns td:first-child { display:inline; }
  #nodes button { padding:8px 6px; }
}
`;

const SCRIPT = `
const M = JSON.parse(document.getElementById("manifest").textContent);
const byId = new Map(M.nodes.map((n) => [n.id, n]));
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
// Identifiers may wrap after "." and "/", and after "_" inside a long part (never mid-word).
const ident = (s) => String(s ?? "").split(/(?<=[./])/)
  .map((part) => part.length > 20 ? esc(part).replaceAll("_", "_<wbr>") : esc(part)).join("<wbr>");
const svgNS = "http://www.w3.org/2000/svg";
const LABEL_PX = 12, NODE_H = 26, PAD_X = 9, ROW = 32, GAP = 40, HEAD = 30, MARGIN = 12;
/** Labels are never drawn below 11 px unless the reader zooms out. */
const MIN_K = 11 / LABEL_PX, MAX_K = 1.25;
const graph = $("#graph"), world = $("#world"), body = document.body;
const state = { selected: null, scope: "all", query: "" };
const view = { x: 0, y: 0, k: 1 };
let shown = { pos: new Map(), cols: [], width: 0, height: 0 };

const column = new Map();
M.layout.columns.forEach((c, i) => c.nodes.forEach((id) => column.set(id, i)));
/** A label longer than MAX_LABEL characters keeps its start and end (the full name is the node's tooltip). */
const MAX_LABEL = 32;
const shorten = (s) => s.length <= MAX_LABEL ? s : s.slice(0, 15) + "…" + s.slice(-(MAX_LABEL - 16));
const labelOf = new Map();
for (const c of M.layout.columns) {
  const names = c.nodes.map((id) => byId.get(id).name);
  for (const id of c.nodes) {
    const n = byId.get(id);
    labelOf.set(id, shorten(names.filter((x) => x === n.name).length > 1 ? n.id : n.name));
  }
}
const widthOf = new Map();
{
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = LABEL_PX + "px " + ${JSON.stringify(FONT)};
  for (const [id, label] of labelOf) widthOf.set(id, Math.ceil(ctx.measureText(label).width) + 2 * PAD_X);
}

// From the edges, so singular tests and API endpoints reading a node are in its lineage.
const ups = new Map(), downs = new Map();
for (const [from, to] of M.edges) { ups.set(to, [...(ups.get(to) ?? []), from]); downs.set(from, [...(downs.get(from) ?? []), to]); }
function related(id, next) {
  const out = new Set([id]); const stack = [id];
  while (stack.length) for (const m of next.get(stack.pop()) ?? []) if (!out.has(m)) { out.add(m); stack.push(m); }
  return out;
}
function visibleIds() {
  if (state.scope !== "lineage" || !state.selected) return new Set(byId.keys());
  return new Set([...related(state.selected, ups), ...related(state.selected, downs)]);
}

/** Places the visible nodes: each column as wide as its widest label, rows packed. */
function place(visible) {
  const pos = new Map(), cols = [];
  let x = 0, height = 0;
  M.layout.columns.forEach((c, index) => {
    const ids = c.nodes.filter((id) => visible.has(id));
    if (!ids.length) return;
    const w = Math.max(...ids.map((id) => widthOf.get(id)));
    ids.forEach((id, row) => pos.set(id, { x, y: HEAD + row * ROW, w }));
    cols.push({ index, title: c.title, x, w, rows: ids.length });
    height = Math.max(height, HEAD + ids.length * ROW - (ROW - NODE_H));
    x += w + GAP;
  });
  return { pos, cols, width: Math.max(0, x - GAP), height };
}

function el(name, attrs, parent) {
  const e = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent?.appendChild(e);
  return e;
}

const curve = (x1, y1, x2, y2) => " C" + (x1 + x2) / 2 + "," + y1 + " " + (x1 + x2) / 2 + "," + y2 + " " + x2 + "," + y2;
/**
 * An edge: from one column to another (right to left for one against the layers), passing the
 * columns in between through the gap between two of their rows, never under a node; an arc on
 * the right within a column.
 */
function edgePath(a, b, from, to) {
  const ca = column.get(from), cb = column.get(to), ya = a.y + NODE_H / 2, yb = b.y + NODE_H / 2;
  if (cb === ca) {
    const x = a.x + a.w, c = x + GAP * 0.7;
    return "M" + x + "," + ya + " C" + c + "," + ya + " " + c + "," + yb + " " + x + "," + yb;
  }
  const forward = cb > ca;
  let x = forward ? a.x + a.w : a.x, y = ya, d = "M" + x + "," + y;
  const between = shown.cols.filter((c) => c.index > Math.min(ca, cb) && c.index < Math.max(ca, cb));
  if (!forward) between.reverse();
  between.forEach((c, i) => {
    // The gap nearest to where a straight line would cross this column.
    const t = (i + 1) / (between.length + 1), want = ya + (yb - ya) * t;
    const gap = Math.max(0, Math.min(c.rows, Math.round((want - HEAD + (ROW - NODE_H) / 2) / ROW)));
    const gy = HEAD + gap * ROW - (ROW - NODE_H) / 2;
    const [enter, leave] = forward ? [c.x - 4, c.x + c.w + 4] : [c.x + c.w + 4, c.x - 4];
    d += curve(x, y, enter, gy) + " L" + leave + "," + gy;
    x = leave; y = gy;
  });
  return d + curve(x, y, forward ? b.x : b.x + b.w, yb);
}

function render() {
  world.replaceChildren();
  shown = place(visibleIds());
  for (const c of shown.cols) el("text", { class: "col-title", x: c.x, y: 14 }, world).textContent = c.title;
  for (const [from, to] of M.edges) {
    const a = shown.pos.get(from), b = shown.pos.get(to);
    if (!a || !b) continue;
    const hi = state.selected === from || state.selected === to;
    const p = el("path", { class: "edge" + (hi ? " hi" : ""), d: edgePath(a, b, from, to), "marker-end": hi ? "url(#arrow-hi)" : "url(#arrow)" }, world);
    p.dataset.from = from; p.dataset.to = to;
  }
  for (const [id, p] of shown.pos) {
    const n = byId.get(id);
    const g = el("g", { class: "node " + n.kind + (id === state.selected ? " selected" : ""), transform: "translate(" + p.x + "," + p.y + ")" }, world);
    g.dataset.id = id;
    el("rect", { width: p.w, height: NODE_H, rx: 5 }, g);
    el("text", { x: PAD_X, y: NODE_H / 2, "dominant-baseline": "central" }, g).textContent = labelOf.get(id);
    el("title", {}, g).textContent = n.id + (n.description ? "\\n" + n.description : "");
  }
  markHits();
  const scope = $("#scope-btn");
  scope.hidden = !state.selected;
  scope.textContent = state.scope === "lineage" ? "Whole graph" : "Lineage only";
}

function applyView() { world.setAttribute("transform", "translate(" + (-view.x * view.k) + "," + (-view.y * view.k) + ") scale(" + view.k + ")"); }

/** Per axis: center what fits, else start at the selected node (or the top-left). */
function placeView(k, focusId) {
  const r = graph.getBoundingClientRect();
  view.k = k;
  const f = focusId && shown.pos.get(focusId);
  const axis = (size, content, at) => {
    const room = size / k, margin = MARGIN / k;
    if (content + 2 * margin <= room) return (content - room) / 2;
    if (at === undefined) return -margin;
    return Math.min(content + margin - room, Math.max(-margin, at - room / 2));
  };
  view.x = axis(r.width, shown.width, f ? f.x + f.w / 2 : undefined);
  view.y = axis(r.height, shown.height, f ? f.y + NODE_H / 2 : undefined);
  applyView();
}
function fitScale() {
  const r = graph.getBoundingClientRect();
  return Math.min((r.width - 2 * MARGIN) / (shown.width || 1), (r.height - 2 * MARGIN) / (shown.height || 1));
}
const narrow = matchMedia("(max-width: 700px)");
/** The opening view: as large as fits, never below 11 px labels. */
function autoView() {
  const r = graph.getBoundingClientRect();
  if (!r.width) return;
  if (narrow.matches) {
    // On a phone the panel is as tall as the graph needs, up to 60% of the screen.
    const k = Math.min(MAX_K, Math.max(MIN_K, (r.width - 2 * MARGIN) / (shown.width || 1)));
    const bar = $(".graph-bar").getBoundingClientRect().height;
    $("#graph-panel").style.height = Math.max(200, Math.min(innerHeight * 0.6, bar + shown.height * k + 2 * MARGIN)) + "px";
  } else $("#graph-panel").style.height = "";
  placeView(Math.min(MAX_K, Math.max(MIN_K, fitScale())), state.selected);
}
/** "Fit": everything in view, however small. */
function fit() { placeView(Math.min(MAX_K, Math.max(0.1, fitScale()))); }
function zoomAt(factor, cx, cy) {
  const r = graph.getBoundingClientRect();
  const px = cx ?? r.width / 2, py = cy ?? r.height / 2;
  const mx = view.x + px / view.k, my = view.y + py / view.k;
  view.k = Math.min(3, Math.max(0.1, view.k * factor));
  view.x = mx - px / view.k; view.y = my - py / view.k;
  applyView();
}

const pointers = new Map();
let drag = null, pinch = null;
graph.addEventListener("pointerdown", (e) => {
  if (e.target.closest(".node")) return;
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  graph.setPointerCapture(e.pointerId);
  if (pointers.size === 1) drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
  if (pointers.size === 2) { const [a, b] = [...pointers.values()]; pinch = Math.hypot(a.x - b.x, a.y - b.y); drag = null; }
  graph.style.cursor = "grabbing";
});
graph.addEventListener("pointermove", (e) => {
  if (!pointers.has(e.pointerId)) return;
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  if (pinch && pointers.size === 2) {
    const [a, b] = [...pointers.values()], d = Math.hypot(a.x - b.x, a.y - b.y), r = graph.getBoundingClientRect();
    zoomAt(d / pinch, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top); pinch = d;
  } else if (drag) {
    view.x = drag.vx - (e.clientX - drag.x) / view.k; view.y = drag.vy - (e.clientY - drag.y) / view.k; applyView();
  }
});
const release = (e) => { pointers.delete(e.pointerId); if (pointers.size < 2) pinch = null; if (!pointers.size) { drag = null; graph.style.cursor = ""; } };
graph.addEventListener("pointerup", release);
graph.addEventListener("pointercancel", release);
graph.addEventListener("wheel", (e) => {
  e.preventDefault();
  const r = graph.getBoundingClientRect();
  zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
}, { passive: false });
graph.addEventListener("click", (e) => { const g = e.target.closest(".node"); if (g) go("#/node/" + encodeURIComponent(g.dataset.id)); });

function go(hash) { if (location.hash !== hash) location.hash = hash; else route(); }

function statusCell(s) { return s ? '<span class="status-' + esc(s) + '">' + esc(s) + "</span>" : ""; }
function link(id) { return '<a href="#/node/' + encodeURIComponent(id) + '">' + ident(id) + "</a>"; }
/**
 * A table in a box that scrolls sideways if it must. Headers ending in "#" are numeric columns.
 * "wide" tables (sample rows) keep one line per row and scroll; others wrap, and on a phone
 * those of three columns or more become one block per row.
 */
function table(id, head, rows, wide) {
  const cls = wide ? "wide" : head.length > 2 ? "stack" : "";
  return '<div class="table-wrap' + (wide ? " wide" : "") + '"><table' + (id ? ' id="' + id + '"' : "") + (cls ? ' class="' + cls + '"' : "") + "><thead><tr>" +
    head.map((h) => "<th" + (h.endsWith("#") ? ' class="num">' + esc(h.slice(0, -1)) : ">" + esc(h)) + "</th>").join("") +
    "</tr></thead><tbody>" + rows.map((r) => "<tr>" + r.map((c, i) => {
      const label = ' data-label="' + esc(head[i].replace(/#$/, "")) + '"';
      return typeof c === "number" ? '<td class="num"' + label + ">" + c.toLocaleString("en-US") + "</td>" : "<td" + label + ">" + c + "</td>";
    }).join("") + "</tr>").join("") +
    "</tbody></table></div>";
}

function details(n) {
  const when = (s) => esc(String(s).replace(/\\.\\d+(?=[+-]\\d\\d|Z|$)/, ""));
  const meta = [esc(n.kind), n.materialized && esc(n.materialized), n.rows !== null && n.rows.toLocaleString("en-US") + " rows",
    n.last_run && "last run " + statusCell(n.last_run.status) + " in " + Math.round(n.last_run.duration_ms) + " ms at " + when(n.last_run.ended_at),
    n.path && ident(n.path), n.tags.length && "tags: " + n.tags.map(esc).join(", "),
    n.exposure && esc(n.exposure.type), n.exposure?.maturity && "maturity " + esc(n.exposure.maturity),
    n.exposure && "owner " + esc([n.exposure.owner.name, n.exposure.owner.email].filter(Boolean).join(" ")),
    n.exposure?.url && (/^https?:/i.test(n.exposure.url) ? '<a href="' + esc(n.exposure.url) + '">' + esc(n.exposure.url) + "</a>" : esc(n.exposure.url))].filter(Boolean).join(" · ");
  const anyRejected = Object.values(n.rejected ?? {}).some((v) => v > 0);
  let html = '<a class="back" href="#/">← All nodes</a><h2>' + ident(n.id) + '</h2><div class="meta">' + meta + "</div>" +
    (n.description ? "<p>" + esc(n.description) + "</p>" : "") +
    "<p><b>Upstream:</b> " + (n.upstream.map(link).join(", ") || "none") + "<br><b>Downstream:</b> " + (n.downstream.map(link).join(", ") || "none") + "</p>";
  if (n.last_run?.message && n.last_run.status !== "success" && n.last_run.status !== "pass") html += "<pre>" + esc(n.last_run.message) + "</pre>";
  if (n.columns.length) {
    html += "<h3>Columns</h3>" + table("columns", ["name", "type", "description", "tests", "from"], n.columns.map((c) => [
      ident(c.name), esc(c.type), esc(c.description), c.tests.map((t) => ident(t.name) + " " + statusCell(t.status)).join("<br>"), c.lineage.map(ident).join("<br>"),
    ]));
  }
  if (n.checks.length) {
    const count = (name) => n.rejected ? n.rejected[name] ?? "" : "";
    html += "<h3>Checks</h3>" + table("checks", ["check", "expression", "rejected rows#"], n.checks.map((c) => [ident(c.name), "<code>" + esc(c.expression) + "</code>", count(c.name)]));
  }
  if (n.rejected_samples.length) {
    // Why first: the checks each row failed.
    const keys = [...new Set(["_failed_checks", ...n.rejected_samples.flatMap((r) => Object.keys(r))])];
    const cell = (v) => v === null || v === undefined ? '<span class="null">null</span>' : esc(Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : v);
    html += "<h3>Sample rejected rows</h3>" + table("samples", keys, n.rejected_samples.map((r) => keys.map((k) => cell(r[k]))), true);
  } else if (anyRejected && n.samples_withheld) {
    html += '<p class="note">Sample rejected rows are not published: ' + esc(n.samples_withheld) + ".</p>";
  }
  if (n.files.length) {
    html += "<h3>Landed files</h3>" + table("files", ["file", "status", "rows#", "rejected#", "error"], n.files.map((f) => [
      ident(f.file_name), statusCell(f.status), f.rows, f.rejected_rows, esc(f.error),
    ]));
  }
  if (n.sql) html += "<details><summary>SQL as written</summary><pre>" + esc(n.sql) + "</pre></details>";
  if (n.compiled_sql) html += "<details><summary>SQL as compiled</summary><pre>" + esc(n.compiled_sql) + "</pre></details>";
  return html;
}

function openNode(id) {
  const n = byId.get(id);
  if (!n) { $("#details").innerHTML = "<p>No node <code>" + esc(id) + "</code> in this project.</p>"; home(); return; }
  if (state.selected !== id) state.scope = "lineage";
  state.selected = id;
  for (const b of document.querySelectorAll("#nodes button")) b.toggleAttribute("aria-current", b.dataset.id === id);
  $("#details").innerHTML = details(n);
  $("#details").scrollTop = 0;
  render(); autoView();
}

function runs() {
  const rows = M.runs.map((r) => [esc(r.started_at), esc(r.command), statusCell(r.status), r.nodes ?? "", r.errors ?? "",
    "<details><summary>" + r.results.length + " nodes</summary>" + table("", ["node", "status", "ms#"], r.results.map((x) => [link(x.node_id), statusCell(x.status), Math.round(x.duration_ms)])) + "</details>"]);
  $("#details").innerHTML = '<a class="back" href="#/">← All nodes</a><h2>Run history</h2>' +
    (M.runs.length ? table("runs", ["started", "command", "status", "nodes#", "errors#", "timing per node"], rows) : "<p>No runs recorded yet: run <code>wharf build</code>.</p>");
}

function home() {
  state.selected = null; state.scope = "all";
  for (const b of document.querySelectorAll("#nodes button[aria-current]")) b.removeAttribute("aria-current");
  render(); autoView();
}

function list() {
  const first = new Map();
  M.layout.columns.forEach((c, i) => c.nodes.forEach((id) => { const l = byId.get(id).layer; if (!first.has(l)) first.set(l, i); }));
  const rank = (l) => ["raw", "wharf", "seeds"].indexOf(l) + 1 || 9;
  const layers = [...first.keys()].sort((a, b) => first.get(a) - first.get(b) || rank(a) - rank(b) || a.localeCompare(b));
  const nav = $("#nodes");
  nav.innerHTML = layers.map((l) => "<h2>" + esc(l) + "</h2>" + M.nodes.filter((n) => n.layer === l).sort((a, b) => a.name.localeCompare(b.name)).map((n) =>
    '<button type="button" data-id="' + esc(n.id) + '" title="' + esc(n.id) + '">' + esc(n.name) + "</button>").join("")).join("");
  nav.addEventListener("click", (e) => { const b = e.target.closest("button"); if (b) go("#/node/" + encodeURIComponent(b.dataset.id)); });
  nav.addEventListener("keydown", (e) => {
    const buttons = [...nav.querySelectorAll("button")]; const i = buttons.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && i < buttons.length - 1) { buttons[i + 1].focus(); e.preventDefault(); }
    if (e.key === "ArrowUp" && i > 0) { buttons[i - 1].focus(); e.preventDefault(); }
  });
}

function markHits() {
  const q = state.query;
  for (const g of world.querySelectorAll(".node")) {
    const n = byId.get(g.dataset.id);
    g.classList.toggle("hit", Boolean(q) && (n.id.toLowerCase().includes(q) || n.description.toLowerCase().includes(q) ||
      n.columns.some((c) => c.name.toLowerCase().includes(q) || c.description.toLowerCase().includes(q))));
  }
}
$("#search").addEventListener("input", (e) => {
  const q = state.query = e.target.value.trim().toLowerCase();
  body.classList.toggle("searching", Boolean(q));
  const hits = [];
  for (const n of M.nodes) {
    if (!q) break;
    if (n.id.toLowerCase().includes(q) || n.description.toLowerCase().includes(q)) hits.push({ id: n.id, label: n.id });
    for (const c of n.columns) if (c.name.toLowerCase().includes(q) || c.description.toLowerCase().includes(q)) hits.push({ id: n.id, label: n.id + " · " + c.name });
  }
  $("#results").innerHTML = q ? hits.slice(0, 50).map((h) => '<li tabindex="0" data-id="' + esc(h.id) + '">' + esc(h.label) + "</li>").join("") || "<li>No match</li>" : "";
  markHits();
});
const pick = (li) => { $("#search").value = ""; $("#search").dispatchEvent(new Event("input")); go("#/node/" + encodeURIComponent(li.dataset.id)); };
$("#results").addEventListener("click", (e) => { const li = e.target.closest("li[data-id]"); if (li) pick(li); });
$("#results").addEventListener("keydown", (e) => { const li = e.target.closest("li[data-id]"); if (li && e.key === "Enter") pick(li); });

function route() {
  const h = decodeURIComponent(location.hash);
  const page = h === "#/runs" ? "runs" : h.startsWith("#/node/") ? "node" : "home";
  body.classList.toggle("home", page === "home");
  if (page === "runs") { runs(); home(); }
  else if (page === "node") openNode(h.slice(7));
  else home();
}
$("#graph-toggle").addEventListener("click", () => {
  const isOpen = body.classList.toggle("graph-open");
  $("#graph-toggle").setAttribute("aria-expanded", String(isOpen));
  $("#graph-toggle").textContent = isOpen ? "Hide graph" : "Graph";
  if (isOpen) { autoView(); $("#graph-panel").scrollIntoView({ block: "start" }); }
});
$("#scope-btn").addEventListener("click", () => { state.scope = state.scope === "lineage" ? "all" : "lineage"; render(); autoView(); });
$("#fit").addEventListener("click", fit);
$("#zoom-in").addEventListener("click", () => zoomAt(1.25));
$("#zoom-out").addEventListener("click", () => zoomAt(1 / 1.25));
addEventListener("hashchange", route);
// Phones resize the window as their address bar hides: only a new width resets the view.
let lastWidth = innerWidth;
addEventListener("resize", () => {
  if (innerWidth !== lastWidth || !narrow.matches) requestAnimationFrame(autoView);
  lastWidth = innerWidth;
});
$("#summary").textContent = M.nodes.length + " nodes, generated " + M.generated_at.replace(/\\.\\d+Z$/, "Z") +
  " · click a node for its lineage";
list(); route();
`;

/** Renders the site as one HTML page holding `manifest`. */
export function renderSite(manifest: Manifest): string {
  const data = JSON.stringify(manifest).replaceAll("<", "\\u003c");
  const project = manifest.project.replace(/[<&]/g, "");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${project} · wharf docs</title>
<style>${STYLE}</style>
</head>
<body class="home">
<header>
  <h1><a href="#/">${project} docs</a></h1>
  <nav><a href="#/">Overview</a><a href="#/runs">Runs</a></nav>
  <button id="graph-toggle" type="button" aria-controls="graph-panel" aria-expanded="false">Graph</button>
  <input id="search" type="search" placeholder="Search models and columns" aria-label="Search models and columns">
</header>
<main>
  <aside aria-label="Nodes"><ul id="results" aria-label="Search results"></ul><div id="nodes"></div></aside>
  <section id="graph-panel" aria-label="Lineage graph">
    <div class="graph-bar">
      <div class="legend" aria-hidden="true"><span><i class="source"></i>source</span><span><i class="seed"></i>seed</span><span><i class="model"></i>model</span><span><i class="test"></i>test</span><span><i class="api"></i>API</span><span><i class="exposure"></i>exposure</span></div>
      <div id="summary"></div>
      <div class="toolbar">
        <button id="scope-btn" type="button" hidden>Whole graph</button>
        <button id="fit" type="button" title="Show the whole graph, however small">Fit</button>
        <button id="zoom-out" type="button" aria-label="Zoom out">−</button>
        <button id="zoom-in" type="button" aria-label="Zoom in">+</button>
      </div>
    </div>
    <svg id="graph" role="img" aria-label="Lineage graph">
      <defs>
        <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker>
        <marker id="arrow-hi" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="5" markerHeight="5" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker>
      </defs>
      <g id="world"></g>
    </svg>
  </section>
  <section id="details" aria-live="polite"></section>
</main>
<script id="manifest" type="application/json">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
