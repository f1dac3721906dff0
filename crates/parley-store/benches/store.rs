//! Append throughput against raw inserts into the same database, and rebuilding the state of a
//! 100,000-event negotiation. Run with `cargo bench -p parley-store`.

use std::path::Path;

use divan::counter::ItemsCount;
use parley_core::model::{Moment, Negotiation, Position, Stance, Visibility};
use parley_core::status::Record;
use parley_store::event::Folder;
use parley_store::sqlite::SqliteStore;
use parley_store::{EventStore, NewEvent, Op};

fn main() {
    divan::main();
}

fn ukraine() -> Negotiation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/ukraine-2025.toml");
    parley_core::scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap().negotiation
}

fn stance_event(negotiation: &Negotiation, n: usize) -> NewEvent {
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
        document: String::new(),
        version: None,
        readout: String::new(),
        bloc: None,
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

/// A stand-in for the two hashes a raw row carries, as long as real ones (64 hex digits), so that
/// raw rows are as large as the log's.
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Successive batches of the benchmark's events, each with the number of its first event.
fn batches(negotiation: &Negotiation) -> impl FnMut() -> (usize, Vec<NewEvent>) + '_ {
    let mut n = 0;
    move || {
        let events = (0..BATCH).map(|i| stance_event(negotiation, n + i)).collect();
        n += BATCH;
        (n - BATCH, events)
    }
}

/// The log's own table under another name, without its triggers and index: what raw inserts go to.
fn raw_table(migration: &str) -> String {
    let create = migration.find("CREATE TABLE events").expect("the first migration creates the log");
    let end = migration[create..].find(';').expect("a complete statement") + create + 1;
    migration[create..end].replacen("CREATE TABLE events", "CREATE TABLE raw", 1)
}

/// A fresh database in a temporary folder (kept alive by the returned guard), and the scenario
/// whose shape the benchmark's events take.
fn fresh() -> (tempfile::TempDir, Negotiation, SqliteStore) {
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
    let mut next = batches(&negotiation);
    bencher.counter(ItemsCount::new(BATCH)).with_inputs(|| next().1).bench_local_values(|events| {
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
    connection.execute_batch(&raw_table(parley_store::sqlite::MIGRATIONS[0].1)).unwrap();
    bencher.counter(ItemsCount::new(BATCH)).with_inputs(batches(&negotiation)).bench_local_values(|(start, events)| {
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
                    DUMMY_HASH,
                    DUMMY_HASH,
                    None::<String>
                ])
                .unwrap();
        }
        connection.execute_batch("COMMIT").unwrap();
    });
}

/// Appends events made by `make` to the 2025 scenario's negotiation until its head is `target`.
fn grow(store: &mut SqliteStore, negotiation: &Negotiation, target: u64, make: Maker) {
    if store.head(&negotiation.id).unwrap().is_none() {
        store.import(negotiation, None).unwrap();
    }
    let mut head = store.head(&negotiation.id).unwrap().map_or(0, |(seq, _)| seq);
    while head < target {
        let size = (target - head).min(10_000) as usize;
        let events = (0..size).map(|i| make(negotiation, head as usize + i)).collect();
        head = store.append(&negotiation.id, head, events, None).unwrap().last().unwrap().seq;
    }
}

type Maker = fn(&Negotiation, usize) -> NewEvent;

/// A history in which stances keep changing: each event either records a stance or withdraws
/// the one recorded 1,000 events earlier, so about 500 stances are live at any time.
fn changing_stance(negotiation: &Negotiation, n: usize) -> NewEvent {
    if n % 2 == 1 && n > 1_000 {
        let mut withdrawn = stance_event(negotiation, n - 1_001);
        withdrawn.op = Op::Delete;
        withdrawn.payload = serde_json::Value::Null;
        withdrawn
    } else {
        stance_event(negotiation, n)
    }
}

/// A store holding the 2025 scenario followed by 100,000 events in all, in the state reads meet
/// at worst: the newest checkpoint is `CHECKPOINT_AFTER - 1` events behind the head, so a read
/// restores it and folds 999 events (one more and it would leave a new checkpoint).
fn hundred_thousand_with(make: Maker) -> (tempfile::TempDir, Negotiation, SqliteStore) {
    let (dir, negotiation, mut store) = fresh();
    let behind = parley_store::store::CHECKPOINT_AFTER - 1;
    grow(&mut store, &negotiation, 100_000 - behind, make);
    store.negotiation(&negotiation.id, None).unwrap();
    grow(&mut store, &negotiation, 100_000, make);
    assert_eq!(store.checkpoints(&negotiation.id).unwrap().last().map(|checkpoint| checkpoint.seq), Some(100_000 - behind));
    (dir, negotiation, store)
}

