//! The commands over a database: import, log, verify, keygen, and reading a negotiation back.

use std::io::Write;

use anyhow::{Context, Result};
use parley_store::chain::{hex, signing_key};
use parley_store::{EventStore, StoreError};

use crate::input::{load as load_scenario, read_text};
use crate::output::{counted, write_json};
use crate::{BadInput, ExportArgs, ImportArgs, KeygenArgs, LogArgs, VerifyArgs};

/// The database used when `--db` is not given: a file in the working directory.
pub const DEFAULT_DB: &str = "parley.db";

/// Maps a store error to the CLI's exit codes: the user's input (2) or a failure (1).
fn failed(error: StoreError) -> anyhow::Error {
    parley_service::ServiceError::store(error).into()
}

/// Opens `--db`: a SQLite file path or a `postgres://` URL.
fn open(db: &str, create: bool) -> Result<Box<dyn EventStore>> {
    Ok(parley_service::open_store(db, create)?)
}

/// Opens `--db` to read it, read-only when it cannot be written.
fn open_read(db: &str) -> Result<Box<dyn EventStore>> {
    Ok(parley_service::open_read(db)?)
}

/// Picks the negotiation: the one named (which must be there), or the only one the database holds.
fn choose(store: &mut dyn EventStore, wanted: Option<&str>) -> Result<String> {
    Ok(parley_service::choose(store, wanted)?)
}

pub fn import(args: ImportArgs, out: &mut dyn Write) -> Result<u8> {
    let negotiation = load_scenario(Some(&args.file))?;
    let signer = match &args.sign {
        Some(spec) => {
            let (party, file) = spec.split_once('=').ok_or_else(|| BadInput(format!("--sign {spec}: expected PARTY=KEYFILE")))?;
            if negotiation.party(party).is_none() {
                return Err(BadInput(format!("--sign {spec}: `{party}` is not a party of `{}`", negotiation.id)).into());
            }
            // Bounded like every input: `--sign UA=/dev/zero` must not read forever.
            let text = read_text(std::path::Path::new(file)).map_err(|error| BadInput(format!("--sign {spec}: {error}")))?;
            let key =
                signing_key(&text).ok_or_else(|| BadInput(format!("{file}: not a key written by `parley keygen` (64 hex digits)")))?;
            Some((party.to_owned(), key))
        }
        None => None,
    };
    let mut store = open(&args.store.db, true)?;
    let parley_service::Imported { appended: stored, head } =
        parley_service::import(&mut *store, &negotiation, signer.as_ref().map(|(party, key)| (party.as_str(), key)))?;
    let count = stored.len();
    let signed = stored.iter().filter(|event| event.signature.is_some()).count();
    if args.json {
        let summary = serde_json::json!({
            "db": store.location(),
            "negotiation": negotiation.id,
            "appended": count,
            "signed": signed,
            "first": stored.first().map(|event| event.seq),
            "head": head,
        });
        write_json(out, &summary)?;
    } else if count == 0 {
        writeln!(
            out,
            "{}: `{}` is up to date ({}); nothing appended",
            store.location(),
            negotiation.id,
            counted(head as usize, "event", "events")
        )?;
    } else {
        let first = stored.first().map_or(0, |event| event.seq);
        let last = stored.last().map_or(0, |event| event.seq);
        let range = if first == last { format!("#{first}") } else { format!("#{first}–#{last}") };
        writeln!(
            out,
            "{}: appended {} to `{}` ({range}, {signed} signed)",
            store.location(),
            counted(count, "event", "events"),
            negotiation.id
        )?;
    }
    Ok(0)
}

pub fn log(args: LogArgs, out: &mut dyn Write) -> Result<u8> {
    if let Some(kind) = args.kind.as_deref().filter(|kind| !parley_store::event::KINDS.contains(kind)) {
        let known = parley_store::event::KINDS.join(", ");
        return Err(BadInput(format!("--kind {kind}: no such event kind (expected one of {known})")).into());
    }
    let mut store = open_read(&args.store.db)?;
    let id = choose(&mut *store, args.negotiation.as_deref())?;
    let events = store.events(&id).map_err(failed)?;
    let view = parley_service::LogView::of(&mut *store, &id, &events, &args.viewer)?;
    let visible = view.visible(&events, args.kind.as_deref());
    if *view.viewer() == parley_core::visibility::Viewer::Everything {
        for event in visible {
            if args.json {
                writeln!(out, "{}", serde_json::to_string(event)?)?;
            } else {
                let mark = if event.signature.is_some() { "signed" } else { "" };
                let hash = event.hash.get(..12).unwrap_or(&event.hash);
                log_line(out, &format!("#{}", event.seq), event, mark, hash)?;
            }
        }
        return Ok(0);
    }
    if args.json {
        for viewed in view.redacted(&visible) {
            writeln!(out, "{}", serde_json::to_string(&viewed)?)?;
        }
    } else {
        for event in visible {
            log_line(out, "-", event, "", "-")?;
        }
    }
    Ok(0)
}

