// registry-console's only script, loaded from the console itself (the Content-Security-Policy
// allows nothing else). Every page works without it; it adds a progress bar that moves, a print
// button, and the reload of a page restored from the back/forward cache. It reads numbers from
// the console and never writes HTML.
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

// A page the browser restores from its back/forward cache is the page as it was, script and form
// included: a record since expunged, a reason since sent. Such a page is asked for again at once,
// by its address (a GET: the console's GET pages change nothing, so no form is sent again), and
// hidden until then. Its address without a fragment: with one ("#main", the skip link's), the
// same address would only scroll. The console also changes a cookie with every change it answers
// (see docs/console.md), which keeps Chrome from restoring such pages at all, script or none.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    document.documentElement.hidden = true;
    window.location.replace(window.location.pathname + window.location.search);
  }
});

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-job]").forEach(followJob);
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // After a refused form, the list of problems takes the focus, so that it is read first.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
