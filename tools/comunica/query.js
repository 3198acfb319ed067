// Answer SPARQL queries with Comunica over one RDF file: an engine outside Python for the saved questions.
// Usage: node query.js turtle|trig DATA_FILE QUERY_FILE... The default graph is the union of the file's graphs.
// Prints a JSON array with one SPARQL 1.1 JSON result per query file (tests/answers.py reads it).
"use strict";
const fs = require("fs");
const { Parser, Store } = require("n3");
const { QueryEngine } = require("@comunica/query-sparql-rdfjs");

const FORMATS = { turtle: "Turtle", trig: "TriG" };
const [format, dataFile, ...queryFiles] = process.argv.slice(2);
if (!FORMATS[format] || !dataFile || queryFiles.length === 0) {
  process.stderr.write("usage: node query.js turtle|trig DATA_FILE QUERY_FILE...\n");
  process.exit(2);
}

function term(t) {
  if (t.termType === "NamedNode") return { type: "uri", value: t.value };
  if (t.termType === "BlankNode") return { type: "bnode", value: t.value };
  const out = { type: "literal", value: t.value };
  if (t.language) out["xml:lang"] = t.language;
  else if (t.datatype) out.datatype = t.datatype.value;
  return out;
}

async function answer(engine, context, queryFile) {
  const result = await engine.query(fs.readFileSync(queryFile, "utf8"), context);
  if (result.resultType !== "bindings") throw new Error(`${queryFile}: expected a SELECT query`);
  const vars = (await result.metadata()).variables.map((v) => v.value);
  const bindings = [];
  for (const row of await (await result.execute()).toArray()) {
    const out = {};
    for (const name of vars) {
      const value = row.get(name);
      if (value) out[name] = term(value);
    }
    bindings.push(out);
  }
  return { head: { vars }, results: { bindings } };
}

async function main() {
  const store = new Store(new Parser({ format: FORMATS[format] }).parse(fs.readFileSync(dataFile, "utf8")));
  const engine = new QueryEngine();
  const context = { sources: [store], unionDefaultGraph: true };
  const answers = [];
  for (const queryFile of queryFiles) answers.push(await answer(engine, context, queryFile));
  process.stdout.write(JSON.stringify(answers) + "\n");
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
