//! Parts shared by pages: an item's versions and stance history, a diff in words, zones as bars,
//! and the recording forms each role may use (rendered only for a token that may write them).

use std::collections::BTreeMap;

use maud::{Markup, html};
use parley_analysis::scenario::Zopa;
use parley_core::diff::Diff;
use parley_core::model::{Item, Negotiation, Position};

use crate::auth::Role;

use super::layout;
use super::pages::{Context, label, moment};

/// The values of a form's fields (to fill a form again after a refused write).
pub(super) type Fields = BTreeMap<String, String>;

/// One version of an item.
#[derive(Debug)]
pub(super) struct Version {
    pub heading: String,
    pub title: String,
    pub body: String,
    pub proposes: Vec<String>,
}

impl Version {
    /// What the word diff compares: title, text and proposed values.
    pub fn text(&self) -> String {
        let mut text = format!("{} — {}", self.title, self.body);
        for value in &self.proposes {
            text.push_str("; ");
            text.push_str(value);
        }
        text
    }
}

/// The item's versions in order: as introduced, then after each revision.
pub(super) fn versions(item: &Item) -> Vec<Version> {
    let values =
        |proposes: &[(String, parley_core::model::Value)]| proposes.iter().map(|(issue, value)| format!("{issue} = {value}")).collect();
    let mut versions = vec![Version {
        heading: format!("1: introduced {}", moment(&item.introduced)),
        title: item.title.clone(),
        body: item.text.clone(),
        proposes: values(&item.proposes),
    }];
    for revision in &item.revisions {
        let last = versions
            .last()
            .map_or_else(|| unreachable_version(item), |last| (last.title.clone(), last.body.clone(), last.proposes.clone()));
        let (title, body, mut proposes) = last;
        if !revision.proposes.is_empty() {
            let changed: Vec<String> = values(&revision.proposes);
            proposes.retain(|held: &String| !revision.proposes.iter().any(|(issue, _)| held.starts_with(&format!("{issue} = "))));
            proposes.extend(changed);
        }
        proposes.retain(|held: &String| !revision.withdraws.iter().any(|issue| held.starts_with(&format!("{issue} = "))));
        let mut heading = format!("{}: revised in {}", versions.len() + 1, revision.round);
        if let Some(by) = &revision.by {
            heading.push_str(&format!(" by {by}"));
        }
        if revision.removed {
            heading.push_str(" (removed)");
        }
        if !revision.note.is_empty() {
            heading.push_str(&format!(" — {}", revision.note));
        }
        versions.push(Version {
            heading,
            title: revision.title.clone().unwrap_or(title),
            body: revision.text.clone().unwrap_or(body),
            proposes,
        });
    }
    versions
}

fn unreachable_version(item: &Item) -> (String, String, Vec<String>) {
    (item.title.clone(), item.text.clone(), Vec::new())
}

/// Each party's stances on `item`, in the record's order.
pub(super) fn stance_history(negotiation: &Negotiation, item: &Item) -> Markup {
    let mut parties: Vec<&str> = Vec::new();
    let stances: Vec<_> =
        negotiation.stances.iter().filter(|stance| stance.item == item.number && stance.document == item.document).collect();
    for stance in &stances {
        if !parties.contains(&stance.party.as_str()) {
            parties.push(&stance.party);
        }
    }
    html! {
        @if stances.is_empty() { p { "No stances recorded that this viewer sees." } }
        @for party in parties {
            h3 dir="auto" { (party) }
            ol.history {
                @for stance in stances.iter().filter(|stance| stance.party == party) {
                    li dir="auto" { (moment(&stance.at)) ": " (layout::position(stance.position))
                        @if !stance.note.is_empty() { " — " (stance.note) } }
                }
            }
        }
    }
}

