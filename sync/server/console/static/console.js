// The console's only script (Content-Security-Policy: script-src 'self'; no inline code).
// Pages opt in with data- attributes: a page works without it, only less live.
"use strict";

function csrfToken() {
  const field = document.querySelector('input[name="csrf"]');
  return field ? field.value : "";
}

// <form class="unmask" action="/console/api/visits/S/V/phone"> with a reason field and an
// element [data-phone] inside: the whole number replaces the masked one, once, not kept anywhere.
function wireUnmask(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    const answer = await fetch(form.action, {method: "POST", body, credentials: "same-origin",
                                             headers: {"X-CSRF-Token": csrfToken()}});
    const data = await answer.json().catch(() => ({error: String(answer.status)}));
    const shown = form.querySelector("[data-phone]") || form;
    if (answer.ok) {
      shown.textContent = data.phone;
      form.querySelectorAll("input, button").forEach((el) => { if (el.type !== "hidden") el.disabled = true; });
    } else {
      const error = form.querySelector(".error") || shown;
      error.textContent = data.error || String(answer.status);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.unmask").forEach(wireUnmask);
  if (window.consoleBoard) window.consoleBoard();
  if (window.consoleRollCall) window.consoleRollCall();
});
