"use strict";
// The workbench page. Whatever comes from the endpoint or the URL reaches the page as text (textContent,
// input values) and never as HTML; parameter values go to the server as form fields, which binds them.

const $ = (id) => document.getElementById(id);
const LINE = 18; // px: the editor's line height (workbench.css), to place the error marker
const PAD = 6; // px: the editor's top padding
const LABEL_BATCH = 500; // IRIs per /labels request: the server's cap
const XSD = /^https?:\/\/www\.w3\.org\/2001\/XMLSchema#(\w+)$/;
const NUMERIC = new Set([
  "integer", "decimal", "double", "float", "long", "int", "short", "byte", "nonNegativeInteger",
  "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
  "unsignedByte",
]);
// IRIs that can be written into a query as <IRI>: only these get a "what the graph says about it" link.
const WRITABLE = /^[^<>"{}|^`\\\u0000-\u0020]+$/;
// Keys of the URL fragment; a parameter of the same name cannot be kept there.
const RESERVED = new Set(["saved", "query", "view"]);
const ANSWER_TYPES = "application/sparql-results+json, text/turtle;q=0.9";
const TABLE_DOWNLOADS = [["CSV", "text/csv", "csv"], ["JSON", "application/sparql-results+json", "json"]];
const GRAPH_DOWNLOADS = [["Turtle", "text/turtle", "ttl"], ["JSON-LD", "application/ld+json", "jsonld"]];

let examples = [];
let view = "table";
let answered = null; // the request whose answer is shown: { saved, params, query }
let runs = 0; // answers to any but the latest run are dropped
let drawn = null; // the graph view's URL
let marked = null; // the editor line marked as the syntax error's
let appliedHash = null;

const normal = (text) => text.replace(/\r\n?/g, "\n");
const chosen = () => examples.find((e) => e.name === $("examples").value) || null;
const edited = () => chosen() !== null && normal($("query").value) !== normal(chosen().text);

function currentRequest() {
  const ex = chosen();
  if (ex && !edited()) return { saved: ex.name, params: paramValues(), query: ex.text };
  return { saved: null, params: {}, query: $("query").value };
}

function paramValues() {
  const values = {};
  for (const input of $("param-list").querySelectorAll("input")) {
    if (input.value !== "") values[input.name] = input.value;
  }
  return values;
}

function savedUrl(req, suffix) {
  const query = new URLSearchParams(req.params).toString();
  return "/saved/" + encodeURIComponent(req.saved) + suffix + (query ? "?" + query : "");
}

function fetchAnswer(req, accept) {
  const headers = { Accept: accept };
  if (req.saved) return fetch(savedUrl(req, ""), { headers });
  return fetch("/sparql", { method: "POST", body: new URLSearchParams({ query: req.query }), headers });
}

const graphUrl = (req) => (req.saved ? savedUrl(req, "/graph") : "/graph?" + new URLSearchParams({ query: req.query }));

// --- the editor ---------------------------------------------------------------------------------------------

function setQuery(text) {
  $("query").value = text;
  $("query").scrollTop = 0;
  $("query").scrollLeft = 0;
  edit();
}

function edit() {
  const lines = $("query").value.split("\n").length;
  if ($("gutter").dataset.lines !== String(lines)) {
    $("gutter").textContent = Array.from({ length: lines }, (_, i) => i + 1).join("\n");
    $("gutter").dataset.lines = String(lines);
  }
  scrolled();
  marked = null;
  placeMarker();
  syncParams();
}

function scrolled() {
  $("gutter").scrollTop = $("query").scrollTop;
  placeMarker();
}

function placeMarker() {
  $("marker").hidden = marked === null;
  if (marked !== null) $("marker").style.top = PAD + (marked - 1) * LINE - $("query").scrollTop + "px";
}

// The server's message says "line L, column C": select the text from there to the next blank, mark the line.
function markError(line, column) {
  const editor = $("query");
  const lines = editor.value.split("\n");
  if (line < 1 || line > lines.length) return;
  let start = Math.min(Math.max(column, 1) - 1, lines[line - 1].length);
  for (const before of lines.slice(0, line - 1)) start += before.length + 1;
  const token = /^\S*/.exec(editor.value.slice(start))[0];
  editor.focus();
  editor.setSelectionRange(start, start + token.length);
  editor.scrollTop = Math.max(0, (line - 1) * LINE - editor.clientHeight / 3);
  marked = line;
  scrolled();
}

// --- saved questions and their parameters ------------------------------------------------------------------

function choose(name, values = {}) {
  const ex = examples.find((e) => e.name === name) || null;
  $("examples").value = ex ? ex.name : "";
  $("question").textContent = ex ? ex.question : "";
  if (ex) setQuery(ex.text);
  buildParams(ex ? ex.parameters : [], values);
}

function buildParams(params, values) {
  const list = $("param-list");
  list.replaceChildren();
  $("params").hidden = params.length === 0;
  for (const p of params) {
    const row = list.appendChild(document.createElement("div"));
    row.className = "param";
    const label = row.appendChild(document.createElement("label"));
    label.htmlFor = "param-" + p.name;
    label.textContent = p.name;
    const input = row.appendChild(document.createElement("input"));
    input.id = "param-" + p.name;
    input.name = p.name;
    input.placeholder = p.default ? "default: " + p.default : "";
    input.value = values[p.name] || "";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("aria-describedby", "help-" + p.name);
    const help = row.appendChild(document.createElement("span"));
    help.className = "help";
    help.id = "help-" + p.name;
    if (p.kind !== "any") {
      const type = help.appendChild(document.createElement("span"));
      type.className = "type";
      type.textContent = p.kind;
    }
    help.append(" " + p.help);
  }
  syncParams();
}

// Parameters are bound to the saved question as written: once its text is edited, they no longer apply.
function syncParams() {
  const stale = edited();
  $("param-note").hidden = !stale;
  for (const input of $("param-list").querySelectorAll("input")) input.disabled = stale;
}

// --- running a query and showing the answer ----------------------------------------------------------------

function clearAnswer() {
  $("empty").hidden = true;
  $("error").textContent = "";
  $("rdf").textContent = "";
  $("results").tHead.replaceChildren();
  $("results").tBodies[0].replaceChildren();
  delete $("results").dataset.labelled;
  $("downloads").replaceChildren();
  marked = null;
  placeMarker();
}

// ``fromUrl``: the run a URL asked for, which must not add a step to the browser's history.
async function run(fromUrl = false) {
  const req = currentRequest();
  const mine = ++runs;
  answered = req;
  drawn = null;
  writeHash(fromUrl);
  clearAnswer();
  if (view === "graph") loadGraph();
  $("status").textContent = "running…";
  const started = performance.now();
  let resp, text;
  try {
    resp = await fetchAnswer(req, ANSWER_TYPES);
    text = await resp.text();
  } catch (err) {
    if (mine === runs) failed(mine, String(err));
    return;
  }
  if (mine !== runs) return;
  if (!resp.ok) {
    failed(mine, resp.status + ": " + text.trim());
    return;
  }
  const took = ((performance.now() - started) / 1000).toFixed(2) + " s";
  if ((resp.headers.get("Content-Type") || "").startsWith("text/turtle")) {
    $("rdf").textContent = text;
    $("status").textContent = "an RDF graph (Turtle) · " + took;
    offerDownloads(GRAPH_DOWNLOADS);
    finished(mine);
    return;
  }
  const rows = showTable(JSON.parse(text));
  $("status").textContent = rows + (rows === 1 ? " row · " : " rows · ") + took;
  offerDownloads(TABLE_DOWNLOADS);
  await labelTable(mine);
  finished(mine);
}

// The answer is complete (labels included): its run's number, for whoever waits for it.
function finished(mine) {
  if (mine === runs) $("answer").dataset.done = String(mine);
}

function failed(mine, message) {
  $("status").textContent = "no answer: see the message under the query";
  $("error").textContent = message;
  const at = /line (\d+), column (\d+)/.exec(message);
  if (at) markError(Number(at[1]), Number(at[2]));
  finished(mine);
}

function showTable(data) {
  const head = $("results").tHead.insertRow();
  const body = $("results").tBodies[0];
  if ("boolean" in data) {
    head.appendChild(document.createElement("th")).textContent = "answer";
    body.insertRow().insertCell().textContent = String(data.boolean);
    return 1;
  }
  const vars = data.head.vars || [];
  const bindings = data.results.bindings;
  // A language tag or datatype that every value of a column has is said once, in its heading.
  const shared = vars.map((v) => sharedSuffix(bindings.map((b) => b[v])));
  vars.forEach((v, i) => {
    const th = head.appendChild(document.createElement("th"));
    th.textContent = v;
    if (shared[i]) suffix(th, shared[i]);
  });
  for (const binding of bindings) {
    const row = body.insertRow();
    vars.forEach((v, i) => {
      const term = binding[v];
      const cell = row.insertCell();
      if (term) fill(cell, term, shared[i] === null);
    });
  }
  vars.forEach((v, i) => {
    if (!bindings.every((b) => !b[v] || isNumber(b[v]))) return;
    head.cells[i].classList.add("num");
    for (const row of body.rows) row.cells[i].classList.add("num");
  });
  return bindings.length;
}

// What a literal says besides its text: its language tag, or its datatype unless it is a plain string.
function suffixOf(term) {
  if (term["xml:lang"]) return { kind: "lang", text: "@" + term["xml:lang"] };
  if (!term.datatype || term.datatype.endsWith("XMLSchema#string")) return null;
  const xsd = XSD.exec(term.datatype);
  return { kind: "dt", text: xsd ? "xsd:" + xsd[1] : localName(term.datatype), iri: term.datatype };
}

function isNumber(term) {
  const xsd = XSD.exec(term.datatype || "");
  return term.type !== "uri" && xsd !== null && NUMERIC.has(xsd[1]);
}

function sharedSuffix(terms) {
  let found = null;
  for (const term of terms) {
    if (!term) continue;
    if (term.type !== "literal" && term.type !== "typed-literal") return null;
    const one = suffixOf(term);
    if (one === null || (found !== null && (one.kind !== found.kind || one.text !== found.text))) return null;
    found = one;
  }
  return found;
}

function suffix(el, what) {
  const span = el.appendChild(document.createElement("span"));
  span.className = what.kind;
  span.textContent = what.text;
  if (what.iri) {
    span.dataset.iri = what.iri;
    span.title = what.iri;
  }
}

function fill(cell, term, withSuffix) {
  if (term.type === "uri") {
    cell.append(iri(term.value));
  } else if (term.type === "bnode") {
    suffix(cell, { kind: "bnode", text: "_:" + term.value });
  } else {
    cell.append(term.value);
    const what = withSuffix ? suffixOf(term) : null;
    if (what) suffix(cell, what);
  }
}

const localName = (value) => value.split(/[#/]/).filter(Boolean).pop() || value;

// An IRI shows as its label (once /labels answers), the IRI itself on hover, and links to what the graph
// says about it: a query in this page, since the IRI's own site may not be reachable.
function iri(value) {
  const link = WRITABLE.test(value);
  const el = document.createElement(link ? "a" : "span");
  el.className = link ? "iri" : "iri raw";
  el.dataset.iri = value;
  el.title = value;
  el.textContent = localName(value);
  if (link) el.href = "#" + new URLSearchParams({ query: describe(value) });
  return el;
}

function describe(value) {
  return [
    "# What the graph says about <" + value + ">, and in which source",
    "SELECT ?subject ?property ?object ?source",
    "WHERE {",
    "  VALUES ?this { <" + value + "> }",
    "  { GRAPH ?g { ?this ?property ?object } BIND (?this AS ?subject) }",
    "  UNION",
    "  { GRAPH ?g { ?subject ?property ?this } BIND (?this AS ?object) }",
    "  OPTIONAL { ?g qdo:shortId ?id }",
    "  BIND (COALESCE(?id, ?g) AS ?source)",
    "}",
    "ORDER BY ?property ?subject ?object",
    "LIMIT 1000",
  ].join("\n");
}

async function labelTable(mine) {
  const shown = $("panel-table").querySelectorAll("[data-iri]");
  const iris = [...new Set([...shown].map((el) => el.dataset.iri))];
  const names = new Map();
  for (let i = 0; i < iris.length; i += LABEL_BATCH) {
    const body = new URLSearchParams();
    for (const one of iris.slice(i, i + LABEL_BATCH)) body.append("iri", one);
    let found;
    try {
      const resp = await fetch("/labels", { method: "POST", body });
      found = resp.ok ? await resp.json() : null;
    } catch (err) {
      found = null;
    }
    if (mine !== runs) return;
    if (found === null) {
      $("results").dataset.labelled = "failed"; // the table keeps the IRIs' local names
      return;
    }
    for (const [key, name] of Object.entries(found)) names.set(key, String(name));
  }
  if (mine !== runs) return;
  for (const el of shown) {
    if (names.has(el.dataset.iri)) el.textContent = names.get(el.dataset.iri);
  }
  $("results").dataset.labelled = "true";
}

function offerDownloads(kinds) {
  const box = $("downloads");
  box.replaceChildren("Download");
  const req = answered;
  for (const [label, media, extension] of kinds) {
    const button = box.appendChild(document.createElement("button"));
    button.type = "button";
    button.textContent = label;
    button.title = "The answer as " + media;
    button.addEventListener("click", () => download(req, media, extension));
  }
}

async function download(req, media, extension) {
  const resp = await fetchAnswer(req, media);
  if (!resp.ok) {
    $("error").textContent = resp.status + ": " + (await resp.text()).trim();
    return;
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await resp.blob());
  link.download = (req.saved || "answer") + "." + extension;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

// --- table and graph tabs ---------------------------------------------------------------------------------

function setView(name) {
  view = name;
  for (const which of ["table", "graph"]) {
    $("tab-" + which).setAttribute("aria-selected", String(which === name));
    $("tab-" + which).tabIndex = which === name ? 0 : -1;
    $("panel-" + which).hidden = which !== name;
  }
}

function showTab(name) {
  setView(name);
  if (answered === null) {
    if (name === "graph") run(false);
    return;
  }
  writeHash(true);
  if (name === "graph") loadGraph();
}

function loadGraph() {
  const url = graphUrl(answered);
  if (drawn !== url) {
    drawn = url;
    $("graphview").src = url;
  }
}

// --- the URL: #saved=NAME&PARAM=VALUE… or #query=TEXT, and &view=graph ---------------------------------------

function writeHash(replace) {
  const h = new URLSearchParams();
  if (answered.saved) {
    h.set("saved", answered.saved);
    for (const [name, value] of Object.entries(answered.params)) if (!RESERVED.has(name)) h.set(name, value);
  } else {
    h.set("query", answered.query);
  }
  if (view === "graph") h.set("view", "graph");
  const hash = "#" + h;
  if (hash !== location.hash) history[replace ? "replaceState" : "pushState"](null, "", hash);
  appliedHash = location.hash;
}

// Opening, reloading or going back to a URL shows its question and runs it (read-only, within the server's limits).
function applyHash() {
  if (location.hash === appliedHash) return;
  appliedHash = location.hash;
  const h = new URLSearchParams(location.hash.slice(1));
  if (!h.has("saved") && !h.has("query")) return;
  setView(h.get("view") === "graph" ? "graph" : "table");
  if (h.has("saved")) {
    const ex = examples.find((e) => e.name === h.get("saved"));
    if (!ex) {
      clearAnswer();
      $("error").textContent = "This link names no saved question: “" + visible(h.get("saved")) + "”";
      return;
    }
    const values = {};
    for (const p of ex.parameters) if (h.has(p.name)) values[p.name] = h.get(p.name);
    choose(ex.name, values);
  } else {
    choose("");
    setQuery(h.get("query"));
  }
  run(true);
}

// Control characters written out (\u001b), so that what a link holds can be seen.
const visible = (text) =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

async function start() {
  edit();
  try {
    examples = await (await fetch("/examples.json")).json();
  } catch (err) {
    $("error").textContent = "The saved questions could not be loaded: " + err;
  }
  for (const ex of examples) {
    const option = $("examples").appendChild(document.createElement("option"));
    option.value = ex.name;
    option.textContent = ex.name;
    option.title = ex.question;
  }
  applyHash();
  document.body.dataset.ready = "true";
}

$("examples").addEventListener("change", () => choose($("examples").value));
$("query").addEventListener("input", edit);
$("query").addEventListener("scroll", scrolled);
$("run").addEventListener("click", () => run());
$("tab-table").addEventListener("click", () => showTab("table"));
$("tab-graph").addEventListener("click", () => showTab("graph"));
document.querySelector("[role=tablist]").addEventListener("keydown", (e) => {
  if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
  const next = view === "table" ? "graph" : "table";
  showTab(next);
  $("tab-" + next).focus();
});
$("param-list").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) run(false);
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run(false);
  }
});
window.addEventListener("hashchange", applyHash);
window.addEventListener("popstate", applyHash);
start();
