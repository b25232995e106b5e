// The roll call's tick-off mode: each row's box kept in this browser's localStorage (per site
// and visit), so a reload or a lost signal keeps what was ticked; a tally of those accounted for.
"use strict";

(function () {
  const table = document.getElementById("rollcall");
  if (!table) return;
  const key = table.dataset.key;
  const tally = document.getElementById("tally");
  const rows = Array.from(table.querySelectorAll("tbody tr[data-visit]"));

  function load() {
    try { return JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }
  function save(ticked) {
    try { localStorage.setItem(key, JSON.stringify(ticked)); } catch (e) { /* private mode: kept on the page only */ }
  }
  function show() {
    const ticked = load();
    let done = 0;
    rows.forEach((row) => {
      const on = Boolean(ticked[row.dataset.visit]);
      row.querySelector("input").checked = on;
      row.classList.toggle("ticked", on);
      if (on) done += 1;
    });
    if (tally) tally.textContent = tally.dataset.text.replace("{done}", done).replace("{all}", rows.length);
  }
  rows.forEach((row) => {
    row.querySelector("input").addEventListener("change", (event) => {
      const ticked = load();
      if (event.target.checked) ticked[row.dataset.visit] = Date.now(); else delete ticked[row.dataset.visit];
      save(ticked);
      show();
    });
  });
  const reset = document.getElementById("reset-ticks");
  if (reset) reset.addEventListener("click", () => { save({}); show(); });
  const print = document.getElementById("print");
  if (print) print.addEventListener("click", () => window.print());
  show();
})();