fn log_line(out: &mut dyn Write, number: &str, event: &parley_store::Event, mark: &str, hash: &str) -> Result<()> {
    writeln!(
        out,
        "{:<7} {}  {:<10} {:<6} {:<11} {:<28} {:<6} {}",
        number,
        parley_core::display::escape_controls(&event.recorded_at),
        parley_core::display::escape_controls(&event.actor),
        event.op.keyword(),
        parley_core::display::escape_controls(&event.kind),
        crate::output::clip(&parley_core::display::escape_controls(&event.key), 28),
        mark,
        hash
    )?;
    Ok(())
}

pub fn export(args: ExportArgs, out: &mut dyn Write) -> Result<u8> {
    let mut store = open_read(&args.store.db)?;
    let id = choose(&mut *store, args.negotiation.as_deref())?;
    let parley_service::Exported { event, viewer, text } = parley_service::export(&mut *store, &id, args.up_to, &args.viewer)?;
    match &args.output {
        None => out.write_all(text.as_bytes())?,
        Some(path) => {
            crate::files::write_output(path, text.as_bytes())?;
            if args.json {
                let summary = serde_json::json!({
                    "db": store.location(),
                    "negotiation": id,
                    "event": event,
                    "viewer": viewer.to_string(),
                    "file": path.display().to_string(),
                    "bytes": text.len(),
                });
                write_json(out, &summary)?;
            } else {
                writeln!(out, "wrote {} (`{id}` as of event #{event}, {})", path.display(), counted(text.len(), "byte", "bytes"))?;
            }
        }
    }
    Ok(0)
}

pub fn verify(args: VerifyArgs, out: &mut dyn Write) -> Result<u8> {
    let statement = args.against.as_deref().map(crate::input::read_statement).transpose()?;
    let mut store = open_read(&args.store.db)?;
    let reports = parley_service::verify(&mut *store, statement.as_ref())?;
    let all_good = reports.iter().all(|report| report.ok);
    if args.json {
        let mut summary = serde_json::json!({"db": store.location(), "ok": all_good, "negotiations": reports});
        if let Some(statement) = &statement {
            summary["against"] = serde_json::json!({
                "negotiation": statement.negotiation,
                "seq": statement.seq,
                "hash": statement.hash,
                "signers": statement.signers(),
                "held": all_good,
            });
        }
        write_json(out, &summary)?;
    } else {
        if reports.is_empty() {
            writeln!(out, "{}: no negotiations recorded", store.location())?;
        }
        for report in &reports {
            match (&report.head, report.first_bad_event, &report.reason) {
                (Some(head), ..) => writeln!(
                    out,
                    "ok   {}: {}, {} signed, {}, head {head}",
                    report.negotiation,
                    counted(report.events, "event", "events"),
                    report.signed.unwrap_or(0),
                    counted(report.checkpoints.unwrap_or(0), "checkpoint", "checkpoints")
                )?,
                (None, seq, reason) => {
                    writeln!(out, "BAD  {}: event #{}: {}", report.negotiation, seq.unwrap_or(0), reason.as_deref().unwrap_or(""))?
                }
            }
        }
    }
    if let Some(statement) = statement.as_ref().filter(|_| all_good && !args.json) {
        writeln!(out, "ok   {}: holds the head #{} signed by {}", statement.negotiation, statement.seq, statement.signers().join(", "))?;
    }
    Ok(if all_good { 0 } else { 3 })
}

pub fn keygen(args: KeygenArgs, out: &mut dyn Write) -> Result<u8> {
    // The key is a party's: an empty or blank id names nobody.
    if args.party.trim().is_empty() {
        return Err(BadInput("keygen: the party id is empty (expected the id of the party the key signs for)".to_owned()).into());
    }
    let mut secret = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| std::io::Read::read_exact(&mut random, &mut secret))
        .context("reading /dev/urandom for a new key")?;
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&args.output).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::Error::new(BadInput(format!("{} already exists; not overwriting a key", args.output.display())))
        } else {
            anyhow::Error::new(error).context(format!("creating {}", args.output.display()))
        }
    })?;
    writeln!(file, "{}", hex(&secret))?;
    file.sync_all()?;
    let public = hex(&key.verifying_key().to_bytes());
    if args.json {
        write_json(
            out,
            &serde_json::json!({"party": args.party, "public_key": public, "secret_key_file": args.output.display().to_string()}),
        )?;
    } else {
        writeln!(out, "wrote {}'s secret key to {} (keep it private)\npublic key: {public}", args.party, args.output.display())?;
    }
    Ok(0)
}
