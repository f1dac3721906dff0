//! Parse + status on a large generated negotiation: 500 items, 12 parties, 200 rounds and 50,000
//! stance events (plus revisions and red lines); and `diff`, with its timeline, on a 200,000-item
//! record. Run with `cargo bench -p parley-core`.

mod support {
    pub mod large;
}

use parley_core::scenario;
use parley_core::status::{Record, Tracks};
use support::large::{Lcg, large_scenario};

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 20)]
fn parse_and_status_at_a_date(bencher: divan::Bencher<'_, '_>) {
    let text = large_scenario();
    bencher.bench(|| {
        let negotiation = scenario::parse(divan::black_box(&text)).expect("the generated scenario is valid").negotiation;
        let record = Record::new(&negotiation);
        let point = record.point("2025-03-15").unwrap();
        record.status(&point).framework.agreed
    });
}

#[divan::bench(sample_count = 20)]
fn parse_only(bencher: divan::Bencher<'_, '_>) {
    let text = large_scenario();
    bencher.bench(|| scenario::parse(divan::black_box(&text)).expect("valid").negotiation.stances.len());
}

/// The status computed from tracks already built (a copy of them with no status kept each time).
#[divan::bench(sample_count = 50)]
fn status_at_a_date_on_a_parsed_record(bencher: divan::Bencher<'_, '_>) {
    let text = large_scenario();
    let negotiation = scenario::parse(&text).expect("valid").negotiation;
    let tracks = Tracks::new(&negotiation);
    let point = Record::with_tracks(&negotiation, &tracks).point("2025-03-15").unwrap();
    bencher
        .with_inputs(|| tracks.clone())
        .bench_local_refs(|tracks| Record::with_tracks(&negotiation, tracks).status(divan::black_box(&point)).framework.agreed);
}

/// The same status asked again of the same tracks: the copy they keep.
#[divan::bench(sample_count = 50)]
fn status_kept_with_the_tracks(bencher: divan::Bencher<'_, '_>) {
    let text = large_scenario();
    let negotiation = scenario::parse(&text).expect("valid").negotiation;
    let record = Record::new(&negotiation);
    let point = record.point("2025-03-15").unwrap();
    record.status(&point);
    bencher.bench(|| record.status(divan::black_box(&point)).framework.agreed);
}

#[divan::bench(sample_count = 20)]
fn index_and_status(bencher: divan::Bencher<'_, '_>) {
    let text = large_scenario();
    let negotiation = scenario::parse(&text).expect("valid").negotiation;
    bencher.bench(|| {
        let record = Record::new(divan::black_box(&negotiation));
        let point = record.point("2025-03-15").unwrap();
        record.status(&point).framework.agreed
    });
}

/// The TOML tree alone, the floor under every scenario parse.
#[divan::bench(sample_count = 10)]
fn toml_tree_only(bencher: divan::Bencher<'_, '_>) {
    let text = large_scenario();
    bencher.bench(|| {
        let arena = toml_spanner::Arena::new();
        toml_spanner::parse(divan::black_box(&text), &arena).is_ok()
    });
}

/// Items of the record `diff` is measured on.
const DIFF_ITEMS: usize = 200_000;

/// A record of 200,000 items over 100 rounds: two stances per item, revisions on one in four,
/// values on the first 50 (with red lines over them, drawn and dropped inside the window).
fn record_for_diff() -> String {
    let mut random = Lcg(7);
    let mut text = String::with_capacity(64 << 20);
    text.push_str("[negotiation]\nid = \"window\"\ntitle = \"Generated\"\n\n");
    for party in 0..4 {
        text.push_str(&format!("[[parties]]\nid = \"P{party}\"\nrole = \"principal\"\n\n"));
    }
    for issue in 0..50 {
        text.push_str(&format!("[[issues]]\nid = \"x{issue}\"\nkind = \"integer\"\nmin = 0\nmax = 100\n\n"));
    }
    for round in 0..100 {
        text.push_str(&format!("[[rounds]]\nid = \"r{round}\"\ndate = 2025-{:02}-{:02}\n\n", 1 + round / 28, 1 + round % 28));
    }
    let positions = ["accepts", "accepts-with-reservations", "undecided", "opposes", "red-line"];
    let mut stances = String::with_capacity(48 << 20);
    for item in 1..=DIFF_ITEMS {
        let mut round = random.next(50);
        text.push_str(&format!("[[items]]\nnumber = {item}\ntitle = \"Item {item}\"\nround = \"r{round}\"\n"));
        if item <= 50 {
            text.push_str(&format!("settles = [\"x{}\"]\nproposes = {{ x{} = {} }}\n", item - 1, item - 1, random.next(101)));
        }
        if item % 4 == 0 {
            round += 1 + random.next(49);
            text.push_str(&format!("[[items.revisions]]\nround = \"r{round}\"\ntext = \"Revised.\"\n"));
            if item <= 50 {
                text.push_str(&format!("proposes = {{ x{} = {} }}\n", item - 1, random.next(101)));
            }
        }
        text.push('\n');
        for _ in 0..2 {
            let at = round + random.next(100 - round);
            let position = positions[random.next(positions.len())];
            let party = random.next(4);
            stances
                .push_str(&format!("[[stances]]\nparty = \"P{party}\"\nitem = {item}\nposition = \"{position}\"\nround = \"r{at}\"\n\n"));
        }
    }
    text.push_str(&stances);
    for line in 0..40 {
        let (issue, since) = (random.next(50), random.next(100));
        let until = since + 1 + random.next(100 - since);
        text.push_str(&format!(
            "[[red_lines]]\nid = \"rl{line}\"\nparty = \"P{}\"\nexpr = \"x{issue} <= 50\"\nsince = \"r{since}\"\n",
            line % 4
        ));
        if until < 100 {
            text.push_str(&format!("until = \"r{until}\"\n"));
        }
        text.push('\n');
    }
    text
}

/// `diff` over most of a 200,000-item record, net changes and timeline; it must stay well under
/// two seconds in release.
#[divan::bench(sample_count = 3)]
fn diff_of_a_200000_item_record(bencher: divan::Bencher<'_, '_>) {
    let text = record_for_diff();
    let negotiation = scenario::parse(&text).expect("the generated scenario is valid").negotiation;
    let record = Record::new(&negotiation);
    let (from, to) = (record.point("r10").unwrap(), record.point("r90").unwrap());
    bencher.bench(|| record.diff(divan::black_box(&from), &to).expect("in order").timeline.len());
}
