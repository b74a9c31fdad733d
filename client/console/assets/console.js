// registry-console's only script, loaded from the console itself (the Content-Security-Policy
// allows nothing else). Every page works without it; it adds a progress bar that moves and a
// print button. It reads numbers from the console and never writes HTML.
"use strict";

function followJob(element) {
  const id = element.getAttribute("data-job");
  const bar = document.getElementById("job-progress");
  const count = document.getElementById("job-count");
  const poll = () => {
    fetch("/jobs/" + encodeURIComponent(id) + ".json", { credentials: "same-origin", cache: "no-store" })
      .then((response) => response.json())
      .then((state) => {
        if (bar && state.total > 0) {
          bar.max = state.total;
          bar.value = state.done;
        }
        if (count) count.textContent = state.done + " / " + state.total;
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 400);
        }
      })
      .catch(() => window.setTimeout(poll, 1000));
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-job]").forEach(followJob);
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // After a refused form, the list of problems takes the focus, so that it is read first.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
