// What the specs share: the server under test and signing in as a role.
const path = require("node:path");
const fs = require("node:fs");

const base = process.env.PARLEY_WEB_URL;
const negotiation = process.env.PARLEY_WEB_NEGOTIATION;
const tokens = JSON.parse(process.env.PARLEY_WEB_TOKENS || "{}");
if (!base || !negotiation) {
  throw new Error("run through `cargo test -p parley-server --test browser`, which starts the server");
}

const shots = path.join(__dirname, "..", "target", "web-tests", "screenshots");
fs.mkdirSync(shots, { recursive: true });

/** A new browser context signed in as `viewer` by the demo's sign-in link. */
async function signedIn(browser, viewer, options = {}) {
  const context = await browser.newContext({ baseURL: base, ...options });
  const page = await context.newPage();
  await page.goto(`/sign-in?token=${tokens[viewer]}`);
  return { context, page };
}

/** The workbench's pages of the negotiation, by name. */
const pages = {
  dashboard: `/n/${negotiation}`,
  item: `/n/${negotiation}/items/6`,
  timeline: `/n/${negotiation}/timeline`,
  claims: `/n/${negotiation}/claims`,
  analysis: `/n/${negotiation}/analysis`,
  simulations: `/n/${negotiation}/simulations`,
};

module.exports = { base, negotiation, tokens, shots, signedIn, pages };
