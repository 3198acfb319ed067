"""The browser workbench `kg serve` shows at `/`: a lean page of our own (query editor, the saved questions as
examples, a results table, "show as graph"). Every asset is served by us, nothing from a CDN; data reaches
the page only through textContent, so no text from the graph is ever parsed as HTML."""

from __future__ import annotations

import json

from kg.saved import saved_queries

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Qingdao KG · SPARQL workbench</title>
<link rel="stylesheet" href="/workbench.css">
<script src="/workbench.js" defer></script>
</head>
<body>
<header><h1>Qingdao industrial knowledge graph · SPARQL</h1>
<p>Endpoint: <code>/sparql</code> (SPARQL 1.1 Protocol, read-only). Prefixes qd:, qdo:, skos:, dcterms: … are
predeclared.</p></header>
<main>
<label>Example <select id="examples"><option value="">— a saved competency question —</option></select></label>
<p id="question"></p>
<textarea id="query" spellcheck="false" rows="14">SELECT ?plan ?indicator ?valueText WHERE {
  ?t a qdo:Target ; qdo:setBy ?p ; qdo:indicator ?i ; qdo:valueText ?valueText .
  ?p skos:prefLabel ?plan . ?i skos:prefLabel ?indicator .
}</textarea>
<p><button id="run" type="button">Run</button> <button id="graph" type="button">Show as graph</button>
<span id="status" role="status"></span></p>
<div id="error" role="alert"></div>
<table id="results"><thead></thead><tbody></tbody></table>
<pre id="rdf"></pre>
<iframe id="graphview" title="graph view" hidden></iframe>
</main>
</body>
</html>
"""

CSS = """body { font: 15px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 1.3em; margin-bottom: 0.2em; }
textarea { width: 100%; font: 13px/1.4 ui-monospace, monospace; box-sizing: border-box; }
#question { color: #555; font-style: italic; min-height: 1.2em; }
#error { color: #a00; white-space: pre-wrap; }
#status { color: #555; margin-left: 1em; }
table { border-collapse: collapse; margin-top: 1em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
pre { white-space: pre-wrap; font-size: 13px; }
iframe { width: 100%; height: 720px; border: 1px solid #ccc; margin-top: 1em; }
"""

JS = """"use strict";
const $ = (id) => document.getElementById(id);

function cell(term) {
  if (!term) return "";
  if (term["xml:lang"]) return term.value + " @" + term["xml:lang"];
  return term.value;
}

function clear() {
  $("error").textContent = "";
  $("rdf").textContent = "";
  $("results").tHead.replaceChildren();
  $("results").tBodies[0].replaceChildren();
  $("graphview").hidden = true;
}

function showTable(data) {
  const head = $("results").tHead.insertRow();
  const vars = data.head.vars || [];
  if ("boolean" in data) {
    head.insertCell().textContent = "answer";
    $("results").tBodies[0].insertRow().insertCell().textContent = String(data.boolean);
    return 1;
  }
  for (const v of vars) head.appendChild(document.createElement("th")).textContent = v;
  for (const binding of data.results.bindings) {
    const row = $("results").tBodies[0].insertRow();
    for (const v of vars) row.insertCell().textContent = cell(binding[v]);
  }
  return data.results.bindings.length;
}

async function run() {
  clear();
  $("status").textContent = "running…";
  const body = new URLSearchParams({ query: $("query").value });
  try {
    const resp = await fetch("/sparql", {
      method: "POST",
      body,
      headers: { Accept: "application/sparql-results+json, text/turtle;q=0.9" },
    });
    const text = await resp.text();
    if (!resp.ok) {
      $("status").textContent = "";
      $("error").textContent = resp.status + ": " + text;
      return;
    }
    if ((resp.headers.get("Content-Type") || "").startsWith("text/turtle")) {
      $("rdf").textContent = text;
      $("status").textContent = "graph result (Turtle)";
    } else {
      const n = showTable(JSON.parse(text));
      $("status").textContent = n + (n === 1 ? " row" : " rows");
    }
  } catch (err) {
    $("status").textContent = "";
    $("error").textContent = String(err);
  }
}

function showGraph() {
  clear();
  const frame = $("graphview");
  frame.src = "/graph?" + new URLSearchParams({ query: $("query").value });
  frame.hidden = false;
  $("status").textContent = "graph view";
}

async function loadExamples() {
  const resp = await fetch("/examples.json");
  const examples = await resp.json();
  const select = $("examples");
  for (const ex of examples) {
    const option = select.appendChild(document.createElement("option"));
    option.value = ex.name;
    option.textContent = ex.name;
  }
  select.addEventListener("change", () => {
    const ex = examples.find((e) => e.name === select.value);
    if (!ex) return;
    $("query").value = ex.text;
    $("question").textContent = ex.question;
  });
  document.body.dataset.ready = "true";
}

$("run").addEventListener("click", run);
$("graph").addEventListener("click", showGraph);
$("query").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run();
});
loadExamples();
"""

ASSETS = {
    "/": ("text/html; charset=utf-8", PAGE),
    "/workbench.css": ("text/css; charset=utf-8", CSS),
    "/workbench.js": ("text/javascript; charset=utf-8", JS),
}

# The page and its script come from us alone; the graph view (its own inline-script page) only in our frame.
PAGE_POLICY = "default-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
GRAPH_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'"
)


def examples_json() -> str:
    """The saved competency questions for the example menu."""
    return json.dumps([{"name": q.name, "question": q.question, "text": q.text} for q in saved_queries().values()])
