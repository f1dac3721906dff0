//! `parley serve` (the HTTP server of `parley-server`) and `parley token` (its access tokens).

use std::io::Write;

use anyhow::Result;
use parley_service::ServiceError;
use parley_store::{NewToken, Token, open_store};

use crate::output::{Paint, Table, write_json};
use crate::{BadInput, ServeArgs, TokenArgs, TokenCommand};

/// The keywords a token's viewer may be besides a party id.
const ROLES: [&str; 3] = ["admin", "mediator", "public"];

pub fn serve(args: ServeArgs, out: &mut dyn Write) -> Result<u8> {
    // Every line logged is written before `serve` returns, whatever it returns.
    let _flush = init_logging();
    let demo = if args.demo { Some(tempfile::tempdir()?) } else { None };
    let db = match &demo {
        Some(dir) => dir.path().join("parley.db").display().to_string(),
        None => args.db.clone(),
    };
    let settings = settings(&args, demo.as_ref().map(tempfile::TempDir::path))?;
    let state = parley_server::AppState::open(&db).map_err(ServiceError::store)?.with_settings(settings);
    let listener = std::net::TcpListener::bind(&args.bind).map_err(|error| BadInput(format!("--bind {}: {error}", args.bind)))?;
    let url = format!("http://{}", listener.local_addr()?);
    writeln!(out, "parley serve: {url} (database {})", parley_store::postgres::redact(&db))?;
    if demo.is_some() {
        demo_tokens(&db, &url, out)?;
    }
    out.flush()?;
    tracing::info!(url = %url, "listening");
    parley_server::serve(listener, state)?;
    // The temporary database of `--demo` goes with `demo` here, after the last request.
    drop(demo);
    Ok(0)
}

/// The GENIUS domains bundled with `--demo` (`testdata/negmas-generated`, written by NegMAS):
/// (folder, file, text), embedded so that the demo needs no file beside the binary.
const DEMO_DOMAINS: &[(&str, &str, &str)] = &[
    ("gen2p_1e3", "gen2p_1e3.xml", include_str!("../../../testdata/negmas-generated/gen2p_1e3/gen2p_1e3.xml")),
    ("gen2p_1e3", "gen2p_1e3_party1.xml", include_str!("../../../testdata/negmas-generated/gen2p_1e3/gen2p_1e3_party1.xml")),
    ("gen2p_1e3", "gen2p_1e3_party2.xml", include_str!("../../../testdata/negmas-generated/gen2p_1e3/gen2p_1e3_party2.xml")),
    ("gen3p_1e3", "gen3p_1e3.xml", include_str!("../../../testdata/negmas-generated/gen3p_1e3/gen3p_1e3.xml")),
    ("gen3p_1e3", "gen3p_1e3_party1.xml", include_str!("../../../testdata/negmas-generated/gen3p_1e3/gen3p_1e3_party1.xml")),
    ("gen3p_1e3", "gen3p_1e3_party2.xml", include_str!("../../../testdata/negmas-generated/gen3p_1e3/gen3p_1e3_party2.xml")),
    ("gen3p_1e3", "gen3p_1e3_party3.xml", include_str!("../../../testdata/negmas-generated/gen3p_1e3/gen3p_1e3_party3.xml")),
    ("gen2p_1e4", "gen2p_1e4.xml", include_str!("../../../testdata/negmas-generated/gen2p_1e4/gen2p_1e4.xml")),
    ("gen2p_1e4", "gen2p_1e4_party1.xml", include_str!("../../../testdata/negmas-generated/gen2p_1e4/gen2p_1e4_party1.xml")),
    ("gen2p_1e4", "gen2p_1e4_party2.xml", include_str!("../../../testdata/negmas-generated/gen2p_1e4/gen2p_1e4_party2.xml")),
];

/// The server's settings from the flags; with `--demo`, the bundled domains written under `demo`.
fn settings(args: &ServeArgs, demo: Option<&std::path::Path>) -> Result<parley_server::state::Settings> {
    if let Some(url) = &args.public_url {
        let authority = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        if authority.is_none_or(|authority| authority.trim_end_matches('/').is_empty() || authority.trim_end_matches('/').contains('/')) {
            return Err(BadInput(format!("--public-url {url}: expected http(s)://HOST[:PORT], without a path")).into());
        }
    }
    let mut directories = args.domains.clone();
    if let Some(demo) = demo {
        let bundled = demo.join("domains");
        for (folder, file, text) in DEMO_DOMAINS {
            std::fs::create_dir_all(bundled.join(folder))?;
            std::fs::write(bundled.join(folder).join(file), text)?;
        }
        directories.push(bundled);
    }
    let domains = parley_server::domains::Catalogue::scan(&directories).map_err(BadInput)?;
    Ok(parley_server::state::Settings {
        public_url: args.public_url.as_ref().map(|url| url.trim_end_matches('/').to_owned()),
        trust_proxy: args.trust_proxy,
        domains,
    })
}

