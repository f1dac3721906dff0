//! An item's `[[items.readouts]]` and a stance's `version`/`readout`, which attach it to a joint
//! version or to a party's readout.

use std::ops::Range;

use super::{Cx, Fields, Refs, Spanned, Toml, keyword_or, opt_integer, opt_string, read_proposal, req_string, tables, text, wrong_type};
use crate::model::{Item, Moment, Value, Visibility};
use crate::readout::Readout;
use crate::timeline::Instant;

const READOUT_FIELDS: &[&str] = &["party", "text", "proposes", "describes", "round", "date", "source", "visibility"];

/// An item's readouts, each at or after the item's introduction.
pub(super) fn read_readouts(
    cx: &mut Cx<'_>,
    item: &Fields<'_, '_>,
    refs: &Refs<'_>,
    settles: &[String],
    introduced: Instant,
) -> Vec<Readout> {
    let mut readouts = Vec::new();
    for fields in tables(cx, item, "readouts", READOUT_FIELDS) {
        fields.finish(cx);
        let party = req_string(cx, &fields, "party", "the id of the party whose readout this is")
            .filter(|party| refs.party(cx, || fields.path_of("party"), party));
        let text_value = text(cx, &fields, "text");
        let proposes = read_proposal(cx, &fields, refs, settles);
        let describes = read_descriptions(cx, &fields, refs, settles, &proposes);
        let moment = refs.moment(cx, &fields, true);
        let source = text(cx, &fields, "source");
        let visibility = keyword_or(cx, &fields, "visibility", Visibility::Public);
        if let Some((_, instant)) = &moment {
            if *instant < introduced {
                let span = fields.get("round").or_else(|| fields.get("date")).map_or(fields.span.clone(), |node| node.span().range());
                cx.error(fields.path(), span, "a readout of the item before it was introduced (expected a moment at or after the item's)");
                continue;
            }
        }
        if text_value.is_empty() && proposes.is_empty() && describes.is_empty() {
            cx.warn(fields.path(), fields.span.clone(), "this readout says nothing (expected text, proposes or describes)");
        }
        let (Some(party), Some((at, _)), Some(visibility)) = (party, moment, visibility) else { continue };
        readouts.push(Readout { party: party.into_inner(), text: text_value, proposes, describes, at, source, visibility });
    }
    readouts
}

/// `describes = { issue = "words" }`: issues the item settles, described rather than valued.
fn read_descriptions(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    refs: &Refs<'_>,
    settles: &[String],
    proposes: &[(String, Value)],
) -> Vec<(String, String)> {
    let Some(node) = fields.get("describes") else { return Vec::new() };
    let Toml::Table(table) = node.value() else {
        wrong_type(cx, fields.path_of("describes"), node, "a table such as { enrichment = \"continues\" }");
        return Vec::new();
    };
    let mut described = Vec::new();
    for (key, value) in table.iter() {
        let issue = key.name;
        let path = format!("{}.{issue}", fields.path_of("describes"));
        if refs.issue(cx, || path.clone(), &Spanned::new(key.span.range(), issue.to_owned())).is_none() {
            continue;
        }
        if !settles.iter().any(|settled| settled == issue) {
            cx.error(
                path,
                key.span.range(),
                format!("the readout describes `{issue}` but the item does not settle it (add it to `settles`)"),
            );
            continue;
        }
        if proposes.iter().any(|(proposed, _)| proposed == issue) {
            cx.error(path, key.span.range(), format!("the readout both proposes and describes `{issue}` (expected one or the other)"));
            continue;
        }
        match value.value() {
            Toml::String(words) => described.push((issue.to_owned(), words.to_string())),
            _ => wrong_type(cx, path, value, "the party's words, as a string"),
        }
    }
    described
}

/// When a moment of the file happened.
fn instant_of(refs: &Refs<'_>, moment: &Moment) -> Instant {
    match moment {
        Moment::Start => Instant::START,
        Moment::Round(round) => refs.round_index.get(round.as_str()).and_then(|(_, instant)| *instant).unwrap_or(Instant::START),
        Moment::Date(date) => Instant::end_of(*date),
    }
}

/// The joint version of `item` in force at `at`.
fn version_at(refs: &Refs<'_>, item: &Item, at: Instant) -> usize {
    item.revisions.iter().filter(|revision| instant_of(refs, &Moment::Round(revision.round.clone())) <= at).count()
}

/// What a stance is on: `version = N` (a joint version) or `readout = "PARTY"` (that party's
/// readout), checked for every item the stance names.
pub(super) struct Target {
    pub version: Option<Spanned<i64>>,
    pub readout: Option<Spanned<String>>,
}

pub(super) fn read_target(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>) -> Target {
    let version = opt_integer(cx, fields, "version");
    let readout = opt_string(cx, fields, "readout").filter(|party| refs.party(cx, || fields.path_of("readout"), party));
    if let (Some(_), Some(readout)) = (&version, &readout) {
        cx.error(fields.path_of("readout"), readout.span(), "give either `version` or `readout`, not both");
        return Target { version: None, readout: None };
    }
    if let Some(version) = &version {
        if *version.get_ref() < 0 {
            cx.error(fields.path_of("version"), version.span(), format!("version {} is negative (expected 0 or more)", version.get_ref()));
            return Target { version: None, readout: None };
        }
    }
    Target { version, readout }
}

impl Target {
    /// Checks the target against one item at the stance's moment: the version must exist by then,
    /// and the party must have given a readout of the item by then.
    pub(super) fn check(&self, cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>, item: &Item, at: Instant) -> bool {
        let label = refs.negotiation.item_label(item);
        if let Some(version) = &self.version {
            let current = version_at(refs, item, at);
            if usize::try_from(*version.get_ref()).map_or(true, |wanted| wanted > current) {
                let message = format!("item {label} has no version {} by then (expected 0 to {current})", version.get_ref());
                return report(cx, fields.path_of("version"), version.span(), message);
            }
        }
        if let Some(party) = &self.readout {
            let given = item.readouts.iter().any(|readout| readout.party == *party.get_ref() && instant_of(refs, &readout.at) <= at);
            if !given {
                let message =
                    format!("{} has given no readout of item {label} by then (expected a party with a readout of it)", party.get_ref());
                return report(cx, fields.path_of("readout"), party.span(), message);
            }
        }
        true
    }

    pub(super) fn version(&self) -> Option<usize> {
        self.version.as_ref().and_then(|version| usize::try_from(*version.get_ref()).ok())
    }

    pub(super) fn readout(&self) -> String {
        self.readout.as_ref().map(|party| party.get_ref().clone()).unwrap_or_default()
    }
}

fn report(cx: &mut Cx<'_>, path: String, span: Range<usize>, message: String) -> bool {
    cx.error(path, span, message);
    false
}
