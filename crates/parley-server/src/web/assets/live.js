// parley workbench: optional live refresh. Every page reads without this script. The page
// subscribes to the negotiation's event stream (the API's events/stream, through the session's
// cookie: only events this viewer may see arrive); on an event it fetches the page's address
// again and swaps the parts marked data-live, leaving forms (and what is typed in them) alone.
// Where the stream cannot be opened it polls the head instead.
(function () {
  "use strict";
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  if (document.querySelector("[data-refresh]")) setTimeout(() => location.reload(), 1000);
  // The as-of slider: its label follows it at once; when it settles, the page as of that stop
  // replaces this one's main part in place (the address follows, and the slider keeps focus).
  function stopOf(range) {
    return document.querySelector('#' + range.getAttribute("list") + ' option[value="' + range.value + '"]');
  }
  let settle = null;
  // The address whose page is shown (a jump to an anchor, such as the skip link's, keeps it).
  let shown = location.pathname + location.search;
  document.addEventListener("input", (event) => {
    const range = event.target;
    if (!(range instanceof HTMLInputElement) || !range.hasAttribute("data-asof")) return;
    const stop = stopOf(range);
    const output = document.querySelector('output[for="' + range.id + '"]');
    if (stop && output) output.textContent = stop.label;
    if (stop) range.setAttribute("aria-valuetext", stop.label);
  });
  document.addEventListener("change", (event) => {
    const range = event.target;
    if (!(range instanceof HTMLInputElement) || !range.hasAttribute("data-asof")) return;
    clearTimeout(settle);
    settle = setTimeout(() => moveTo(range), 250);
  });
  async function moveTo(range) {
    const stop = stopOf(range);
    if (!stop) return;
    const url = new URL(range.form.getAttribute("action"), location.href);
    url.searchParams.set("as_of", stop.dataset.asOf);
    try {
      const page = await fetch(url, { cache: "no-store", credentials: "same-origin" });
      if (!page.ok || page.redirected) { location.assign(url); return; }
      const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
      const main = document.querySelector("main");
      const replacement = fresh.querySelector("main");
      if (!main || !replacement) { location.assign(url); return; }
      main.replaceWith(document.importNode(replacement, true));
      document.title = fresh.title;
      history.pushState(null, "", url);
      shown = location.pathname + location.search;
      const again = document.getElementById(range.id);
      if (again) again.focus();
    } catch (error) {
      location.assign(url);
    }
  }
  window.addEventListener("popstate", () => {
    if (location.pathname + location.search !== shown) location.reload();
  });
  const body = document.body;
  const id = body.dataset.negotiation;
  let head = body.dataset.head;
  if (!id || !head) return;
  const base = "/n/" + encodeURIComponent(id);
  let busy = false;
  let again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const page = await fetch(location.href, { cache: "no-store", credentials: "same-origin" });
      if (page.ok) {
        const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
        for (const part of document.querySelectorAll("[data-live]")) {
          const replacement = fresh.querySelector('[data-live="' + part.dataset.live + '"]');
          if (replacement) part.replaceWith(document.importNode(replacement, true));
        }
        head = fresh.body.dataset.head || head;
        const notice = document.getElementById("live-notice");
        if (notice) notice.textContent = "Updated: the record changed.";
      }
    } catch (error) {
      // Offline or signed out: the page stays as it is.
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  function poll() {
    setInterval(async () => {
      try {
        const answer = await fetch(base + "/head", { cache: "no-store", credentials: "same-origin" });
        if (answer.ok && (await answer.text()).trim() !== head) refresh();
      } catch (error) { /* keep polling */ }
    }, 2000);
  }
  if (!("EventSource" in window)) { poll(); return; }
  const stream = new EventSource(base + "/events/stream");
  let opened = false;
  stream.addEventListener("open", () => { opened = true; });
  stream.addEventListener("event", () => refresh());
  stream.addEventListener("error", () => {
    if (!opened) { stream.close(); poll(); }
  });
})();
