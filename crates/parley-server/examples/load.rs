//! A load generator for `parley serve` (`bench/server-load.sh` runs it): keep-alive HTTP/1.1
//! connections over raw TCP, each doing one kind of request in a closed loop for a while, then a
//! report of requests per second and latency percentiles per kind, as JSON on standard output.
//!
//! ```text
//! cargo run --release -p parley-server --example load -- \
//!     --address 127.0.0.1:7878 --negotiation ukraine-2025 --tokens TOKENS --seconds 60 --connections 64 --past geneva
//! ```
//!
//! `TOKENS` holds lines `VIEWER SECRET`: the reads use the `public` token, each writer a party's
//! write token (`parley token create --as UA --write`). Kinds, by share of the connections:
//! `healthz`, `status` (as of now), `status-past` (as of `--past`), `claims`, and `write` (a stance
//! by the writer's party on an item picked at random, retried on a stale head with the head the
//! 412 names). Each connection
//! does one kind only, so a kind's rate per connection measures what one request of it costs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// What the command line says.
struct Options {
    address: String,
    negotiation: String,
    tokens: BTreeMap<String, String>,
    seconds: u64,
    connections: usize,
    past: String,
    writers: Vec<String>,
    /// The kinds and their shares (`--mix`, else [`MIX`]).
    mix: Vec<(String, usize)>,
}

/// The kinds and their share of the connections (out of 16).
const MIX: &[(&str, usize)] = &[("healthz", 2), ("status", 5), ("status-past", 2), ("claims", 2), ("write", 5)];

/// What one connection measured.
#[derive(Default)]
struct Tally {
    latencies: Vec<u32>,
    errors: u64,
    conflicts: u64,
    appended: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_options()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(run(options))
}

