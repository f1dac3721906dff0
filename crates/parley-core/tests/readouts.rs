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