/// Logs to standard error (in batches, see [`crate::logs`]): requests and failures, never a
/// token or a password.
fn init_logging() -> Option<crate::logs::Flush> {
    use std::io::IsTerminal;
    let subscriber =
        || tracing_subscriber::fmt().with_ansi(std::io::stderr().is_terminal()).with_max_level(tracing::Level::INFO).with_target(false);
    match crate::logs::BatchedStderr::start() {
        Some((writer, flush)) => subscriber().with_writer(writer).try_init().ok().map(|()| flush),
        None => {
            let _ = subscriber().with_writer(std::io::stderr).try_init();
            None
        }
    }
}

/// Imports the bundled scenario into the demo database and prints a token and sign-in link per
/// role: the admin, the mediator and each party may write, the public only reads.
fn demo_tokens(db: &str, url: &str, out: &mut dyn Write) -> Result<()> {
    let negotiation = crate::input::load(None)?;
    let mut store = open_store(db, true).map_err(ServiceError::store)?;
    store.import(&negotiation, None).map_err(ServiceError::store)?;
    writeln!(out, "negotiation `{}`: one token per role (shown once; the database is removed on exit)", negotiation.id)?;
    let mut viewers: Vec<(String, bool)> = vec![("admin".to_owned(), true), ("mediator".to_owned(), true)];
    viewers.extend(negotiation.parties.iter().filter(|party| party.id != "mediator").map(|party| (party.id.clone(), true)));
    viewers.push(("public".to_owned(), false));
    for (viewer, write) in viewers {
        let new = NewToken { negotiation: negotiation.id.clone(), viewer: viewer.clone(), write, label: format!("demo {viewer}") };
        let issued = store.create_token(&new).map_err(ServiceError::store)?;
        let access = if write { "writes" } else { "reads" };
        writeln!(out, "{viewer:<10} {access:<6} {}  {url}/sign-in?token={}", issued.secret, issued.secret)?;
    }
    Ok(())
}

pub fn token(args: TokenArgs, out: &mut dyn Write) -> Result<u8> {
    match args.command {
        TokenCommand::Create { store, negotiation, viewer, write, label, json } => {
            let mut opened = open_store(&store.db, true).map_err(ServiceError::store)?;
            check_viewer(&mut *opened, &negotiation, &viewer)?;
            let label = label.unwrap_or_else(|| viewer.clone());
            let issued = opened.create_token(&NewToken { negotiation, viewer, write, label }).map_err(ServiceError::store)?;
            if json {
                write_json(out, &serde_json::json!({"token": issued.secret, "id": issued.token.id}))?;
            } else {
                writeln!(out, "{}", issued.secret)?;
            }
        }
        TokenCommand::List { store, negotiation, json } => {
            let mut opened = open_store(&store.db, false).map_err(ServiceError::store)?;
            let tokens = opened.tokens(negotiation.as_deref()).map_err(ServiceError::store)?;
            if json {
                write_json(out, &tokens)?;
            } else {
                list(&tokens, out)?;
            }
        }
        TokenCommand::Revoke { store, id, json } => {
            let mut opened = open_store(&store.db, false).map_err(ServiceError::store)?;
            let revoked = opened.revoke_token(&id).map_err(ServiceError::store)?;
            if json {
                write_json(out, &serde_json::json!({"id": id, "revoked": revoked}))?;
            } else if revoked {
                writeln!(out, "revoked {id}")?;
            }
            if !revoked {
                return Err(BadInput(format!("no token `{id}` to revoke (see `parley token list`)")).into());
            }
        }
    }
    Ok(0)
}

/// A token's viewer is a role keyword or a party of its negotiation (when it holds events).
fn check_viewer(store: &mut dyn parley_store::Store, negotiation: &str, viewer: &str) -> Result<()> {
    if ROLES.contains(&viewer) {
        return Ok(());
    }
    if store.head(negotiation).map_err(ServiceError::store)?.is_none() {
        return Err(BadInput(format!(
            "--negotiation {negotiation}: the database holds no such negotiation yet, so --as must be admin, mediator or public"
        ))
        .into());
    }
    let recorded = store.negotiation(negotiation, None).map_err(ServiceError::store)?;
    if recorded.party(viewer).is_none() {
        let parties: Vec<&str> = recorded.parties.iter().map(|party| party.id.as_str()).collect();
        return Err(BadInput(format!("--as {viewer}: expected admin, mediator, public or a party ({})", parties.join(", "))).into());
    }
    Ok(())
}

fn list(tokens: &[Token], out: &mut dyn Write) -> Result<()> {
    let mut table = Table::new(&["id", "negotiation", "viewer", "write", "label", "created", "revoked"]);
    for token in tokens {
        let cells = [
            token.id.clone(),
            token.negotiation.clone(),
            token.viewer.clone(),
            if token.write { "yes" } else { "no" }.to_owned(),
            parley_core::display::escape_controls(&token.label).into_owned(),
            token.created_at.clone(),
            token.revoked_at.clone().unwrap_or_else(|| "-".to_owned()),
        ];
        table.row(cells.into_iter().map(|cell| (cell, None)).collect());
    }
    table.write(out, Paint::new(crate::ColorChoice::Never))?;
    Ok(())
}