fn parse_options() -> Result<Options, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut address = "127.0.0.1:7878".to_owned();
    let mut negotiation = "ukraine-2025".to_owned();
    let mut tokens_file = String::new();
    let (mut seconds, mut connections, mut past) = (60, 64, "geneva".to_owned());
    let mut writers = vec!["UA".to_owned(), "RU".to_owned(), "US".to_owned(), "E3".to_owned()];
    let mut mix: Vec<(String, usize)> = MIX.iter().map(|(kind, share)| ((*kind).to_owned(), *share)).collect();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--address" => address = value()?,
            "--negotiation" => negotiation = value()?,
            "--tokens" => tokens_file = value()?,
            "--seconds" => seconds = value()?.parse()?,
            "--connections" => connections = value()?.parse()?,
            "--past" => past = value()?,
            "--writers" => writers = value()?.split(',').map(str::to_owned).collect(),
            // `--mix write=1`: every connection writes; `--mix status=3,write=1` …
            "--mix" => {
                mix = value()?
                    .split(',')
                    .map(|part| {
                        let (kind, share) = part.split_once('=').ok_or_else(|| format!("--mix: `{part}` is not KIND=SHARE"))?;
                        Ok((kind.to_owned(), share.parse::<usize>().map_err(|error| format!("--mix {part}: {error}"))?))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let text = std::fs::read_to_string(&tokens_file).map_err(|error| format!("--tokens {tokens_file}: {error}"))?;
    let tokens = text
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(viewer, secret)| (viewer.to_owned(), secret.trim().to_owned()))
        .collect();
    Ok(Options { address, negotiation, tokens, seconds, connections, past, writers, mix })
}

async fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let options = Arc::new(options);
    let stop = Arc::new(AtomicBool::new(false));
    let mut kinds = Vec::new();
    let share: usize = options.mix.iter().map(|(_, share)| share).sum();
    for (kind, count) in &options.mix {
        kinds.extend(std::iter::repeat_n(kind.as_str(), (options.connections * count).div_ceil(share.max(1))));
    }
    kinds.truncate(options.connections);
    let mut tasks = Vec::new();
    for (index, kind) in kinds.iter().enumerate() {
        let (options, stop, kind) = (options.clone(), stop.clone(), (*kind).to_owned());
        tasks.push(tokio::spawn(async move { (kind.clone(), connection(&options, &kind, index, &stop).await) }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut by_kind: BTreeMap<String, (usize, Tally)> = BTreeMap::new();
    for task in tasks {
        let (kind, tally) = task.await?;
        let tally = tally?;
        let (connections, total) = by_kind.entry(kind).or_default();
        *connections += 1;
        total.latencies.extend(tally.latencies);
        total.errors += tally.errors;
        total.conflicts += tally.conflicts;
        total.appended += tally.appended;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut report = serde_json::Map::new();
    for (kind, (connections, mut tally)) in by_kind {
        tally.latencies.sort_unstable();
        let percentile = |p: f64| {
            if tally.latencies.is_empty() {
                0.0
            } else {
                f64::from(tally.latencies[((tally.latencies.len() - 1) as f64 * p) as usize]) / 1000.0
            }
        };
        let rate = tally.latencies.len() as f64 / elapsed;
        report.insert(
            kind,
            serde_json::json!({
                "connections": connections,
                "requests": tally.latencies.len(),
                "per_second": rate,
                "per_second_per_connection": rate / connections as f64,
                "p50_ms": percentile(0.50),
                "p99_ms": percentile(0.99),
                "errors": tally.errors,
                "conflicts": tally.conflicts,
                "appended": tally.appended,
            }),
        );
    }
    report.insert("seconds".to_owned(), serde_json::json!(elapsed));
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// One connection's closed loop of `kind` until `stop`.
async fn connection(options: &Options, kind: &str, index: usize, stop: &AtomicBool) -> Result<Tally, String> {
    let stream = TcpStream::connect(&options.address).await.map_err(|error| error.to_string())?;
    stream.set_nodelay(true).map_err(|error| error.to_string())?;
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut tally = Tally::default();
    let base = format!("/api/v1/negotiations/{}", options.negotiation);
    let writer_party = &options.writers[index % options.writers.len()];
    let token = |viewer: &str| options.tokens.get(viewer).cloned().ok_or_else(|| format!("no token for {viewer}"));
    let (path, token) = match kind {
        "healthz" => ("/healthz".to_owned(), String::new()),
        "status" => (format!("{base}/status"), token("public")?),
        "status-past" => (format!("{base}/status?as_of={}", options.past), token("public")?),
        "claims" => (format!("{base}/claims"), token("public")?),
        _ => (format!("{base}/stances"), token(writer_party)?),
    };
    let mut head = String::from("\"0\"");
    let mut count = 0u64;
    // Each writer picks its items at random (a fixed seed per connection, so runs compare).
    let mut random = 0x9e37_79b9_7f4a_7c15_u64 ^ (index as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    while !stop.load(Ordering::Relaxed) {
        let request = if kind == "write" {
            count += 1;
            let body = format!(
                r#"{{"party":"{writer_party}","item":{},"position":"opposes","at":{{"date":"2026-01-15"}},"source":"load","visibility":"public","note":"load {index}-{count}"}}"#,
                {
                    random ^= random << 13;
                    random ^= random >> 7;
                    random ^= random << 17;
                    1 + random % 20
                }
            );
            format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nIf-Match: {head}\r\nContent-Length: {}\r\n\r\n{body}",
                options.address,
                body.len()
            )
        } else if token.is_empty() {
            format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", options.address)
        } else {
            format!("GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\r\n", options.address)
        };
        let sent = Instant::now();
        writer.write_all(request.as_bytes()).await.map_err(|error| error.to_string())?;
        let (status, etag, body) = read_answer(&mut reader).await?;
        let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
        match (kind, status) {
            ("write", 201) => {
                tally.latencies.push(micros);
                tally.appended +=
                    serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|value| value["appended"].as_u64()).unwrap_or(0);
                head = etag.unwrap_or(head);
            }
            // Another writer appended first: retry against the head the answer names.
            ("write", 412) => {
                tally.conflicts += 1;
                head = etag.unwrap_or(head);
            }
            (_, 200) => tally.latencies.push(micros),
            _ => {
                tally.errors += 1;
                if tally.errors <= 3 {
                    eprintln!("{kind}: {status} {:.300}", String::from_utf8_lossy(&body));
                }
            }
        }
    }
    Ok(tally)
}

/// Reads one answer: status, `ETag`, body (by `Content-Length`; its bytes, left undecoded so
/// that the client spends on a read no more than the network does).
async fn read_answer(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Result<(u16, Option<String>, Vec<u8>), String> {
    let mut line = String::new();
    reader.read_line(&mut line).await.map_err(|error| error.to_string())?;
    let status = line.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| format!("no status line: {line:?}"))?;
    let (mut length, mut etag) = (0usize, None);
    loop {
        line.clear();
        reader.read_line(&mut line).await.map_err(|error| error.to_string())?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(|_| format!("bad length {value}"))?;
            } else if name.eq_ignore_ascii_case("etag") {
                etag = Some(value.trim().to_owned());
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.map_err(|error| error.to_string())?;
    Ok((status, etag, body))
}
