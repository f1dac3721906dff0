//! The commands over a party's signing key and the log's head: `key rotate`, `key revoke`, `head`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use ed25519_dalek::SigningKey;
use parley_store::chain::signing_key;

use crate::input::{read_statement, read_text};
use crate::output::write_json;
use crate::{BadInput, HeadArgs, KeyAction, KeyArgs};

/// A secret key file written by `parley keygen`.
pub fn read_key(file: &Path) -> Result<SigningKey> {
    // Through the one bounded reader: a key named as /dev/zero or a FIFO must not read forever.
    let text = read_text(file)?;
    Ok(signing_key(&text).ok_or_else(|| BadInput(format!("{}: not a key written by `parley keygen` (64 hex digits)", file.display())))?)
}

/// `SIGNER=KEYFILE`.
fn signer(spec: &str) -> Result<(String, SigningKey)> {
    let (name, file) = spec.split_once('=').ok_or_else(|| BadInput(format!("--sign {spec}: expected SIGNER=KEYFILE")))?;
    if name.is_empty() {
        return Err(BadInput(format!("--sign {spec}: the signer has no name")).into());
    }
    Ok((name.to_owned(), read_key(Path::new(file))?))
}

pub fn key(args: KeyArgs, out: &mut dyn Write) -> Result<u8> {
    let mut store = parley_service::open_store(&args.store.db, false)?;
    let id = parley_service::choose(&mut *store, args.negotiation.as_deref())?;
    let (party, current, change) = match &args.action {
        KeyAction::Rotate { party, old, new } => {
            let (old, new) = (read_key(old)?, read_key(new)?);
            (party, old, parley_service::KeyChange::Rotate { new: Box::new(new) })
        }
        KeyAction::Revoke { party, key } => (party, read_key(key)?, parley_service::KeyChange::Revoke),
    };
    let parley_service::KeyChanged { event: seq, public_key: new_public } =
        parley_service::change_key(&mut *store, &id, party, &current, change)?;
    if args.json {
        write_json(
            out,
            &serde_json::json!({"negotiation": id, "party": party, "event": seq, "public_key": new_public, "revoked": new_public.is_none()}),
        )?;
    } else if let Some(public) = new_public {
        writeln!(out, "{}: `{party}` signs with {public} from event #{seq} on (rotated in `{id}`)", store.location())?;
    } else {
        writeln!(out, "{}: `{party}` revoked its key at event #{seq}: nothing more is recorded as its own in `{id}`", store.location())?;
    }
    Ok(0)
}

pub fn head(args: HeadArgs, out: &mut dyn Write) -> Result<u8> {
    let (name, key) = signer(&args.sign)?;
    let statement = match &args.countersign {
        Some(file) => {
            let mut statement = read_statement(file)?;
            statement.countersign(&name, &key).map_err(|error| BadInput(format!("{}: {error}", file.display())))?;
            statement
        }
        None => {
            let mut store = parley_service::open_read(&args.store.db)?;
            let id = parley_service::choose(&mut *store, args.negotiation.as_deref())?;
            parley_service::sign_head(&mut *store, &id, &name, &key)?
        }
    };
    let mut text = serde_json::to_string_pretty(&statement)?;
    text.push('\n');
    match &args.output {
        None => out.write_all(text.as_bytes())?,
        Some(path) => {
            crate::files::write_output(path, text.as_bytes())?;
            writeln!(
                out,
                "wrote {}: head #{} of `{}` signed by {}",
                path.display(),
                statement.seq,
                statement.negotiation,
                statement.signers().join(", ")
            )?;
        }
    }
    Ok(0)
}