/// Every event a new stance: the state is as large as the log (the worst case for checkpoints).
fn hundred_thousand() -> (tempfile::TempDir, Negotiation, SqliteStore) {
    hundred_thousand_with(stance_event)
}

fn status_at_geneva(folded: &Negotiation) {
    let record = Record::new(folded);
    let point = record.point("geneva").unwrap();
    divan::black_box(record.status(&point));
}

fn status_without_checkpoint(store: &mut SqliteStore, id: &str) {
    let mut folder = Folder::new();
    store.apply_events(id, 0, None, &mut folder).unwrap();
    status_at_geneva(&folder.finish().unwrap().unwrap());
}

/// Rebuilding the state of a 100,000-event negotiation and computing its status at a round: the
/// newest checkpoint, the events after it, the status.
#[divan::bench(sample_count = 10)]
fn status_of_100k_events(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand();
    bencher.bench_local(|| status_at_geneva(&store.negotiation(&negotiation.id, None).unwrap()));
}

/// The same without checkpoints: every event read and folded.
#[divan::bench(sample_count = 10)]
fn status_of_100k_events_without_checkpoint(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand();
    bencher.bench_local(|| status_without_checkpoint(&mut store, &negotiation.id));
}

/// As `status_of_100k_events`, for a history of changing stances (a small state, a long log).
#[divan::bench(sample_count = 10)]
fn status_of_100k_changing_events(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand_with(changing_stance);
    bencher.bench_local(|| status_at_geneva(&store.negotiation(&negotiation.id, None).unwrap()));
}

/// As `status_of_100k_events_without_checkpoint`, for a history of changing stances.
#[divan::bench(sample_count = 10)]
fn status_of_100k_changing_events_without_checkpoint(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand_with(changing_stance);
    bencher.bench_local(|| status_without_checkpoint(&mut store, &negotiation.id));
}

/// The parts of the first: restoring the checkpoint and folding the events after it.
#[divan::bench(sample_count = 10)]
fn fold_of_100k_events(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand();
    bencher.bench_local(|| divan::black_box(store.negotiation(&negotiation.id, None).unwrap()));
}

/// The parts of the first: the status alone.
#[divan::bench(sample_count = 10)]
fn status_alone_of_100k_events(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand();
    let folded = store.negotiation(&negotiation.id, None).unwrap();
    bencher.bench_local(|| status_at_geneva(&folded));
}

/// The parts of the second: reading the rows only.
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

/// As `raw_insert_batch`, on PostgreSQL: the same rows with plain SQL in one transaction, in one
/// multi-row `INSERT` as the store writes them.
#[divan::bench(sample_count = 20)]
fn postgres_raw_insert_batch(bencher: divan::Bencher) {
    let Some(url) = postgres_target() else { return };
    let negotiation = ukraine();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute(&raw_table(parley_store::postgres::MIGRATIONS[0].1)).unwrap();
    bencher.counter(ItemsCount::new(BATCH)).with_inputs(batches(&negotiation)).bench_local_values(|(start, events)| {
        let mut transaction = client.transaction().unwrap();
        // The same multi-row statement the store uses, into a table without its triggers.
        let sql = parley_store::postgres::insert_statement(events.len()).replacen("INSERT INTO events", "INSERT INTO raw", 1);
        let rows: Vec<(i64, String)> =
            events.iter().enumerate().map(|(i, event)| ((start + i) as i64, event.payload.to_string())).collect();
        let mut parameters: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::with_capacity(events.len() * 11);
        for (event, (seq, payload)) in events.iter().zip(&rows) {
            parameters.extend_from_slice(&[
                &"n",
                seq,
                &event.kind,
                &event.key,
                &"upsert",
                &event.actor,
                &"2026-01-01T00:00:00Z",
                payload,
                &DUMMY_HASH,
                &DUMMY_HASH,
                &None::<String>,
            ]);
        }
        transaction.execute(&sql, &parameters).unwrap();
        transaction.commit().unwrap();
    });
}

/// The parts of the first: restoring the checkpoint's folder alone.
#[divan::bench(sample_count = 10)]
fn restore_of_100k_events(bencher: divan::Bencher) {
    let (_dir, negotiation, mut store) = hundred_thousand();
    let checkpoint = store.checkpoint(&negotiation.id, None).unwrap().unwrap();
    bencher.bench_local(|| divan::black_box(Folder::restore(&checkpoint.state).unwrap()));
}
