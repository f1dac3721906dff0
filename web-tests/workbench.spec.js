// The workbench in a real browser: accessibility, screenshots, confidentiality, recording with
// live updates, stale edits, and the as-of view against the API's status (the CLI's --json).
const { test, expect } = require("@playwright/test");
const { default: AxeBuilder } = require("@axe-core/playwright");
const path = require("node:path");
const { base, negotiation, tokens, shots, signedIn, pages } = require("./support");

test.describe.configure({ mode: "serial" });

test("signing in by link leaves no token in the address", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "public");
  expect(page.url()).toBe(`${base}/negotiations`);
  const cookies = await context.cookies();
  const session = cookies.find((cookie) => cookie.name === "parley_session");
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe("Strict");
  await context.close();
});

for (const viewer of ["mediator", "UA", "public"]) {
  test(`every page has no serious or critical accessibility violation (${viewer})`, async ({ browser }) => {
    test.setTimeout(180_000);
    const { context, page } = await signedIn(browser, viewer);
    for (const [name, url] of Object.entries({ negotiations: "/negotiations", ...pages })) {
      await page.goto(url);
      // The plots' thousands of sampled points are one picture (role="img", labelled): checking
      // each circle would take minutes and say nothing.
      const results = await new AxeBuilder({ page }).exclude(".plot svg *").analyze();
      const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(serious.map((v) => `${name}: ${v.id} ${v.help} (${v.nodes.length})`)).toEqual([]);
    }
    await context.close();
  });
}

test("screenshots of each page at 1280 and 375 px", async ({ browser }) => {
  for (const width of [1280, 375]) {
    const { context, page } = await signedIn(browser, "mediator", { viewport: { width, height: 900 } });
    for (const [name, url] of Object.entries(pages)) {
      await page.goto(url);
      await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
      // Readable at 375 px: the page itself does not scroll sideways (wide tables scroll inside).
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll("main *, header *")]
          .filter((element) => !element.closest(".scroll, .plot") && element.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(0, 5)
          .map((element) => `${element.tagName.toLowerCase()}.${element.className} ${Math.round(element.getBoundingClientRect().right)}`),
      );
      expect(wide, `${name} at ${width} px`).toEqual([]);
    }
    await context.close();
  }
});

test("the README's dashboard picture (the top of the page, small)", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "mediator", { viewport: { width: 1000, height: 640 } });
  await page.goto(pages.dashboard);
  // docs/images/dashboard.png is a copy of this file.
  await page.screenshot({ path: path.join(shots, "readme-dashboard.png") });
  await context.close();
});

test("the simulations page runs a session on the viewer's problem", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "mediator");
  await page.goto(`/n/${negotiation}/simulations`);
  await page.selectOption("#agent-0", "conceder");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await expect(page.locator("#result")).toBeVisible();
  await expect(page.locator("main")).toContainText(/Agreement in round|No agreement/);
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: path.join(shots, "simulations-1280.png"), fullPage: true });
  // A tournament as a server job: its page follows the job until it is done.
  await page.getByRole("button", { name: "Run the tournament as a server job" }).click();
  await expect(page).toHaveURL(/\/jobs\//);
  await expect(page.locator("main strong").first()).toHaveText("done", { timeout: 60_000 });
  await expect(page.locator("#result")).toBeVisible();
  await page.screenshot({ path: path.join(shots, "tournament-job-1280.png"), fullPage: true });
  await context.close();
});

test("the dashboard is usable by keyboard: skip link, then the as-of control", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "public");
  await page.goto(pages.dashboard);
  await page.keyboard.press("Tab");
  await expect(page.locator("a.skip")).toBeFocused();
  await page.keyboard.press("Enter");
  await page.locator("#as_of").focus();
  await page.locator("#as_of").selectOption("geneva");
  await expect(page).toHaveURL(/as_of=geneva/);
  await context.close();
});

/** Every workbench page reachable from the dashboard by links, as the context's session: the
 * HTML as served (through the context's cookies, without rendering, which keeps this quick). */
async function crawl(context, forbidden) {
  const seen = new Set([pages.dashboard]);
  const queue = [pages.dashboard];
  while (queue.length > 0) {
    const url = queue.shift();
    const answer = await context.request.get(base + url);
    expect(answer.status(), url).toBe(200);
    const html = await answer.text();
    for (const text of forbidden) expect(html.includes(text), `${text} on ${url}`).toBe(false);
    for (const match of html.matchAll(/href="([^"]*)"/g)) {
      const link = match[1].replaceAll("&amp;", "&");
      if (link.startsWith(`/n/${negotiation}`) && !seen.has(link)) {
        seen.add(link);
        queue.push(link);
      }
    }
  }
  return seen.size;
}

