/* The index page's pilot table (index.html): a search box that keeps the rows whose id,
   name, unit or district contain every word typed, and column headers that sort the rows.
   Inlined into the page by evalkit (no library, no network): it works from file:// as from
   a web server. Without JavaScript the table is simply complete and in id order. */
(function () {
  "use strict";
  var table = document.getElementById("pilot-table");
  var search = document.getElementById("pilot-search");
  var count = document.getElementById("pilot-count");
  if (!table || !search || !count) {
    return;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var collator = new Intl.Collator("zh-CN", {numeric: true});

  function normalise(text) {
    return text.normalize("NFKC").toLowerCase();
  }

  function filter() {
    var words = normalise(search.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      shown += match ? 1 : 0;
    });
    count.textContent = shown === rows.length ? "共 " + rows.length + " 个试点"
      : "显示 " + shown + " / " + rows.length + " 个试点";
  }

  function key(row, column, numeric) {
    var cell = row.cells[column];
    var value = cell.hasAttribute("data-key") ? cell.getAttribute("data-key") : cell.textContent.trim();
    return numeric ? parseFloat(value) : value;
  }

  function sort(header) {
    var column = headers.indexOf(header);
    var numeric = header.getAttribute("data-sort") === "number";
    var current = header.getAttribute("aria-sort");
    var direction = current === "ascending" ? "descending"
      : current === "descending" ? "ascending" : header.getAttribute("data-first") || "ascending";
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", direction);
    var sign = direction === "ascending" ? 1 : -1;
    var keyed = rows.map(function (row, position) {
      return {row: row, key: key(row, column, numeric), position: position};
    });
    keyed.sort(function (a, b) {
      var order = numeric ? a.key - b.key : collator.compare(a.key, b.key);
      return order !== 0 ? sign * order : a.position - b.position;  // ties keep the id order
    });
    keyed.forEach(function (item) { body.appendChild(item.row); });
  }

  headers.forEach(function (header) {
    var button = header.querySelector("button");
    if (button) {
      button.addEventListener("click", function () { sort(header); });
    }
  });
  search.addEventListener("input", filter);
  search.closest("form").addEventListener("submit", function (event) { event.preventDefault(); });
  filter();
}());
