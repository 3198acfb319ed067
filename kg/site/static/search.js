// Offline search over the names in search-index.js (window.KG_SEARCH: [label, aliases, classes, path]).
// Results are built with createElement and textContent only: no text from the data is ever parsed as HTML.
"use strict";
(function () {
  var MAX = 200;
  var index = window.KG_SEARCH || [];
  var form = document.getElementById("search-form");
  var box = document.getElementById("q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  function fold(text) { return String(text).normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim(); }
  var folded = index.map(function (e) { return [fold(e[0])].concat(e[1].map(fold)); });
  function rank(names, q) {
    var best = 9;
    names.forEach(function (n, i) {
      var at = n.indexOf(q);
      if (at < 0) { return; }
      var score = (n === q ? 0 : at === 0 ? 1 : 2) + (i === 0 ? 0 : 3);
      if (score < best) { best = score; }
    });
    return best;
  }
  function show(query) {
    var q = fold(query);
    list.textContent = "";
    if (!q) { status.textContent = index.length + " names to search."; return; }
    var hits = [];
    folded.forEach(function (names, i) { var r = rank(names, q); if (r < 9) { hits.push([r, i]); } });
    hits.sort(function (a, b) { return a[0] - b[0] || fold(index[a[1]][0]).localeCompare(fold(index[b[1]][0])); });
    status.textContent = hits.length === 0 ? "No name contains \u201c" + query + "\u201d." :
      hits.length + (hits.length === 1 ? " match" : " matches") + (hits.length > MAX ? ", the first " + MAX + " shown." : ".");
    hits.slice(0, MAX).forEach(function (hit) {
      var entry = index[hit[1]];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = entry[3];
      a.textContent = entry[0];
      li.appendChild(a);
      var about = document.createElement("span");
      about.className = "note";
      var also = entry[1].filter(function (n) { return fold(n).indexOf(q) >= 0; });
      about.textContent = (entry[2] ? " \u2014 " + entry[2] : "") + (also.length ? "; also " + also.join(", ") : "");
      li.appendChild(about);
      list.appendChild(li);
    });
  }
  var initial = new URLSearchParams(window.location.search).get("q") || "";
  box.value = initial;
  show(initial);
  box.addEventListener("input", function () { show(box.value); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(box.value);
    try { history.replaceState(null, "", "?q=" + encodeURIComponent(box.value)); } catch (e) { /* file:// may refuse */ }
  });
  document.body.dataset.ready = "true";
}());
