//! The workbench in a real browser: starts a server on a free loopback port on a fresh SQLite
//! database holding the bundled 2025 scenario (and the bundled GENIUS domains in its catalogue), and runs the Playwright specs of `web-tests/`
//! against it (Debian's chromium). Builds nothing extra.
//!
//! When `web-tests/node_modules` (from `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci`) or chromium
//! is missing, the test says so on stderr and passes; `.ci/run` installs both, and sets
//! `PARLEY_REQUIRE_BROWSER=1` so that there a missing browser fails instead.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use support::{Database, Server};

fn chromium() -> PathBuf {
    std::env::var_os("PARLEY_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

#[test]
fn the_workbench_passes_its_browser_specs() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web-tests");
    let missing: Vec<String> = [root.join("node_modules/@playwright/test"), root.join("node_modules/@axe-core/playwright"), chromium()]
        .into_iter()
        .filter(|path| !path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if !missing.is_empty() {
        let notice = format!(
            "SKIPPED the browser specs: missing {} (run `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci` in web-tests/ and \
             `apt-get install -y --no-install-recommends chromium fonts-liberation`)\n",
            missing.join(", ")
        );
        let _ = std::io::stderr().write_all(notice.as_bytes());
        assert!(std::env::var_os("PARLEY_REQUIRE_BROWSER").is_none(), "{notice}");
        return;
    }
    // The GENIUS domains bundled in the repository, as `serve --domains testdata/negmas-generated`.
    let domains = parley_server::domains::Catalogue::scan(&[root.join("../testdata/negmas-generated")]).unwrap();
    let settings = parley_server::state::Settings { domains, ..Default::default() };
    let server = Server::start_with(Database::sqlite(), &support::scenario_text("ukraine-2025.toml"), settings);
    let tokens = serde_json::to_string(&server.tokens).unwrap();
    let status = Command::new("npx")
        .args(["--no-install", "playwright", "test"])
        .current_dir(&root)
        .env("PARLEY_WEB_URL", format!("http://{}", server.address))
        .env("PARLEY_WEB_NEGOTIATION", &server.negotiation)
        .env("PARLEY_WEB_TOKENS", tokens)
        .env("PARLEY_CHROMIUM", chromium())
        .status()
        .expect("npx runs");
    assert!(status.success(), "the browser specs failed (screenshots and traces under target/web-tests/)");
}
