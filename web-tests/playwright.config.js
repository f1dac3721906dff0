// Browser tests of the parley workbench. They are started by
// crates/parley-server/tests/browser.rs, which starts a server on a fresh database and passes
// its address and tokens in PARLEY_WEB_* variables; they drive Debian's chromium.
const { defineConfig } = require("@playwright/test");

module.exports = defineConfig({
  testDir: ".",
  testMatch: /.*\.spec\.js/,
  // One worker: the specs share one server and record changes in order; the machine is small.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  outputDir: "../target/web-tests/results",
  reporter: [["list"]],
  use: {
    launchOptions: {
      executablePath: process.env.PARLEY_CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox"],
    },
    screenshot: "only-on-failure",
  },
});
