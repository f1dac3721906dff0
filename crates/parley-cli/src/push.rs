//! `parley push`: a write over the server, signed by the party's own key when it has one.
//!
//! The client's half of a signed write (`docs/security.md`): ask the server for the events the
//! write would append (`Parley-Sign: prepare`), check them (hashes recomputed, links, kind, party,
//! time against this machine's clock), sign their hashes and send the write again with the
//! signatures. The key never leaves this machine.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use parley_store::Event;

use crate::BadInput;
use crate::output::write_json;

/// How far the server's proposed time may lie from this machine's clock, in seconds.
pub const CLOCK_TOLERANCE_SECONDS: u64 = 600;

/// What `parley push` was asked.
pub struct PushOptions<'a> {
    pub server: &'a str,
    pub token: &'a str,
    pub key: Option<&'a Path>,
    pub route: &'a str,
    pub body: &'a Path,
}

/// An HTTP answer: status and body.
struct Answer {
    status: u16,
    body: String,
}

/// The event kind each signable route appends.
fn kind_of(route: &str) -> Option<&'static str> {
    match route {
        "stances" => Some("stance"),
        "statements" => Some("statement"),
        "red-lines" => Some("red-line"),
        "demands" => Some("demand"),
        "preferences" => Some("preference"),
        _ => None,
    }
}

pub fn push(options: &PushOptions<'_>, out: &mut dyn Write) -> Result<u8> {
    let kind = kind_of(options.route)
        .ok_or_else(|| BadInput(format!("route `{}`: expected stances, statements, red-lines, demands or preferences", options.route)))?;
    let (host, base) = address_of(options.server)?;
    let body = crate::input::read_text(options.body)?;
    let key = options.key.map(crate::keys::read_key).transpose()?;
    let listed = call(&host, "GET", &format!("{base}/api/v1/negotiations"), options.token, &[], "")?;
    if listed.status != 200 {
        return Err(anyhow!("the server refused the token ({}): {}", listed.status, listed.body.trim()));
    }
    let listed: serde_json::Value = serde_json::from_str(&listed.body).context("the server's list of negotiations is not JSON")?;
    let negotiation = listed.get(0).ok_or_else(|| anyhow!("the token's negotiation holds no events yet"))?;
    let text = |field: &str| negotiation[field].as_str().unwrap_or_default().to_owned();
    let (id, party, head) = (text("id"), text("viewer"), text("head"));
    let path = format!("{base}/api/v1/negotiations/{id}/{}", options.route);
    let mut headers = vec![("If-Match", head.clone()), ("Content-Type", "application/json".to_owned())];
    if let Some(key) = &key {
        let prepared =
            call(&host, "POST", &path, options.token, &[headers.clone(), vec![("Parley-Sign", "prepare".to_owned())]].concat(), &body)?;
        if prepared.status != 200 {
            return Err(anyhow!("the server refused the write ({}): {}", prepared.status, prepared.body.trim()));
        }
        let prepared: serde_json::Value = serde_json::from_str(&prepared.body).context("the prepared write is not JSON")?;
        let recorded_at = prepared["recorded_at"].as_str().unwrap_or_default().to_owned();
        check_time(&recorded_at)?;
        let events: Vec<Event> = serde_json::from_value(prepared["events"].clone()).context("the prepared events do not read")?;
        if let Some(other) = events.iter().find(|event| event.kind != kind || event.actor != party) {
            return Err(anyhow!(
                "the server prepared a `{}` event of `{}`, not a `{kind}` of `{party}`: nothing signed",
                other.kind,
                other.actor
            ));
        }
        let signatures = parley_store::chain::sign_prepared(&events, &party, key).map_err(|reason| anyhow!("{reason}: nothing signed"))?;
        headers.push(("Parley-Signature", format!("{recorded_at} {}", signatures.join(","))));
    }
    let written = call(&host, "POST", &path, options.token, &headers, &body)?;
    if !matches!(written.status, 200 | 201) {
        return Err(anyhow!("the server refused the write ({}): {}", written.status, written.body.trim()));
    }
    let value: serde_json::Value = serde_json::from_str(&written.body).context("the server's answer is not JSON")?;
    write_json(out, &value)?;
    Ok(0)
}

/// A proposed time within [`CLOCK_TOLERANCE_SECONDS`] of this machine's clock.
fn check_time(recorded_at: &str) -> Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0);
    let earliest = parley_store::store::utc_of(now.saturating_sub(CLOCK_TOLERANCE_SECONDS));
    let latest = parley_store::store::utc_of(now + CLOCK_TOLERANCE_SECONDS);
    if recorded_at.len() != 20 || recorded_at < earliest.as_str() || recorded_at > latest.as_str() {
        return Err(anyhow!(
            "the server proposes the time `{recorded_at}`, more than {CLOCK_TOLERANCE_SECONDS} s from this machine's clock: nothing signed"
        ));
    }
    Ok(())
}

/// `http://HOST:PORT[/PREFIX]` as the address to connect to and the path prefix.
fn address_of(server: &str) -> Result<(String, String)> {
    let rest = server.strip_prefix("http://").ok_or_else(|| {
        BadInput(format!("--server {server}: expected http://HOST:PORT (put TLS in front of the server with a proxy, docs/server.md)"))
    })?;
    let (host, base) =
        rest.split_once('/').map_or((rest, String::new()), |(host, base)| (host, format!("/{}", base.trim_end_matches('/'))));
    if host.is_empty() {
        return Err(BadInput(format!("--server {server}: no host")).into());
    }
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:80") };
    Ok((host, base))
}

/// One HTTP/1.1 request (`Connection: close`), its whole answer read.
fn call(host: &str, method: &str, path: &str, token: &str, headers: &[(&str, String)], body: &str) -> Result<Answer> {
    let mut stream = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).with_context(|| format!("sending to {host}"))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).with_context(|| format!("reading from {host}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or_else(|| anyhow!("{host} sent no HTTP answer"))?;
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| anyhow!("{host} sent no HTTP status"))?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked { unchunk(rest) } else { rest.to_owned() };
    Ok(Answer { status, body })
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].strip_prefix("\r\n").unwrap_or(&rest[size..]);
    }
    out
}