test("the public and another party never see a party's mediator-only red line", async ({ browser }) => {
  test.setTimeout(300_000);
  const uaOnly = ["ua-troop-floor", "troop_cap >= 800000", "at least 800,000"];
  for (const viewer of ["public", "RU"]) {
    const { context } = await signedIn(browser, viewer);
    const reached = await crawl(context, uaOnly.map((text) => text.replace(">", "&gt;")));
    expect(reached).toBeGreaterThan(20);
    await context.close();
  }
  // The strings are really there for the party itself.
  const { context, page } = await signedIn(browser, "UA");
  await page.goto(pages.item);
  expect(await page.content()).toContain("ua-troop-floor");
  await context.close();
});

test("the dashboard as of a past round equals the status as of it", async ({ browser, request }) => {
  const answer = await request.get(`${base}/api/v1/negotiations/${negotiation}/status?as_of=geneva`, {
    headers: { Authorization: `Bearer ${tokens.public}` },
  });
  const status = await answer.json();
  const { context, page } = await signedIn(browser, "public");
  await page.goto(`${pages.dashboard}?as_of=geneva`);
  const rows = page.locator("table.matrix tbody tr");
  await expect(rows).toHaveCount(status.items.length);
  const shown = await rows.evaluateAll((all) => all.map((row) => row.querySelector(".state").textContent.trim()));
  expect(shown).toEqual(status.items.map((item) => item.state));
  await expect(page.locator(".summary")).toContainText("geneva");
  await context.close();
});

test("a delegate's stance changes the item and a claim, and the mediator sees it without reloading", async ({ browser }) => {
  const mediator = await signedIn(browser, "mediator");
  // The page subscribes to the event stream (not the polling fallback).
  const subscribed = mediator.page.waitForResponse((answer) => answer.url().endsWith("/events/stream") && answer.status() === 200);
  await mediator.page.goto(pages.item);
  await subscribed;
  // The mediator sees RU's red lines, which already block item 6; UA holds none on it yet.
  await expect(mediator.page.locator("[data-live=item-state]")).not.toContainText("UA holds a red line");
  const mediatorClaims = await mediator.context.newPage();
  await mediatorClaims.goto(pages.claims);
  const claim = mediatorClaims.locator("li", { hasText: "UA's stance on item 6 is red-line" }).last();
  await expect(claim.locator(".verdict").nth(1)).toHaveText(/contradicted/);

  const ua = await signedIn(browser, "UA");
  await ua.page.goto(pages.item);
  await expect(ua.page.locator("[data-live=item-state]")).toContainText("open");
  await ua.page.selectOption("#stance-position", "red-line");
  await ua.page.fill("#stance-note", "Не підпишемо — 不签 — امضا نمی‌کنیم");
  await ua.page.click("text=Record the stance");
  await expect(ua.page).toHaveURL(new RegExp(`${pages.item}$`));
  await expect(ua.page.locator("[data-live=item-state]")).toContainText("blocked");

  // The mediator's open pages change without a reload.
  await expect(mediator.page.locator("[data-live=item-state]")).toContainText("UA holds a red line on this item");
  await expect(mediator.page.locator("[data-live=history]")).toContainText("امضا نمی‌کنیم");
  await expect(mediator.page.locator("#live-notice")).toContainText("Updated");
  await expect(claim.locator(".verdict").nth(1)).toHaveText(/consistent/);
  await mediator.context.close();
  await ua.context.close();
});

test("a stale edit is refused with what changed, and what was typed is kept", async ({ browser }) => {
  const ru = await signedIn(browser, "RU", { javaScriptEnabled: false });
  await ru.page.goto(pages.item);
  const ua = await signedIn(browser, "UA");
  await ua.page.goto(pages.item);
  await ua.page.selectOption("#stance-position", "opposes");
  await ua.page.click("text=Record the stance");
  await expect(ua.page.locator("[data-live=item-state]")).toBeVisible();

  await ru.page.selectOption("#stance-position", "accepts");
  await ru.page.fill("#stance-note", "Согласны с поправками");
  await ru.page.click("text=Record the stance");
  await expect(ru.page.locator(".problem")).toContainText("the record changed after this page was shown");
  await expect(ru.page.locator(".problem")).toContainText("UA");
  await expect(ru.page.locator("#stance-note")).toHaveValue("Согласны с поправками");
  await ru.page.screenshot({ path: path.join(shots, "stale-edit-1280.png"), fullPage: true });
  // Sending it again records it on top of UA's change.
  await ru.page.click("text=Record the stance");
  await expect(ru.page).toHaveURL(new RegExp(`${pages.item}$`));
  await expect(ru.page.locator("[data-live=history]")).toContainText("Согласны с поправками");
  await ru.context.close();
  await ua.context.close();
});
