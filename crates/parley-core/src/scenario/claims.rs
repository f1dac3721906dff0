//! The fields of `value` and `red-line-holds` claims, and a claim's `version` round.

use toml_spanner::Value as Toml;

use super::{Cx, Fields, Node, Refs, Spanned, check_ref, documents, keyword_or, opt_string, req_string, required, value_of, wrong_type};
use crate::claims::value::{Comparison, ValueClaim, ValueSource};
use crate::model::{ClaimKind, Keyword, RedLine};
use crate::timeline::Instant;

/// A claim's optional `version`: a round, not after the statement (made at `made`). `Err` when
/// it is given but wrong (already reported).
pub(super) fn claim_version(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    refs: &Refs<'_>,
    made: Option<Instant>,
) -> Result<Option<String>, ()> {
    let Some(version) = opt_string(cx, fields, "version") else {
        return if fields.has("version") { Err(()) } else { Ok(None) };
    };
    let at = refs.round(cx, || fields.path_of("version"), &version).ok_or(())?;
    // A statement can speak of the text as it stood, not of a later version.
    if made.is_some_and(|made| at > made) {
        let message = format!(
            "round `{}` ({}) comes after the statement (expected a round up to the statement's)",
            version.get_ref(),
            at.date().map_or_else(String::new, |date| date.to_string())
        );
        cx.error(fields.path_of("version"), version.span(), message);
        return Err(());
    }
    Ok(Some(version.into_inner()))
}

/// A `value` claim: `issue`, `op`, `value` typed like the issue (a list of such values for
/// `in`), `of`, `party` for a readout, and optionally `document` and `version`.
pub(super) fn read_value_claim(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>, made: Option<Instant>) -> Option<ClaimKind> {
    let issue_id = req_string(cx, fields, "issue", "the issue whose value is claimed");
    let issue = issue_id.as_ref().and_then(|id| refs.issue(cx, || fields.path_of("issue"), id));
    let words: Vec<&str> = Comparison::ALL.iter().map(|op| op.keyword()).collect();
    let expected = format!("one of: {}", words.join(", "));
    let op = required(cx, fields, "op", &expected, |cx| super::keyword::<Comparison>(cx, fields, "op"));
    let of = keyword_or(cx, fields, "of", ValueSource::Proposed);
    let party = read_readout_party(cx, fields, refs, of);
    let document = documents::claim_document(cx, fields, refs);
    let version = claim_version(cx, fields, refs, made);
    let phase = super::phases::claim_phase(cx, fields, refs, of);
    let values = match (issue, op) {
        (Some(issue), Some(op)) => claimed_values(cx, fields, issue, op),
        _ => None,
    };
    Some(ClaimKind::Value(ValueClaim {
        issue: issue?.id.clone(),
        op: op?,
        values: values?,
        of: of?,
        party: party.ok()?,
        document: document?,
        version: version.ok()?,
        phase: phase.ok()?,
    }))
}

/// `party` names whose readout: required with `of = "readout"`, refused otherwise.
fn read_readout_party(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>, of: Option<ValueSource>) -> Result<Option<String>, ()> {
    match of {
        Some(ValueSource::Readout) => req_string(cx, fields, "party", "the party whose readout is meant")
            .filter(|party| refs.party(cx, || fields.path_of("party"), party))
            .map(|party| Some(party.into_inner()))
            .ok_or(()),
        Some(of) => match fields.get("party") {
            Some(node) => {
                let message = format!("`party` names whose readout is meant: it needs `of = \"readout\"` (not \"{}\")", of.keyword());
                cx.error(fields.path_of("party"), node.span().range(), message);
                Err(())
            }
            None => Ok(None),
        },
        None => Err(()),
    }
}

/// The `value` of a value claim, checked against the issue's kind and domain, and against the
/// comparison (`in` takes a list; `<`, `<=`, `>`, `>=` need an ordered issue).
fn claimed_values(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    issue: &crate::model::Issue,
    op: Comparison,
) -> Option<Vec<crate::model::Value>> {
    let node = required(cx, fields, "value", "the value claimed, typed like the issue", |_| fields.get("value"))?;
    if op.is_ordering() && !issue.kind.is_ordered() {
        let message = format!(
            "`{}` is {} issue, not ordered: `{}` cannot compare its values (expected ==, != or in)",
            issue.id,
            super::with_article(issue.kind.keyword()),
            op.keyword()
        );
        cx.error(fields.path_of("op"), fields.get("op").map_or(fields.span.clone(), |op| op.span().range()), message);
        return None;
    }
    let one = |cx: &mut Cx<'_>, path: String, node: Node<'_, '_>| match value_of(node, &issue.kind) {
        Ok(value) => Some(value),
        Err(message) => {
            cx.error(path, node.span().range(), message);
            None
        }
    };
    if op != Comparison::In {
        return one(cx, fields.path_of("value"), node).map(|value| vec![value]);
    }
    let Toml::Array(array) = node.value() else {
        wrong_type(cx, fields.path_of("value"), node, &format!("a list of values of `{}` for `in`", issue.id));
        return None;
    };
    if array.is_empty() {
        cx.error(fields.path_of("value"), node.span().range(), format!("an empty list: `in` needs at least one value of `{}`", issue.id));
        return None;
    }
    let mut values = Vec::new();
    let mut fine = true;
    for (index, element) in array.iter().enumerate() {
        match one(cx, format!("{}[{index}]", fields.path_of("value")), element) {
            Some(value) => values.push(value),
            None => fine = false,
        }
    }
    fine.then_some(values)
}

/// A `red-line-holds` claim: `red_line`, the id of a red line of the file.
pub(super) fn read_red_line_claim(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, red_lines: &[RedLine]) -> Option<ClaimKind> {
    let id: Spanned<String> = req_string(cx, fields, "red_line", "the id of the red line claimed to hold")?;
    let ids = red_lines.iter().map(|red_line| red_line.id.as_str());
    check_ref(cx, fields.path_of("red_line"), &id, "red line", ids).then(|| ClaimKind::RedLineHolds { red_line: id.into_inner() })
}
