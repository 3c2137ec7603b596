/**
 * The docs site: one self-contained HTML page (styles, script and the
 * manifest inline; no CDN, works from a file or a server) with the lineage
 * graph, node pages, search and run history.
 *
 * @module
 */
import type { Manifest } from "./manifest.ts";

const STYLE = `
:root { --bg:#fff; --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --accent:#0550ae; --panel:#f6f8fa;
  --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; padding:8px 16px; border-bottom:1px solid var(--line); }
header h1 { font-size:16px; margin:0; }
header nav a { margin-right:12px; color:var(--accent); }
#search { flex:1; min-width:160px; max-width:420px; padding:6px 8px; border:1px solid var(--line); border-radius:6px; font:inherit; }
main { display:grid; grid-template-columns:260px 1fr; height:calc(100vh - 50px); }
aside { border-right:1px solid var(--line); overflow:auto; padding:8px; }
aside h2 { font-size:12px; text-transform:uppercase; color:var(--muted); margin:12px 4px 4px; }
aside button { display:block; width:100%; text-align:left; border:0; background:none; padding:4px 6px; border-radius:4px;
  font:inherit; color:var(--fg); cursor:pointer; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
aside button:hover, aside button:focus { background:#ddf4ff; outline:2px solid var(--accent); outline-offset:-2px; }
#content { display:grid; grid-template-rows:minmax(240px, 1fr) auto; overflow:hidden; }
#graph { width:100%; height:100%; background:var(--panel); cursor:grab; touch-action:none; }
#graph .node rect { fill:#fff; stroke:#8c959f; rx:6; }
#graph .node.model rect { stroke:var(--accent); } #graph .node.seed rect { stroke:var(--ok); }
#graph .node.source rect { stroke:var(--warn); } #graph .node.api rect { stroke:#8250df; }
#graph .node.selected rect { fill:#ddf4ff; stroke-width:2.5; }
#graph .node.hit rect { fill:#fff8c5; }
#graph .node text { font-size:12px; fill:var(--fg); pointer-events:none; }
#graph .node { cursor:pointer; }
#graph .edge { fill:none; stroke:#afb8c1; stroke-width:1.2; }
#graph .hidden { display:none; }
#details { max-height:55vh; overflow:auto; border-top:1px solid var(--line); padding:12px 16px; }
#details h2 { margin:0 0 4px; font-size:18px; word-break:break-all; }
.meta { color:var(--muted); margin-bottom:8px; }
table { border-collapse:collapse; width:100%; margin:8px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 6px; text-align:left; vertical-align:top; }
th { color:var(--muted); font-weight:600; }
pre { background:var(--panel); padding:8px; overflow:auto; border-radius:6px; }
.status-success,.status-pass { color:var(--ok); } .status-warn { color:var(--warn); }
.status-error,.status-fail,.status-failed { color:var(--bad); }
.toolbar button { font:inherit; padding:4px 10px; margin-right:6px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
#results li { cursor:pointer; }
@media (max-width: 700px) {
  main { grid-template-columns:1fr; grid-template-rows:auto 1fr; height:auto; }
  aside { max-height:30vh; border-right:0; border-bottom:1px solid var(--line); }
  #content { grid-template-rows:50vh auto; }
  #details { max-height:none; }
}
`;

