// registry-console's only script, loaded from the console itself (the Content-Security-Policy
// allows nothing else). Every page works without it; it adds a progress bar that moves, a print
// button, the reload of a page restored from the back/forward cache, and what was typed in a form
// kept across a change of language. It reads numbers from the console and never writes HTML.
"use strict";

// Whether a field of `form` differs from what the page was served with: typed in, chosen, ticked.
function typedIn(form) {
  return Array.from(form.elements).some((field) => {
    if (!field.name || field.disabled) return false;
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      return Array.from(field.options).some((option) => option.selected !== option.defaultSelected);
    }
    if (["hidden", "submit", "button", "reset"].includes(field.type)) return false;
    return field.value !== field.defaultValue;
  });
}

// The language switch (the form at the top of every page) leaves the page. What was typed in one
// of the page's forms and not yet sent goes with it, as the fields of a form a POST sent already
// do: in the switch's own body ("keep." and the field's name, never in an address), the switch
// leading to the form's action, whose page the console shows again filled in, in the new
// language. Where that cannot be done (a file chosen, two forms typed in, more than a form's body
// may hold), the official is asked first, in the page's language.
function keepWhatWasTyped(switcher) {
  switcher.addEventListener("submit", (event) => {
    const typed = Array.from(document.forms).filter(
      (form) => form !== switcher && !form.classList.contains("signout") && typedIn(form));
    if (typed.length === 0) return;
    let fields = null;
    let target = null;
    if (typed.length === 1) {
      target = new URL(typed[0].action, window.location.href);
      fields = [];
      for (const [name, value] of new FormData(typed[0])) {
        if (typeof value !== "string") {
          // A file input: one left empty is nothing to carry; a file chosen cannot be carried.
          if (value.name === "" && value.size === 0) continue;
          fields = null;
          break;
        }
        if (name !== "csrf" && value !== "") fields.push(["keep." + name, value]);
      }
      const limit = Number(switcher.getAttribute("data-max-bytes")) - 1024;
      if (target.origin !== window.location.origin ||
          (fields !== null && new URLSearchParams(fields).toString().length > limit)) {
        fields = null;
      }
    }
    if (fields === null) {
      if (!window.confirm(switcher.getAttribute("data-unsent"))) event.preventDefault();
      return;
    }
    switcher.querySelectorAll("input[name^='keep.']").forEach((input) => input.remove());
    switcher.elements.namedItem("back").value = target.pathname;
    for (const [name, value] of fields) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      switcher.appendChild(input);
    }
  });
}

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
  document.querySelectorAll("form.lang").forEach(keepWhatWasTyped);
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // After a refused form, the list of problems takes the focus, so that it is read first.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
