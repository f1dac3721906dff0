//! Append throughput against raw inserts into the same database, and rebuilding the state of a
//! 100,000-event negotiation. Run with `cargo bench -p parley-store`.

use std::path::Path;

use divan::counter::ItemsCount;
use parley_core::model::{Moment, Position, Stance, Visibility};
use parley_core::status::Record;
use parley_store::sqlite::SqliteStore;
use parley_store::{EventStore, NewEvent, Op, changes};

fn main() {
    divan::main();
}

fn ukraine() -> parley_core::model::Negotiation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/ukraine-2025.toml");
    parley_core::scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap().negotiation
}

fn stance_event(negotiation: &parley_core::model::Negotiation, n: usize) -> NewEvent {
    let party = &negotiation.signatories[n % negotiation.signatories.len()];
    let round = &negotiation.rounds[n % 7];
    let stance = Stance {
        party: party.clone(),
        item: (n % 28) as u32 + 1,
        position: [Position::Accepts, Position::Opposes, Position::Undecided][n % 3],
        at: Moment::Round(round.id.clone()),
        note: format!("stance {n}"),
        source: "benchmark".to_owned(),
        visibility: Visibility::Public,
    };
    NewEvent {
        kind: "stance".to_owned(),
        key: format!("bench#{n}"),
        op: Op::Upsert,
        actor: party.clone(),
        payload: serde_json::to_value(stance).unwrap(),
    }
}

const BATCH: usize = 1_000;

/// A fresh database in a temporary folder (kept alive by the returned guard), and the scenario
/// whose shape the benchmark's events take.
fn fresh() -> (tempfile::TempDir, parley_core::model::Negotiation, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("b.db"), true).unwrap();
    (dir, ukraine(), store)
}

/// One event per transaction (each a synchronous commit).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn append_single(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = fresh();
    let mut head = 0;
    let mut n = 0;
    bencher.counter(ItemsCount::new(100usize)).bench_local(|| {
        for _ in 0..100 {
            n += 1;
            head = store.append("n", head, vec![stance_event(&negotiation, n)], None).unwrap().last().unwrap().seq;
        }
    });
}

/// Appends batches of the benchmark's events to any store, one transaction per batch.
fn bench_batches(bencher: divan::Bencher, store: &mut dyn EventStore) {
    let negotiation = ukraine();
    let mut head = 0;
    let mut n = 0;
    bencher
        .counter(ItemsCount::new(BATCH))
        .with_inputs(|| {
            let events: Vec<NewEvent> = (0..BATCH).map(|i| stance_event(&negotiation, n + i)).collect();
            n += BATCH;
            events
        })
        .bench_local_values(|events| {
            head = store.append("n", head, events, None).unwrap().last().unwrap().seq;
        });
}

/// A batch of events per transaction: hashing, chaining and inserting.
#[divan::bench(sample_count = 20)]
fn append_batch(bencher: divan::Bencher) {
    let (_dir, _, mut store) = fresh();
    bench_batches(bencher, &mut store);
}

/// The baseline: the same rows (same payload text) inserted with plain SQL in one transaction, no
/// head check, no hashing, into a table like the log's without its triggers.
#[divan::bench(sample_count = 20)]
fn raw_insert_batch(bencher: divan::Bencher) {
    let (_dir, negotiation, store) = fresh();
    let connection = store.connection();
    connection
        .execute_batch(
            "CREATE TABLE raw (negotiation TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL,
             actor TEXT NOT NULL, recorded_at TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
             signature TEXT, PRIMARY KEY (negotiation, seq)) WITHOUT ROWID",
        )
        .unwrap();
    let mut n = 0;
    bencher
        .counter(ItemsCount::new(BATCH))
        .with_inputs(|| {
            let events: Vec<NewEvent> = (0..BATCH).map(|i| stance_event(&negotiation, n + i)).collect();
            n += BATCH;
            (n - BATCH, events)
        })
        .bench_local_values(|(start, events)| {
            connection.execute_batch("BEGIN").unwrap();
            let mut insert = connection.prepare_cached("INSERT INTO raw VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)").unwrap();
            for (i, event) in events.iter().enumerate() {
                insert
                    .execute(rusqlite::params![
                        "n",
                        (start + i) as i64,
                        event.kind,
                        event.key,
                        "upsert",
                        event.actor,
                        "2026-01-01T00:00:00Z",
                        event.payload.to_string(),
                        "",
                        "",
                        None::<String>
                    ])
                    .unwrap();
            }
            connection.execute_batch("COMMIT").unwrap();
        });
}