/// What a diff changed, in words.
pub(super) fn diff_summary(diff: &Diff) -> Markup {
    let total = diff.introduced.len() + diff.revisions.len() + diff.stance_changes.len() + diff.status_changes.len();
    // A window of a large record may hold thousands of changes: the first of each kind, then a count.
    let cap = super::pages::MAX_LISTED / 4;
    let nothing = diff.introduced.is_empty()
        && diff.revisions.is_empty()
        && diff.stance_changes.is_empty()
        && diff.status_changes.is_empty()
        && diff.red_lines_drawn.is_empty()
        && diff.red_lines_dropped.is_empty()
        && diff.statements.is_empty();
    html! {
        @if nothing { p { "Nothing changed." } }
        ul.changes {
            @for item in diff.introduced.iter().take(cap) { li dir="auto" { "Item " (label(&item.document, item.number)) " introduced: " (item.title) } }
            @for revision in diff.revisions.iter().take(cap) {
                li dir="auto" { "Item " (revision.item) " revised in " (revision.round) " (version " (revision.version) ")"
                    @if revision.removed { ", removed" } @if !revision.note.is_empty() { ": " (revision.note) } }
            }
            @for change in diff.stance_changes.iter().take(cap) {
                li dir="auto" { (change.party) " on item " (label(&change.document, change.item)) ": "
                    @match change.before { Some(before) => { (layout::position(before)) " → " }, None => {} }
                    (layout::position(change.after)) }
            }
            @for change in diff.status_changes.iter().take(cap) {
                li dir="auto" { "Item " (label(&change.document, change.item)) " " (change.title) ": "
                    @match change.before { Some(before) => { (layout::state(before.keyword())) " → " }, None => {} }
                    (layout::state(change.after.keyword())) }
            }
            @for id in &diff.red_lines_drawn { li dir="auto" { "Red line drawn: " (id) } }
            @for id in &diff.red_lines_dropped { li dir="auto" { "Red line dropped: " (id) } }
            @for id in &diff.statements { li dir="auto" { "Statement: " (id) } }
        }
        @let listed = diff.introduced.len().min(cap) + diff.revisions.len().min(cap) + diff.stance_changes.len().min(cap) + diff.status_changes.len().min(cap);
        @if total > listed { p { "… and " (total - listed) " more changes (the timeline and each item's page list them)." } }
    }
}

/// A zone of agreement as bars: each party's acceptable range and demand on the issue's scale.
pub(super) fn zone(zopa: &Zopa) -> Markup {
    let numbers = |value: &Option<parley_core::model::Value>| value.as_ref().and_then(|value| value.to_string().parse::<f64>().ok());
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for range in &zopa.parties {
        for end in [numbers(&range.low), numbers(&range.high)].into_iter().flatten() {
            low = low.min(end);
            high = high.max(end);
        }
    }
    for position in &zopa.positions {
        low = low.min(position.low);
        high = high.max(position.high);
    }
    let span = if high > low { high - low } else { 1.0 };
    let bar = |from: f64, to: f64| {
        format!("margin-inline-start:{:.1}%;width:{:.1}%", (from - low) / span * 100.0, ((to - from) / span * 100.0).max(1.0))
    };
    html! {
        div.zone {
            h3 dir="auto" { (zopa.issue) }
            p dir="auto" { (zopa.explanation) }
            @if low.is_finite() && high.is_finite() {
                dl.bars {
                    @for range in &zopa.parties {
                        dt dir="auto" { (range.party) " accepts" }
                        dd { @if let (Some(from), Some(to)) = (numbers(&range.low), numbers(&range.high)) {
                            span.bar.accepts style=(bar(from, to)) {} } " " (range.values) }
                    }
                    @for position in &zopa.positions {
                        dt dir="auto" { (position.party) " demands" }
                        dd { span.bar.demand style=(bar(position.low, position.high)) {} " " (position.demand) }
                    }
                }
            }
        }
    }
}

/// The hidden fields every recording form carries: the CSRF token, the head the page was
/// rendered at, and the page to come back to.
fn hidden(context: &Context<'_>, back: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(context.session.csrf);
        input type="hidden" name="head" value=(context.head.hash);
        input type="hidden" name="seq" value=(context.head.seq);
        input type="hidden" name="back" value=(back);
    }
}

/// The role of the session when its token writes.
pub(super) fn writer(context: &Context<'_>) -> Option<Role> {
    context.session.caller.writer().ok()
}

fn value<'a>(fields: &'a Fields, name: &str, default: &'a str) -> &'a str {
    fields.get(name).map_or(default, String::as_str)
}

