//! Value claims scoped to a document, claims about a named version judged from later stances,
//! and the new claim kinds surviving the store's JSON (what an event payload holds).

use parley_core::claims::{ClaimCheck, Verdict};
use parley_core::model::Negotiation;
use parley_core::scenario;
use parley_core::status::Record;

const TWO_DOCUMENTS: &str = r#"
[negotiation]
id = "t"
title = "T"

[[parties]]
id = "A"
role = "principal"

[[parties]]
id = "B"
role = "principal"

[[issues]]
id = "cap"
kind = "integer"
min = 0
max = 10

[[rounds]]
id = "r1"
date = 2026-01-01

[[rounds]]
id = "r2"
date = 2026-02-01

[[documents]]
id = "interim"
title = "Interim"
kind = "interim"

[[documents]]
id = "final"
title = "Final"
kind = "final"

[[items]]
number = 1
document = "interim"
title = "Talks go on"
round = "r1"

[[items]]
number = 1
document = "final"
title = "Cap"
settles = ["cap"]
proposes = { cap = 7 }
round = "r1"
[[items.revisions]]
round = "r2"
proposes = { cap = 6 }

[[stances]]
party = "A"
items = ["interim:1", "final:1"]
position = "accepts"
round = "r1"

[[stances]]
party = "B"
items = ["interim:1", "final:1"]
position = "accepts"
round = "r1"

[[stances]]
party = "B"
item = "final:1"
position = "opposes"
round = "r2"

[[statements]]
id = "s"
speaker = "Someone"
date = 2026-02-02
quote = "..."
[[statements.claims]]
kind = "value"
issue = "cap"
op = "=="
value = 7
document = "interim"
[[statements.claims]]
kind = "value"
issue = "cap"
op = ">="
value = 7
document = "final"
[[statements.claims]]
kind = "value"
issue = "cap"
op = "=="
value = 7
document = "final"
version = "r1"
[[statements.claims]]
kind = "item-agreed"
item = "final:1"
version = "r1"
[[statements.claims]]
kind = "stance"
party = "B"
item = "final:1"
position = "accepts"
version = "r1"
[[statements.claims]]
kind = "stance"
party = "B"
item = "final:1"
position = "opposes"
"#;

fn parse(text: &str) -> Negotiation {
    scenario::parse(text).unwrap_or_else(|problems| panic!("{problems:?}")).negotiation
}

fn checks(negotiation: &Negotiation) -> Vec<ClaimCheck> {
    Record::new(negotiation).check_claims().statements.into_iter().flat_map(|statement| statement.claims).collect()
}

#[test]
fn a_value_claim_about_a_document_reads_that_documents_item() {
    let negotiation = parse(TWO_DOCUMENTS);
    let found = checks(&negotiation);
    let verdicts: Vec<Verdict> = found.iter().map(|check| check.verdict).collect();
    assert_eq!(verdicts[..3], [Verdict::Unverifiable, Verdict::Contradicted, Verdict::Consistent], "{found:#?}");
    // The interim text settles nothing: the final one's value is not the interim's.
    assert_eq!(found[0].finding, "no item of document interim settled cap by then");
    assert_eq!(found[1].evidence[0].document, "final");
    assert!(found[1].finding.contains("cap = 6"), "{}", found[1].finding);
    // The version of r1 proposed 7; the one of the statement, 6.
    assert!(found[2].evidence[0].fact.contains("version 0"), "{:?}", found[2].evidence);
}

#[test]
fn a_claim_about_an_earlier_version_is_judged_by_the_stances_on_that_version() {
    let negotiation = parse(TWO_DOCUMENTS);
    let found = checks(&negotiation);
    // B opposed version 1 in r2, after accepting version 0 in r1: version 0 stays agreed, and B's
    // stance on it stays an acceptance, while its stance on the current version is opposition.
    assert_eq!(found[3].verdict, Verdict::Consistent, "{:#?}", found[3]);
    assert_eq!(found[4].verdict, Verdict::Consistent, "{:#?}", found[4]);
    assert_eq!(found[5].verdict, Verdict::Consistent, "{:#?}", found[5]);
    for check in &found {
        assert_eq!(check.hindsight.verdict, check.verdict, "nothing happens after the statement: {check:#?}");
    }
}

#[test]
fn value_and_version_claims_survive_the_stores_json() {
    let negotiation = parse(TWO_DOCUMENTS);
    let json = serde_json::to_value(&negotiation).unwrap();
    let back: Negotiation = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
    assert_eq!(checks(&back).len(), 6);
}

/// `in` on a subset issue is a list of lists; `of = "readout"` names a party: both written and
/// read back as they were.
#[test]
fn a_list_of_subsets_and_a_readout_claim_read_back_from_the_writer() {
    let text = TWO_DOCUMENTS.replace(
        "[[rounds]]\nid = \"r1\"",
        "[[issues]]\nid = \"zones\"\nkind = \"subset\"\nelements = [\"north\", \"south\"]\n\n[[rounds]]\nid = \"r1\"",
    ) + "[[statements.claims]]\nkind = \"value\"\nissue = \"zones\"\nop = \"in\"\nvalue = [[], [\"south\", \"north\"]]\n\
         [[statements.claims]]\nkind = \"value\"\nissue = \"cap\"\nop = \"!=\"\nvalue = 2\nof = \"readout\"\nparty = \"B\"\n";
    let negotiation = parse(&text);
    let written = parley_core::writer::to_toml(&negotiation);
    let again = parse(&written);
    assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&negotiation).unwrap(), "{written}");
    let found = checks(&again);
    // No item settles `zones`; B gave no readout.
    assert_eq!(found[6].finding, "no item settled zones by then");
    assert_eq!(found[7].finding, "the record has no readout of B of item final:1 by then");
}

/// Where an interim text and the final one each settle an issue, a value claim without a
/// document reads the value the status counts (the later text), and one naming the interim
/// text reads the interim value.
#[test]
fn a_value_claim_reads_the_governing_document_unless_it_names_one() {
    let text = TWO_DOCUMENTS
        .replace("title = \"Talks go on\"\nround = \"r1\"", "title = \"Cap\"\nsettles = [\"cap\"]\nproposes = { cap = 3 }\nround = \"r1\"")
        + "[[statements.claims]]\nkind = \"value\"\nissue = \"cap\"\nop = \"==\"\nvalue = 6\n\
         [[statements.claims]]\nkind = \"value\"\nissue = \"cap\"\nop = \"==\"\nvalue = 3\ndocument = \"interim\"\n";
    let found = checks(&parse(&text));
    assert_eq!(found[6].verdict, Verdict::Consistent, "{:#?}", found[6]);
    assert_eq!(found[6].evidence[0].document, "final");
    assert_eq!(found[7].verdict, Verdict::Consistent, "{:#?}", found[7]);
    assert_eq!(found[7].evidence[0].document, "interim");
    // The claim that the interim text said 7 is contradicted by its 3.
    assert_eq!(found[0].verdict, Verdict::Contradicted, "{:#?}", found[0]);
}
