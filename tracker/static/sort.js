// Sortable tables, progressively enhanced: every <table data-sortable> gets a button in each
// <th data-sort-type="text|number">. Cells sort by their data-sort attribute (else their text).
// Without JavaScript the table is simply shown in the server's order.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function key(row, index, type) {
    var cell = row.children[index];
    var raw = cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : "";
    if (type === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? -Infinity : n;
    }
    return raw;
  }

  function sort(table, th, index, type) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var lang = document.documentElement.lang || undefined;
    var collator = new Intl.Collator(lang, { sensitivity: "base", numeric: true });
    rows.sort(function (a, b) {
      var x = key(a, index, type), y = key(b, index, type);
      var order = type === "number" ? x - y : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function enhance(table) {
    if (!table.tHead || !table.tBodies.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var type = th.getAttribute("data-sort-type");
      if (!type) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      // A heading that links to the server's sorted order gives its text to the button instead.
      var link = th.querySelector("a.sort");
      var source = link || th;
      while (source.firstChild) button.appendChild(source.firstChild);
      if (link) th.removeChild(link);
      th.appendChild(button);
      button.addEventListener("click", function () { sort(table, th, index, type); });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), enhance);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
