// The live board: swaps in a fresh board from data-live every data-refresh seconds, without
// reloading the page; stops while a button or field on it has the focus, and says when the
// server stops answering. The board itself is server-rendered (escaped) HTML.
"use strict";

(function () {
  const board = document.getElementById("board");
  const status = document.getElementById("live-status");
  if (!board || !status) return;
  const every = Math.max(2, Number(board.dataset.refresh) || 5) * 1000;
  let lastGood = new Date();

  function clock(date) {
    return date.toTimeString().slice(0, 5);
  }

  async function refresh() {
    if (board.contains(document.activeElement) && document.activeElement !== document.body) return;
    try {
      const answer = await fetch(board.dataset.live, {credentials: "same-origin", cache: "no-store"});
      if (answer.redirected || answer.status === 401) { window.location.reload(); return; }
      if (!answer.ok) throw new Error(String(answer.status));
      board.innerHTML = await answer.text();
      lastGood = new Date();
      status.textContent = status.dataset.updated.replace("{time}", clock(lastGood));
      status.classList.remove("stale");
    } catch (e) {
      status.textContent = status.dataset.stale.replace("{time}", clock(lastGood));
      status.classList.add("stale");
    }
  }
  setInterval(refresh, every);
})();