/// The id of a new round or statement: only a token that sees the whole record (`admin`) names
/// it, and may leave it to the server; for any other the server assigns it (`crate::ids`).
fn id_field(context: &Context<'_>, input: &str, fields: &Fields) -> Markup {
    if context.session.caller.role() != Role::Admin {
        return html! { p.hint { "Its id is assigned when it is recorded." } };
    }
    html! {
        label for=(input) { "Id (assigned when left empty)" }
        input id=(input) name="id" pattern="[A-Za-z0-9_\\-]*" value=(value(fields, "id", ""));
    }
}

/// Today, as the record writes dates.
pub(super) fn today() -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
    parley_core::date::Date::from_days_since_epoch((seconds / 86_400) as i64).to_string()
}

/// The stance form of a party's writer, for `item`.
pub(super) fn stance_form(context: &Context<'_>, party: &str, item: &Item, fields: &Fields) -> Markup {
    let number = item.number.to_string();
    let back = format!("/n/{}/items/{}", context.negotiation.id, label(&item.document, item.number));
    let today = today();
    html! {
        form.record method="post" action={ "/n/" (context.negotiation.id) "/record/stance" } {
            h2 { "Record " (party) "'s stance" }
            (hidden(context, &back))
            input type="hidden" name="item" value=(value(fields, "item", &number));
            input type="hidden" name="document" value=(value(fields, "document", &item.document));
            label for="stance-position" { "Position" }
            select #stance-position name="position" {
                @for position in Position::ALL {
                    option value=(position.keyword()) selected[value(fields, "position", "") == position.keyword()] { (position.keyword()) }
                }
            }
            label for="stance-at" { "When (a round id or a date)" }
            input #stance-at name="at" required value=(value(fields, "at", &today));
            (visibility(fields, "stance"))
            label for="stance-note" { "Note" }
            textarea #stance-note name="note" dir="auto" { (value(fields, "note", "")) }
            button type="submit" { "Record the stance" }
        }
    }
}

fn visibility(fields: &Fields, prefix: &str) -> Markup {
    let id = format!("{prefix}-visibility");
    html! {
        label for=(id) { "Who may see it" }
        select id=(id) name="visibility" {
            @for (keyword, words) in [("public", "everyone"), ("mediator", "the mediator and us"), ("private", "only us")] {
                option value=(keyword) selected[value(fields, "visibility", "public") == keyword] { (words) }
            }
        }
    }
}

/// The mediator's revision form for `item`.
pub(super) fn revision_form(context: &Context<'_>, item: &Item, fields: &Fields) -> Markup {
    let back = format!("/n/{}/items/{}", context.negotiation.id, label(&item.document, item.number));
    let rounds: Vec<&str> = context.view.negotiation().rounds.iter().map(|round| round.id.as_str()).collect();
    let current = versions(item).pop().map(|version| version.body).unwrap_or_default();
    html! {
        form.record method="post" action={ "/n/" (context.negotiation.id) "/record/revision" } {
            h2 { "Revise this item" }
            (hidden(context, &back))
            input type="hidden" name="item" value=(item.number);
            input type="hidden" name="document" value=(item.document);
            label for="revision-round" { "Round" }
            select #revision-round name="round" {
                @for round in &rounds { option value=(round) selected[value(fields, "round", rounds.last().copied().unwrap_or("")) == *round] dir="auto" { (round) } }
            }
            label for="revision-text" { "Text" }
            textarea #revision-text name="text" rows="5" dir="auto" required { (value(fields, "text", &current)) }
            label for="revision-note" { "Note" }
            input #revision-note name="note" dir="auto" value=(value(fields, "note", ""));
            button type="submit" { "Record the revision" }
        }
    }
}

/// The mediator's round form.
pub(super) fn round_form(context: &Context<'_>, fields: &Fields) -> Markup {
    let back = format!("/n/{}/timeline", context.negotiation.id);
    html! {
        form.record method="post" action={ "/n/" (context.negotiation.id) "/record/round" } {
            h2 { "Add a round" }
            (hidden(context, &back))
            (id_field(context, "round-id", fields))
            label for="round-title" { "Title" }
            input #round-title name="title" dir="auto" required value=(value(fields, "title", ""));
            label for="round-date" { "Date" }
            input #round-date name="date" type="date" required value=(value(fields, "date", &today()));
            label for="round-venue" { "Venue" }
            input #round-venue name="venue" dir="auto" value=(value(fields, "venue", ""));
            button type="submit" { "Add the round" }
        }
    }
}

