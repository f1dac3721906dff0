//! The benchmark negotiation, shared by the benches that measure it (`parley-core`'s status
//! bench includes it as a module; `parley-server`'s web bench by `#[path]`): 500 items, 12
//! parties, 200 rounds and 50,000 stance events, plus revisions and red lines, generated the same
//! on every run.

#![allow(dead_code)] // Each bench uses its own part.

pub const ITEMS: usize = 500;
pub const PARTIES: usize = 12;
pub const ROUNDS: usize = 200;
pub const STANCES: usize = 50_000;

/// A deterministic generator (a 64-bit LCG), so every run measures the same file.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % bound
    }
}

/// The benchmark negotiation as scenario TOML.
pub fn large_scenario() -> String {
    let mut random = Lcg(42);
    let mut text = String::with_capacity(8 << 20);
    text.push_str("[negotiation]\nid = \"large\"\ntitle = \"Generated\"\n\n");
    for party in 0..PARTIES {
        let role = if party < 4 {
            "principal"
        } else if party == 4 {
            "mediator"
        } else {
            "stakeholder"
        };
        text.push_str(&format!("[[parties]]\nid = \"P{party}\"\nrole = \"{role}\"\n\n"));
    }
    for issue in 0..50 {
        text.push_str(&format!("[[issues]]\nid = \"x{issue}\"\nkind = \"integer\"\nmin = 0\nmax = 100\n\n"));
    }
    for round in 0..ROUNDS {
        let day = 1 + round / 2;
        text.push_str(&format!(
            "[[rounds]]\nid = \"r{round}\"\ndate = {}\n\n",
            format_args!("2025-{:02}-{:02}", 1 + (day - 1) / 28, 1 + (day - 1) % 28)
        ));
    }
    for item in 1..=ITEMS {
        text.push_str(&format!("[[items]]\nnumber = {item}\ntitle = \"Item {item}\"\ntext = \"Text of item {item}.\"\n"));
        if item <= 50 {
            text.push_str(&format!("settles = [\"x{}\"]\nproposes = {{ x{} = {} }}\n", item - 1, item - 1, random.next(101)));
        }
        let mut round = random.next(ROUNDS / 4);
        text.push_str(&format!("round = \"r{round}\"\n"));
        for _ in 0..random.next(4) {
            round += 1 + random.next(30);
            if round >= ROUNDS {
                break;
            }
            text.push_str(&format!("[[items.revisions]]\nround = \"r{round}\"\ntext = \"Revised in r{round}.\"\n"));
            if item <= 50 {
                text.push_str(&format!("proposes = {{ x{} = {} }}\n", item - 1, random.next(101)));
            }
        }
        text.push('\n');
    }
    let positions = ["accepts", "accepts-with-reservations", "undecided", "opposes", "red-line"];
    for _ in 0..STANCES {
        // Stances come late enough to follow their item's introduction (items start by r50).
        let round = ROUNDS / 4 + random.next(ROUNDS - ROUNDS / 4);
        text.push_str(&format!(
            "[[stances]]\nparty = \"P{}\"\nitem = {}\nposition = \"{}\"\nround = \"r{round}\"\n\n",
            random.next(PARTIES),
            1 + random.next(ITEMS),
            positions[random.next(positions.len())]
        ));
    }
    for party in 0..4 {
        for line in 0..10 {
            let issue = random.next(50);
            let op = if random.next(2) == 0 { ">=" } else { "<=" };
            text.push_str(&format!(
                "[[red_lines]]\nid = \"rl{party}-{line}\"\nparty = \"P{party}\"\nexpr = \"x{issue} {op} {}\"\n\n",
                random.next(101)
            ));
        }
    }
    text
}
