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
  const body = document.body;
  const id = body.dataset.negotiation;
  let head = body.dataset.head;
  if (!id || !head) return;
  const base = "/n/" + encodeURIComponent(id);
  const notice = document.getElementById("live-notice");
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
