// Count what N3.js parses from an RDF file: an independent check of the exports (tests/test_export.py).
// Usage: node count.js FORMAT FILE, FORMAT one of turtle, trig, ntriples, nquads.
// Prints {"quads": N, "triples": N, "graphs": N}: statements, distinct triples, distinct named graphs.
"use strict";
const fs = require("fs");
const { Parser } = require("n3");

const FORMATS = { turtle: "Turtle", trig: "TriG", ntriples: "N-Triples", nquads: "N-Quads" };
const [format, file] = process.argv.slice(2);
if (!FORMATS[format] || !file) {
  process.stderr.write("usage: node count.js turtle|trig|ntriples|nquads FILE\n");
  process.exit(2);
}
const key = (term) => `${term.termType}:${term.value}:${term.datatype ? term.datatype.value : ""}:${term.language || ""}`;
const quads = new Parser({ format: FORMATS[format] }).parse(fs.readFileSync(file, "utf8"));
const triples = new Set(quads.map((q) => [q.subject, q.predicate, q.object].map(key).join(" ")));
const graphs = new Set(quads.filter((q) => q.graph.termType !== "DefaultGraph").map((q) => q.graph.value));
process.stdout.write(JSON.stringify({ quads: quads.length, triples: triples.size, graphs: graphs.size }) + "\n");