const SCRIPT = `
const M = JSON.parse(document.getElementById("manifest").textContent);
const byId = new Map(M.nodes.map((n) => [n.id, n]));
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const svgNS = "http://www.w3.org/2000/svg";
const W = 230, H = 30;
const view = { x: -40, y: -40, k: 1 };
const graph = $("#graph"), world = $("#world");

function draw() {
  for (const [from, to] of M.edges) {
    const a = M.layout[from], b = M.layout[to];
    if (!a || !b) continue;
    const p = document.createElementNS(svgNS, "path");
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
    p.setAttribute("d", "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2);
    p.setAttribute("class", "edge");
    p.dataset.from = from; p.dataset.to = to;
    world.appendChild(p);
  }
  for (const n of M.nodes) {
    const pos = M.layout[n.id];
    const g = document.createElementNS(svgNS, "g");
    g.setAttribute("class", "node " + n.kind);
    g.setAttribute("transform", "translate(" + pos.x + "," + pos.y + ")");
    g.dataset.id = n.id;
    const r = document.createElementNS(svgNS, "rect");
    r.setAttribute("width", W); r.setAttribute("height", H);
    const t = document.createElementNS(svgNS, "text");
    t.setAttribute("x", 8); t.setAttribute("y", 19);
    t.textContent = n.id.length > 34 ? n.id.slice(0, 33) + "…" : n.id;
    const title = document.createElementNS(svgNS, "title");
    title.textContent = n.id;
    g.append(r, t, title);
    g.addEventListener("click", () => open(n.id));
    world.appendChild(g);
  }
  applyView();
}

function fit() {
  const xs = Object.values(M.layout).map((p) => p.x), ys = Object.values(M.layout).map((p) => p.y);
  if (!xs.length) return;
  const rect = graph.getBoundingClientRect(), pad = 20;
  const minX = Math.min(...xs) - pad, maxX = Math.max(...xs) + W + pad, minY = Math.min(...ys) - pad, maxY = Math.max(...ys) + H + pad;
  view.k = Math.min(1.5, Math.max(0.15, Math.min(rect.width / (maxX - minX), rect.height / (maxY - minY))));
  view.x = minX - (rect.width / view.k - (maxX - minX)) / 2; view.y = minY; applyView();
}

function applyView() { world.setAttribute("transform", "translate(" + (-view.x * view.k) + "," + (-view.y * view.k) + ") scale(" + view.k + ")"); }

let drag = null;
graph.addEventListener("pointerdown", (e) => { if (e.target.closest(".node")) return; drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y }; graph.style.cursor = "grabbing"; });
addEventListener("pointermove", (e) => { if (!drag) return; view.x = drag.vx - (e.clientX - drag.x) / view.k; view.y = drag.vy - (e.clientY - drag.y) / view.k; applyView(); });
addEventListener("pointerup", () => { drag = null; graph.style.cursor = ""; });
graph.addEventListener("wheel", (e) => {
  e.preventDefault();
  const rect = graph.getBoundingClientRect();
  const mx = view.x + (e.clientX - rect.left) / view.k, my = view.y + (e.clientY - rect.top) / view.k;
  view.k = Math.min(3, Math.max(0.15, view.k * (e.deltaY < 0 ? 1.15 : 1 / 1.15)));
  view.x = mx - (e.clientX - rect.left) / view.k; view.y = my - (e.clientY - rect.top) / view.k;
  applyView();
}, { passive: false });

function related(id, dir) {
  const out = new Set([id]); const stack = [id];
  while (stack.length) { const n = byId.get(stack.pop()); for (const m of (n ? n[dir] : [])) if (!out.has(m)) { out.add(m); stack.push(m); } }
  return out;
}

function focus(id) {
  const keep = new Set([...related(id, "upstream"), ...related(id, "downstream")]);
  for (const g of world.querySelectorAll(".node")) g.classList.toggle("hidden", !keep.has(g.dataset.id));
  for (const p of world.querySelectorAll(".edge")) p.classList.toggle("hidden", !(keep.has(p.dataset.from) && keep.has(p.dataset.to)));
}
function unfocus() { for (const el of world.querySelectorAll(".hidden")) el.classList.remove("hidden"); }

function center(id) {
  const pos = M.layout[id], rect = graph.getBoundingClientRect();
  view.x = pos.x + W / 2 - rect.width / 2 / view.k; view.y = pos.y + H / 2 - rect.height / 2 / view.k; applyView();
}

function statusCell(s) { return s ? '<span class="status-' + esc(s) + '">' + esc(s) + "</span>" : ""; }
function link(id) { return '<a href="#/node/' + encodeURIComponent(id) + '">' + esc(id) + "</a>"; }

function open(id) {
  const n = byId.get(id); if (!n) return;
  if (location.hash !== "#/node/" + encodeURIComponent(id)) history.replaceState(null, "", "#/node/" + encodeURIComponent(id));
  for (const g of world.querySelectorAll(".node")) g.classList.toggle("selected", g.dataset.id === id);
  const cols = n.columns.map((c) => "<tr><td>" + esc(c.name) + "</td><td>" + esc(c.type) + "</td><td>" + esc(c.description) + "</td><td>" +
    c.tests.map((t) => esc(t.name) + " " + statusCell(t.status)).join("<br>") + "</td><td>" + c.lineage.map(esc).join("<br>") + "</td></tr>").join("");
  const rejected = n.rejected ? Object.entries(n.rejected).map(([k, v]) => "<tr><td>" + esc(k) + "</td><td>" + v + "</td></tr>").join("") : "";
  const samples = n.rejected_samples.length ? "<h3>Sample rejected rows</h3><pre>" + esc(n.rejected_samples.map((r) => JSON.stringify(r)).join("\\n")) + "</pre>" : "";
  const files = n.files.length ? "<h3>Landed files</h3><table><tr><th>file</th><th>status</th><th>rows</th><th>rejected</th><th>error</th></tr>" +
    n.files.map((f) => "<tr><td>" + esc(f.file_name) + "</td><td>" + statusCell(f.status) + "</td><td>" + f.rows + "</td><td>" + f.rejected_rows + "</td><td>" + esc(f.error) + "</td></tr>").join("") + "</table>" : "";
  $("#details").innerHTML = '<div class="toolbar"><button id="focus-btn">Focus lineage</button><button id="all-btn">Show all</button></div>' +
    "<h2>" + esc(n.id) + "</h2><div class=meta>" + esc(n.kind) + (n.materialized ? " · " + esc(n.materialized) : "") + (n.rows !== null ? " · " + n.rows + " rows" : "") +
    (n.last_run ? " · last run " + statusCell(n.last_run.status) + " in " + Math.round(n.last_run.duration_ms) + " ms at " + esc(n.last_run.ended_at) : "") + (n.path ? " · " + esc(n.path) : "") + "</div>" +
    "<p>" + esc(n.description) + "</p>" +
    "<p><b>Upstream:</b> " + (n.upstream.map(link).join(", ") || "none") + "<br><b>Downstream:</b> " + (n.downstream.map(link).join(", ") || "none") + "</p>" +
    (n.columns.length ? '<h3>Columns</h3><table id="columns"><tr><th>name</th><th>type</th><th>description</th><th>tests</th><th>from</th></tr>' + cols + "</table>" : "") +
    (n.checks.length ? "<h3>Checks</h3><table><tr><th>check</th><th>expression</th></tr>" + n.checks.map((c) => "<tr><td>" + esc(c.name) + "</td><td><code>" + esc(c.expression) + "</code></td></tr>").join("") + "</table>" : "") +
    (rejected ? "<h3>Rejected rows per check</h3><table><tr><th>check</th><th>rows</th></tr>" + rejected + "</table>" : "") + samples + files +
    (n.sql ? "<details><summary>SQL as written</summary><pre>" + esc(n.sql) + "</pre></details>" : "") +
    (n.compiled_sql ? "<details><summary>SQL as compiled</summary><pre>" + esc(n.compiled_sql) + "</pre></details>" : "");
  $("#focus-btn").addEventListener("click", () => focus(id));
  $("#all-btn").addEventListener("click", unfocus);
}

function runs() {
  const rows = M.runs.map((r) => "<tr><td>" + esc(r.started_at) + "</td><td>" + esc(r.command) + "</td><td>" + statusCell(r.status) + "</td><td>" + (r.nodes ?? "") +
    "</td><td>" + (r.errors ?? "") + "</td><td><details><summary>" + r.results.length + " nodes</summary><table>" +
    r.results.map((x) => "<tr><td>" + link(x.node_id) + "</td><td>" + statusCell(x.status) + "</td><td>" + Math.round(x.duration_ms) + " ms</td></tr>").join("") + "</table></details></td></tr>").join("");
  $("#details").innerHTML = '<h2>Run history</h2><table id="runs"><tr><th>started</th><th>command</th><th>status</th><th>nodes</th><th>errors</th><th>timing per node</th></tr>' + rows + "</table>";
}

function list() {
  const layers = [...new Set(M.nodes.map((n) => n.layer))];
  const nav = $("#nodes");
  nav.innerHTML = layers.map((l) => "<h2>" + esc(l) + "</h2>" + M.nodes.filter((n) => n.layer === l).map((n) =>
    '<button data-id="' + esc(n.id) + '" title="' + esc(n.id) + '">' + esc(n.name) + "</button>").join("")).join("");
  nav.addEventListener("click", (e) => { const b = e.target.closest("button"); if (b) { open(b.dataset.id); center(b.dataset.id); } });
  nav.addEventListener("keydown", (e) => {
    const buttons = [...nav.querySelectorAll("button")]; const i = buttons.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && i < buttons.length - 1) { buttons[i + 1].focus(); e.preventDefault(); }
    if (e.key === "ArrowUp" && i > 0) { buttons[i - 1].focus(); e.preventDefault(); }
  });
}

$("#search").addEventListener("input", (e) => {
  const q = e.target.value.trim().toLowerCase();
  const hits = [];
  for (const n of M.nodes) {
    const nodeHit = q && (n.id.toLowerCase().includes(q) || n.description.toLowerCase().includes(q));
    const cols = q ? n.columns.filter((c) => c.name.toLowerCase().includes(q) || c.description.toLowerCase().includes(q)) : [];
    if (nodeHit) hits.push({ id: n.id, label: n.id });
    for (const c of cols) hits.push({ id: n.id, label: n.id + " · " + c.name });
    world.querySelector('.node[data-id="' + CSS.escape(n.id) + '"]')?.classList.toggle("hit", Boolean(nodeHit || cols.length));
  }
  $("#results").innerHTML = q ? hits.slice(0, 50).map((h) => '<li tabindex="0" data-id="' + esc(h.id) + '">' + esc(h.label) + "</li>").join("") || "<li>No match</li>" : "";
});
$("#results").addEventListener("click", (e) => { const li = e.target.closest("li[data-id]"); if (li) { open(li.dataset.id); center(li.dataset.id); } });
$("#results").addEventListener("keydown", (e) => { const li = e.target.closest("li[data-id]"); if (li && e.key === "Enter") { open(li.dataset.id); center(li.dataset.id); } });

function route() {
  const h = decodeURIComponent(location.hash);
  if (h === "#/runs") runs();
  else if (h.startsWith("#/node/")) open(h.slice(7));
  else $("#details").innerHTML = "<p>Click a node in the graph or the list to see its columns, tests and lineage. " + M.nodes.length + " nodes, generated " + esc(M.generated_at) + ".</p>";
}
addEventListener("hashchange", route);
draw(); list(); route();
requestAnimationFrame(fit);
addEventListener("resize", () => requestAnimationFrame(fit));
$("#fit").addEventListener("click", fit);
`;

/** Renders the site as one HTML page holding `manifest`. */
export function renderSite(manifest: Manifest): string {
  const data = JSON.stringify(manifest).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${manifest.project.replace(/[<&]/g, "")} · wharf docs</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>${manifest.project.replace(/[<&]/g, "")} docs</h1>
  <nav><a href="#/">Graph</a><a href="#/runs">Runs</a></nav>
  <button id="fit" type="button" title="Show the whole graph">Fit</button>
  <input id="search" type="search" placeholder="Search models and columns" aria-label="Search models and columns">
</header>
<main>
  <aside aria-label="Nodes"><ul id="results" aria-label="Search results"></ul><div id="nodes"></div></aside>
  <div id="content">
    <svg id="graph" role="img" aria-label="Lineage graph"><g id="world"></g></svg>
    <section id="details" aria-live="polite"></section>
  </div>
</main>
<script id="manifest" type="application/json">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
