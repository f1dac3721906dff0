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

test("the simulations page runs a session on a GENIUS domain of the server's catalogue", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "public");
  await page.goto(pages.simulations);
  await page.selectOption("#domain", "gen3p_1e3");
  await page.getByRole("button", { name: "Choose" }).click();
  await expect(page).toHaveURL(/domain=gen3p_1e3/);
  // One agent per profile of the domain.
  await expect(page.locator("select[id^=agent-]")).toHaveCount(3);
  await page.selectOption("#agent-2", "conceder");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await expect(page.locator("#result")).toBeVisible();
  await expect(page).toHaveURL(/domain=gen3p_1e3/);
  const results = await new AxeBuilder({ page }).exclude(".plot svg *").analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: path.join(shots, "simulations-domain-1280.png"), fullPage: true });
  await context.close();
});

test("a sign-in link opened from another site asks first, and its button signs in", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  // A page of no origin of ours links to the demo's sign-in link (a cross-site navigation).
  await page.setContent(`<a id="link" href="${base}/sign-in?token=${tokens.UA}">sign in</a>`);
  await page.click("#link");
  await expect(page.locator("h1")).toHaveText("Sign in?");
  const session = async () => (await context.cookies()).find((cookie) => cookie.name === "parley_session");
  expect(await session()).toBeUndefined();
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: path.join(shots, "sign-in-confirm-1280.png"), fullPage: true });
  await page.getByRole("button", { name: "Sign in as UA" }).click();
  await expect(page).toHaveURL(`${base}/negotiations`);
  expect(await session()).toBeDefined();
  // The sign-in form (its pre-session token and cookie) signs in too.
  await context.clearCookies();
  await page.goto("/sign-in");
  const form = await new AxeBuilder({ page }).analyze();
  expect(form.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  await page.fill("#token", tokens.public);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${base}/negotiations`);
  await context.close();
});

test("the dashboard is usable by keyboard: skip link, then the as-of slider", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "public");
  await page.goto(pages.dashboard);
  await page.keyboard.press("Tab");
  await expect(page.locator("a.skip")).toBeFocused();
  await page.keyboard.press("Enter");
  // The slider is the first control of the page's content, reached by Tab from the skip target.
  await page.keyboard.press("Tab");
  const slider = page.locator("#as_of");
  await expect(slider).toBeFocused();
  await expect(page.locator("#as_of_label")).toHaveText("now");
  // One step back from now: the last dated stop, which the label, the page and its address show.
  const stops = page.locator("#as_of_stops option");
  const last = stops.nth((await stops.count()) - 2);
  const stop = await last.getAttribute("data-as-of");
  await page.keyboard.press("ArrowLeft");
  await expect(page.locator("#as_of_label")).toHaveText(await last.getAttribute("label"));
  await expect(page).toHaveURL(new RegExp(`as_of=${stop}$`));
  await expect(page.locator(".summary")).not.toContainText("As of now");
  // The page moved in place and the slider kept the focus: Home goes to the start.
  await expect(page.locator("#as_of")).toBeFocused();
  await page.keyboard.press("Home");
  await expect(page).toHaveURL(/as_of=start$/);
  await expect(page.locator("#as_of")).toBeFocused();
  // Back returns to the previous moment.
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`as_of=${stop}$`));
  await context.close();
});

test("without JavaScript the as-of slider is a form: the keys move it, Show moves the page", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "public", { javaScriptEnabled: false });
  await page.goto(pages.dashboard);
  await page.locator("#as_of").focus();
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowRight");
  const second = await page.locator("#as_of_stops option").nth(1).getAttribute("data-as-of");
  await page.locator("form.slider").getByRole("button", { name: "Show" }).click();
  // ?at=1 is answered with the stop's own name in the address.
  await expect(page).toHaveURL(new RegExp(`as_of=${second}$`));
  await expect(page.locator("#as_of")).toHaveValue("1");
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

test("the as-of slider shows the status of a past round equal to `parley status --as-of`", async ({ browser, request }) => {
  // The API's status equals `parley status --json --viewer public --as-of geneva`
  // (crates/parley-cli/tests/serve.rs).
  const answer = await request.get(`${base}/api/v1/negotiations/${negotiation}/status?as_of=geneva`, {
    headers: { Authorization: `Bearer ${tokens.public}` },
  });
  const status = await answer.json();
  const { context, page } = await signedIn(browser, "public");
  await page.goto(pages.dashboard);
  // Drive the slider itself: set it to the stop of the round geneva, as a user dragging it would.
  const index = await page.locator('#as_of_stops option[data-as-of="geneva"]').getAttribute("value");
  await page.locator("#as_of").fill(index);
  await expect(page.locator("#as_of_label")).toContainText("geneva");
  await expect(page).toHaveURL(/as_of=geneva$/);
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
  const ruElsewhere = await signedIn(browser, "RU", { javaScriptEnabled: false });
  await ruElsewhere.page.goto(pages.item);
  const ua = await signedIn(browser, "UA");
  await ua.page.goto(pages.item);
  await ua.page.selectOption("#stance-position", "opposes");
  await ua.page.click("text=Record the stance");
  await expect(ua.page.locator("[data-live=item-state]")).toBeVisible();
  // Another party's stance is not what RU's stance depends on (docs/api.md, "Preconditions"):
  // RU's other page still records; that changes RU's own stance, which makes the first page stale.
  await ruElsewhere.page.selectOption("#stance-position", "undecided");
  await ruElsewhere.page.click("text=Record the stance");
  await expect(ruElsewhere.page).toHaveURL(new RegExp(`${pages.item}$`));
  await ruElsewhere.context.close();

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
