/* immunescape report: draws the embedded plotly figures, sorts tables, filters patients.
   No network access: figures are read from <script type="application/json"> elements. */
(function () {
  "use strict";

  var CONFIG = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  function fail(el, err) {
    el.textContent = "This figure could not be drawn: " + err;
    console.error("immunescape report: figure " + el.id + " failed: " + err);
  }

  function renderPlots() {
    var nodes = document.querySelectorAll("div.plot[data-figure]");
    if (!nodes.length) { return; }
    if (typeof window.Plotly === "undefined") {
      console.error("immunescape report: plotly.js is not embedded");
      return;
    }
    Array.prototype.forEach.call(nodes, function (el) {
      var src = document.getElementById(el.getAttribute("data-figure"));
      try {
        var fig = JSON.parse(src.textContent);
        el.textContent = "";
        var done = window.Plotly.newPlot(el, fig.data, fig.layout, CONFIG);
        if (done && typeof done.then === "function") {
          done.then(function () { el.setAttribute("data-rendered", "true"); },
                    function (err) { fail(el, err); });
        }
      } catch (err) {
        fail(el, err);
      }
    });
  }

  function cellValue(row, col) {
    var cell = row.cells[col];
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-sort");
    return v === null ? cell.textContent.trim() : v;
  }

  function sortTable(table, col, th) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var values = rows.map(function (r) { return cellValue(r, col); });
    var numeric = values.every(function (v) { return v === "" || !isNaN(parseFloat(v)); });
    var keyed = rows.map(function (r, i) { return { row: r, v: values[i], i: i }; });
    keyed.sort(function (a, b) {
      if (a.v === "" && b.v !== "") { return 1; }
      if (b.v === "" && a.v !== "") { return -1; }
      var d = numeric ? parseFloat(a.v) - parseFloat(b.v)
                      : a.v.localeCompare(b.v, undefined, { numeric: true, sensitivity: "base" });
      if (d === 0) { return a.i - b.i; }
      return ascending ? d : -d;
    });
    keyed.forEach(function (k) { body.appendChild(k.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function initSorting() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
      if (!table.tHead) { return; }
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
        var button = th.querySelector("button");
        if (button) {
          button.addEventListener("click", function () { sortTable(table, col, th); });
        }
      });
    });
  }

  function openTarget() {
    var id = "";
    try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
    if (!id) { return; }
    var target = document.getElementById(id);
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    if (target) { target.scrollIntoView(); }
  }

  function initFilter() {
    var input = document.getElementById("patient-filter");
    if (!input) { return; }
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table || !table.tBodies[0]) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  }

  function initToggles() {
    Array.prototype.forEach.call(document.querySelectorAll("button.toggle-all"), function (b) {
      b.addEventListener("click", function () {
        var open = b.getAttribute("data-open") === "1";
        Array.prototype.forEach.call(document.querySelectorAll("details.patient"), function (d) {
          d.open = open;
        });
      });
    });
  }

  initSorting();
  initFilter();
  initToggles();
  window.addEventListener("hashchange", openTarget);
  openTarget();
  renderPlots();
}());
