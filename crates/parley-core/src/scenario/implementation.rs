//! `[[obligations]]` and `[[implementation]]`: what a signed text requires, and dated assessments
//! of how far each requirement is met.

use std::collections::HashMap;
use std::ops::Range;

use super::{
    Cx, Fields, Refs, Registry, Spanned, Toml, check_ref, keyword, missing, opt_date, opt_integer, opt_string, req_id, req_string, tables,
    text, wrong_type,
};
use crate::model::{Assessment, Keyword, Obligation, Reliability, Score, Source};

pub(super) const OBLIGATION_FIELDS: &[&str] = &["id", "description", "items", "party", "due", "source"];
pub(super) const ASSESSMENT_FIELDS: &[&str] = &["obligation", "round", "date", "score", "source", "note"];

pub(super) fn read_obligations(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<Obligation> {
    let mut registry = Registry::new("obligation");
    let mut obligations = Vec::new();
    for fields in tables(cx, root, "obligations", OBLIGATION_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "obligation");
        let description = req_string(cx, &fields, "description", "what must be done");
        let party = opt_string(cx, &fields, "party");
        let party_known = party.as_ref().is_none_or(|party| refs.party(cx, || fields.path_of("party"), party));
        let mut items = Vec::new();
        let mut document: Option<String> = None;
        let mut items_known = true;
        if let Some(node) = fields.get("items") {
            match node.value() {
                Toml::Array(array) => {
                    for (index, element) in array.iter().enumerate() {
                        let path = || format!("{}[{index}]", fields.path_of("items"));
                        match refs.item_node(cx, path, element) {
                            Some(item) if document.as_ref().is_some_and(|known| *known != item.document) => {
                                cx.error(
                                    path(),
                                    element.span().range(),
                                    "the items of one obligation belong to one document (write one obligation per document)",
                                );
                                items_known = false;
                            }
                            Some(item) => {
                                document = Some(item.document.clone());
                                items.push(item.number);
                            }
                            None => items_known = false,
                        }
                    }
                }
                _ => {
                    wrong_type(cx, fields.path_of("items"), node, "an array of item references");
                    items_known = false;
                }
            }
        }
        let due = opt_date(cx, &fields, "due").map(Spanned::into_inner);
        let source = text(cx, &fields, "source");
        let (Some(id), Some(description), true, true) = (id, description, party_known, items_known) else { continue };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        obligations.push(Obligation {
            id: id.into_inner(),
            description: description.into_inner(),
            items,
            document: document.unwrap_or_default(),
            party: party.map(Spanned::into_inner),
            due,
            source,
        });
    }
    obligations
}

/// Assessments of the obligations read before; one per obligation and moment.
pub(super) fn read_assessments(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>, obligations: &[Obligation]) -> Vec<Assessment> {
    let mut assessments = Vec::new();
    let mut seen: HashMap<(String, String), Range<usize>> = HashMap::new();
    for fields in tables(cx, root, "implementation", ASSESSMENT_FIELDS) {
        fields.finish(cx);
        let obligation = req_string(cx, &fields, "obligation", "the id of the obligation assessed").filter(|id| {
            obligations.iter().any(|known| known.id == *id.get_ref())
                || check_ref(cx, fields.path_of("obligation"), id, "obligation", obligations.iter().map(|known| known.id.as_str()))
        });
        let at = refs.moment(cx, &fields, true);
        let score = score(cx, &fields);
        let source = text(cx, &fields, "source");
        let note = text(cx, &fields, "note");
        let (Some(obligation), Some((at, _)), Some(score)) = (obligation, at, score) else { continue };
        let key = (obligation.get_ref().clone(), at.to_string());
        if let Some(first) = seen.get(&key) {
            let line = cx.line_of(first);
            cx.error(
                fields.path(),
                fields.span.clone(),
                format!("duplicate assessment of `{}` at {at} (first on line {line})", obligation.get_ref()),
            );
            continue;
        }
        seen.insert(key, fields.span.clone());
        assessments.push(Assessment { obligation: obligation.into_inner(), at, score, source, note });
    }
    assessments
}

/// `score = 0..3` or one of the scale's words.
fn score(cx: &mut Cx<'_>, fields: &Fields<'_, '_>) -> Option<Score> {
    let words: Vec<&str> = Score::ALL.iter().map(|score| score.keyword()).collect();
    let expected = format!("0 to 3, or one of: {}", words.join(", "));
    let Some(node) = fields.get("score") else {
        missing(cx, fields, "score", &expected);
        return None;
    };
    if matches!(node.value(), Toml::String(_)) {
        return keyword(cx, fields, "score");
    }
    let number = opt_integer(cx, fields, "score")?;
    let score = Score::from_points(*number.get_ref());
    if score.is_none() {
        cx.error(fields.path_of("score"), number.span(), format!("score {} is out of range (expected {expected})", number.get_ref()));
    }
    score
}

pub(super) const SOURCE_FIELDS: &[&str] = &["id", "title", "url", "outlet", "date", "reliability", "note"];

/// `[[sources]]`: where the record's facts come from.
pub(super) fn read_sources(cx: &mut Cx<'_>, root: &Fields<'_, '_>) -> Vec<Source> {
    let mut registry = Registry::new("source");
    let mut sources = Vec::new();
    for fields in tables(cx, root, "sources", SOURCE_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "source");
        let title = req_string(cx, &fields, "title", "what the source is, e.g. \"White House fact sheet\"");
        let words: Vec<&str> = Reliability::ALL.iter().map(|reliability| reliability.keyword()).collect();
        let reliability =
            super::required(cx, &fields, "reliability", &format!("one of: {}", words.join(", ")), |cx| keyword(cx, &fields, "reliability"));
        let url = text(cx, &fields, "url");
        let outlet = text(cx, &fields, "outlet");
        let date = opt_date(cx, &fields, "date").map(Spanned::into_inner);
        let note = text(cx, &fields, "note");
        let (Some(id), Some(title), Some(reliability)) = (id, title, reliability) else { continue };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        sources.push(Source { id: id.into_inner(), title: title.into_inner(), url, outlet, date, reliability, note });
    }
    sources
}
