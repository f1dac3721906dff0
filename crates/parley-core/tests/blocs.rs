//! A bloc's stance is each member's unless the member's own is at the same moment or later: the
//! status engine against a direct reading of that rule, on random stances of parties and blocs.

use parley_core::scenario;
use parley_core::status::Record;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Holders: parties A and B, bloc X = {A, B}, bloc Y = {B}.
const HOLDERS: [&str; 4] = ["A", "B", "X", "Y"];
const POSITIONS: [&str; 3] = ["accepts", "opposes", "undecided"];

/// (holder, position, day, in the day's round rather than at the end of the day)
type Sketch = Vec<(usize, usize, usize, bool)>;

fn to_toml(stances: &Sketch) -> String {
    let mut text = String::from("[negotiation]\nid = \"b\"\ntitle = \"B\"\n\n");
    text.push_str("[[parties]]\nid = \"A\"\nrole = \"principal\"\n\n[[parties]]\nid = \"B\"\nrole = \"principal\"\n\n");
    text.push_str("[[blocs]]\nid = \"X\"\nmembers = [\"A\", \"B\"]\n\n[[blocs]]\nid = \"Y\"\nmembers = [\"B\"]\n\n");
    for day in 0..3 {
        text.push_str(&format!("[[rounds]]\nid = \"r{day}\"\ndate = 2026-05-{:02}\n\n", day + 1));
    }
    text.push_str("[[items]]\nnumber = 1\ntitle = \"Point\"\n\n");
    for &(holder, position, day, in_round) in stances {
        let when = if in_round { format!("round = \"r{day}\"") } else { format!("date = 2026-05-{:02}", day + 1) };
        text.push_str(&format!(
            "[[stances]]\nparty = \"{}\"\nitem = 1\nposition = \"{}\"\n{when}\n\n",
            HOLDERS[holder], POSITIONS[position]
        ));
    }
    text
}

/// The stance that counts for `party` as of the end of `day`: of the stances of the party and of
/// its blocs given by then, the latest; at the same moment the party's own, then the file's last.
fn expected(stances: &Sketch, party: &str, day: usize) -> Option<(&'static str, Option<&'static str>)> {
    let member = |holder: &str| holder == party || holder == "X" || (holder == "Y" && party == "B");
    stances
        .iter()
        .enumerate()
        .filter(|(_, (holder, _, at, _))| member(HOLDERS[*holder]) && *at <= day)
        .max_by_key(|(index, (holder, _, at, in_round))| (*at, !*in_round, HOLDERS[*holder] == party, *index))
        .map(|(_, (holder, position, _, _))| {
            let holder = HOLDERS[*holder];
            (POSITIONS[*position], (holder != party).then_some(holder))
        })
}

#[test]
fn bloc_stances_count_for_members_until_their_own() {
    let strategy = proptest::collection::vec((0..4usize, 0..3usize, 0..3usize, any::<bool>()), 0..10);
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    runner
        .run(&strategy, |stances| {
            let text = to_toml(&stances);
            let negotiation = scenario::parse(&text).unwrap().negotiation;
            let record = Record::new(&negotiation);
            for day in 0..3 {
                let status = record.status(&record.point(&format!("2026-05-{:02}", day + 1)).unwrap());
                for party in ["A", "B"] {
                    let actual = status.items[0]
                        .stances
                        .iter()
                        .find(|stance| stance.party == party)
                        .map(|stance| (stance.position.keyword(), stance.via.clone()));
                    let wanted = expected(&stances, party, day).map(|(position, via)| (position, via.map(str::to_owned)));
                    prop_assert_eq!(actual, wanted, "{} on day {}:\n{}", party, day, text);
                }
            }
            Ok(())
        })
        .unwrap();
}
