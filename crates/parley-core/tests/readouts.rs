//! Readouts under confidentiality: a view is a record that could have been written as it is (its
//! text reads back to the same record and the same status), and nothing hidden shows in it.

use parley_core::scenario;
use parley_core::status::Record;
use parley_core::timeline::Point;
use parley_core::visibility::view;
use parley_core::writer::to_toml;

const CASE: &str = include_str!("../../parley-cli/tests/cases/readouts.toml");

fn status_json(negotiation: &parley_core::model::Negotiation) -> serde_json::Value {
    serde_json::to_value(Record::new(negotiation).status(&Point::now())).unwrap()
}

#[test]
fn every_view_of_readouts_is_a_record_that_reads_back_as_itself() {
    let negotiation = scenario::parse(CASE).unwrap().negotiation;
    for viewer in ["all", "public", "mediator", "US", "IR", "EU"] {
        let visible = view(&negotiation, &viewer.parse().unwrap());
        let written = to_toml(&visible);
        let again = match scenario::parse(&written) {
            Ok(loaded) => loaded.negotiation,
            Err(problems) => panic!("the view for {viewer} does not read back: {problems:?}\n{written}"),
        };
        assert_eq!(status_json(&again), status_json(&visible), "{viewer}");
    }
}

#[test]
fn a_readout_confided_to_the_mediator_and_the_stance_on_it_stay_hidden() {
    let negotiation = scenario::parse(CASE).unwrap().negotiation;
    for (viewer, sees) in [("public", false), ("US", false), ("IR", true), ("EU", true), ("mediator", true)] {
        let text = status_json(&view(&negotiation, &viewer.parse().unwrap())).to_string();
        assert_eq!(text.contains("immediately"), sees, "{viewer}: IR's confided readout");
        // US confided its stance on IR's readout; IR sees its readout but not that stance.
        let stance = text.contains("\"readout\":\"IR\"");
        assert_eq!(stance, matches!(viewer, "EU" | "mediator"), "{viewer}: US's stance on IR's readout");
    }
}

/// A party that revised its readout, first confided to the mediator and later published: a stance
/// on that readout given between the two answers the confided one. An outsider sees only the
/// published one, given after the stance, so the stance goes from its view (a view keeping it
/// would not read back: a stance on a readout not yet given).
#[test]
fn a_stance_on_a_readout_seen_only_from_later_goes_from_the_view() {
    let text = r#"
[negotiation]
id = "revised-readout"
title = "A readout confided, then published"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[items]]
number = 1
title = "Cap"
text = "The cap is five."
date = 2020-01-01
[[items.readouts]]
party = "A"
text = "The cap is four."
date = 2020-01-02
visibility = "mediator"
[[items.readouts]]
party = "A"
text = "The cap is four, and then three."
date = 2020-01-04

[[stances]]
party = "B"
item = 1
position = "opposes"
readout = "A"
date = 2020-01-03

[[stances]]
party = "B"
item = 1
position = "accepts"
readout = "A"
date = 2020-01-05
"#;
    let negotiation = scenario::parse(text).unwrap().negotiation;
    for (viewer, dates) in [
        ("all", vec!["2020-01-03", "2020-01-05"]),
        ("mediator", vec!["2020-01-03", "2020-01-05"]),
        ("public", vec!["2020-01-05"]),
        ("B", vec!["2020-01-05"]),
    ] {
        let visible = view(&negotiation, &viewer.parse().unwrap());
        let kept: Vec<String> = visible.stances.iter().map(|stance| stance.at.to_string()).collect();
        assert_eq!(kept, dates, "{viewer}");
        let written = to_toml(&visible);
        if let Err(problems) = scenario::parse(&written) {
            panic!("the view for {viewer} does not read back: {problems:?}\n{written}");
        }
    }
}