/// A store holding the 2025 scenario followed by stances, 100,000 events in all.
fn hundred_thousand() -> (tempfile::TempDir, parley_core::model::Negotiation, SqliteStore) {
    let (dir, negotiation, mut store) = fresh();
    let mut head = store.append(&negotiation.id, 0, changes(None, &negotiation), None).unwrap().last().unwrap().seq;
    let mut n = 0;
    while head < 100_000 {
        let size = (100_000 - head as usize).min(10_000);
        let events = (0..size).map(|i| stance_event(&negotiation, n + i)).collect();
        n += size;
        head = store.append(&negotiation.id, head, events, None).unwrap().last().unwrap().seq;
    }
    (dir, negotiation, store)
}

/// Reading 100,000 events, folding them into the negotiation and computing its status at a round.
#[divan::bench(sample_count = 10)]
fn status_of_100k_events(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand();
    bencher.bench_local(|| {
        let folded = store.negotiation(&negotiation.id, None).unwrap();
        let record = Record::new(&folded);
        let point = record.point("geneva").unwrap();
        divan::black_box(record.status(&point));
    });
}

/// The parts of the above: reading and folding only.
#[divan::bench(sample_count = 10)]
fn fold_of_100k_events(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand();
    bencher.bench_local(|| divan::black_box(store.negotiation(&negotiation.id, None).unwrap()));
}

/// The parts of the above: reading the rows only.
#[divan::bench(sample_count = 10)]
fn read_of_100k_events(bencher: divan::Bencher) {
    let (_dir, negotiation, store) = hundred_thousand();
    bencher.bench_local(|| {
        let mut statement =
            store.connection().prepare("SELECT seq, kind, key, op, payload FROM events WHERE negotiation = ?1 ORDER BY seq").unwrap();
        let mut rows = statement.query([&negotiation.id]).unwrap();
        let mut bytes = 0;
        while let Some(row) = rows.next().unwrap() {
            bytes += row.get_ref(4).unwrap().as_str().unwrap().len();
        }
        bytes
    });
}

/// The PostgreSQL server named by `PARLEY_TEST_PG_URL`, in a fresh database, if there is one.
fn postgres_target() -> Option<String> {
    let url = std::env::var("PARLEY_TEST_PG_URL").ok().filter(|url| !url.is_empty())?;
    let database = format!("parley_bench_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).ok()?;
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {database}")).ok()?;
    client.batch_execute(&format!("CREATE DATABASE {database}")).ok()?;
    Some(format!("{}/{database}", url.rsplit_once('/')?.0))
}

/// As `append_batch`, on PostgreSQL (skipped without `PARLEY_TEST_PG_URL`).
#[divan::bench(sample_count = 20)]
fn postgres_append_batch(bencher: divan::Bencher) {
    let Some(url) = postgres_target() else {
        eprintln!("PARLEY_TEST_PG_URL is not set: skipping the PostgreSQL benchmarks");
        return;
    };
    bench_batches(bencher, &mut parley_store::postgres::PgStore::open(&url).unwrap());
}

/// As `raw_insert_batch`, on PostgreSQL: the same rows with plain SQL in one transaction.
#[divan::bench(sample_count = 20)]
fn postgres_raw_insert_batch(bencher: divan::Bencher) {
    let Some(url) = postgres_target() else { return };
    let negotiation = ukraine();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE raw (negotiation TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL,
             actor TEXT NOT NULL, recorded_at TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
             signature TEXT, PRIMARY KEY (negotiation, seq))",
        )
        .unwrap();
    let mut n = 0;
    bencher
        .counter(ItemsCount::new(BATCH))
        .with_inputs(|| {
            let events: Vec<NewEvent> = (0..BATCH).map(|i| stance_event(&negotiation, n + i)).collect();
            n += BATCH;
            (n - BATCH, events)
        })
        .bench_local_values(|(start, events)| {
            let mut transaction = client.transaction().unwrap();
            let insert = transaction.prepare("INSERT INTO raw VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)").unwrap();
            for (i, event) in events.iter().enumerate() {
                let seq = (start + i) as i64;
                let payload = event.payload.to_string();
                transaction
                    .execute(
                        &insert,
                        &[
                            &"n",
                            &seq,
                            &event.kind,
                            &event.key,
                            &"upsert",
                            &event.actor,
                            &"2026-01-01T00:00:00Z",
                            &payload,
                            &"",
                            &"",
                            &None::<String>,
                        ],
                    )
                    .unwrap();
            }
            transaction.commit().unwrap();
        });
}
