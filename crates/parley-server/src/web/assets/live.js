// parley workbench: optional live refresh. Every page reads without this script. It polls the
// negotiation's head (a cheap route) and, when it moves, fetches the page again and swaps the
// parts marked data-live, leaving forms (and what is typed in them) alone.
(function () {
  "use strict";
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  const body = document.body;
  const id = body.dataset.negotiation;
  let head = body.dataset.head;
  if (!id || !head) return;
  const notice = document.getElementById("live-notice");
  async function check() {
    try {
      const answer = await fetch("/n/" + encodeURIComponent(id) + "/head", { cache: "no-store", credentials: "same-origin" });
      if (!answer.ok) return;
      const now = (await answer.text()).trim();
      if (now === head) return;
      const page = await fetch(location.href, { cache: "no-store", credentials: "same-origin" });
      if (!page.ok) return;
      const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live]")) {
        const replacement = fresh.querySelector('[data-live="' + part.dataset.live + '"]');
        if (replacement) part.replaceWith(document.importNode(replacement, true));
      }
      head = now;
      if (notice) notice.textContent = "Updated: the record changed (event " + now.slice(0, 8) + ").";
    } catch (error) {
      // Offline or signed out: the page stays as it is.
    }
  }
  setInterval(check, 1500);
})();