/// A party's (or the mediator's) statement form, with one optional claim about an item.
pub(super) fn statement_form(context: &Context<'_>, party: Option<&str>, fields: &Fields) -> Markup {
    let back = format!("/n/{}/claims", context.negotiation.id);
    let items: Vec<String> = context.view.negotiation().items.iter().map(|item| label(&item.document, item.number)).collect();
    html! {
        form.record method="post" action={ "/n/" (context.negotiation.id) "/record/statement" } {
            h2 { "Record a statement" }
            (hidden(context, &back))
            input type="hidden" name="party" value=(party.unwrap_or(""));
            (id_field(context, "statement-id", fields))
            label for="statement-speaker" { "Speaker" }
            input #statement-speaker name="speaker" dir="auto" required value=(value(fields, "speaker", ""));
            label for="statement-date" { "Date" }
            input #statement-date name="date" type="date" required value=(value(fields, "date", &today()));
            label for="statement-quote" { "Quote" }
            textarea #statement-quote name="quote" dir="auto" required { (value(fields, "quote", "")) }
            fieldset {
                legend { "Claim (optional)" }
                label for="statement-claim-item" { "Item claimed agreed" }
                select #statement-claim-item name="claim_item" {
                    option value="" { "no claim" }
                    @for item in &items { option value=(item) selected[value(fields, "claim_item", "") == item] { (item) } }
                }
                label.inline { input type="checkbox" name="claim_negated" value="yes" checked[value(fields, "claim_negated", "") == "yes"]; " claimed not agreed" }
            }
            button type="submit" { "Record the statement" }
        }
    }
}

/// A party's demand form.
pub(super) fn demand_form(context: &Context<'_>, party: &str, fields: &Fields) -> Markup {
    let back = format!("/n/{}", context.negotiation.id);
    let issues: Vec<&str> = context.view.negotiation().issues.iter().map(|issue| issue.id.as_str()).collect();
    html! {
        form.record method="post" action={ "/n/" (context.negotiation.id) "/record/demand" } {
            h2 { "Record " (party) "'s demand" }
            (hidden(context, &back))
            label for="demand-issue" { "Issue" }
            select #demand-issue name="issue" {
                @for issue in &issues { option value=(issue) selected[value(fields, "issue", "") == *issue] dir="auto" { (issue) } }
            }
            label for="demand-value" { "Value" }
            input #demand-value name="value" dir="auto" required value=(value(fields, "value", ""));
            label for="demand-at" { "When (a round id or a date)" }
            input #demand-at name="at" required value=(value(fields, "at", &today()));
            (visibility(fields, "demand"))
            button type="submit" { "Record the demand" }
        }
    }
}

/// The forms of the dashboard: a party's demand.
pub(super) fn forms_for_dashboard(context: &Context<'_>) -> Markup {
    match writer(context) {
        Some(Role::Party(party)) => demand_form(context, &party, &Fields::new()),
        _ => html! {},
    }
}

/// The forms of an item's page: a party's stance, the mediator's revision.
pub(super) fn forms_for_item(context: &Context<'_>, item: &Item) -> Markup {
    match writer(context) {
        Some(Role::Party(party)) => stance_form(context, &party, item, &Fields::new()),
        Some(Role::Mediator | Role::Admin) => revision_form(context, item, &Fields::new()),
        _ => html! {},
    }
}

/// The forms of the timeline: the mediator's round.
pub(super) fn forms_for_timeline(context: &Context<'_>) -> Markup {
    match writer(context) {
        Some(Role::Mediator | Role::Admin) => round_form(context, &Fields::new()),
        _ => html! {},
    }
}

/// The forms of the claims page: a statement.
pub(super) fn forms_for_claims(context: &Context<'_>) -> Markup {
    match writer(context) {
        Some(Role::Party(party)) => statement_form(context, Some(&party), &Fields::new()),
        Some(Role::Mediator) => statement_form(context, None, &Fields::new()),
        _ => html! {},
    }
}
