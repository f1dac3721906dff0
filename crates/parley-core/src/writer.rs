//! Writing a negotiation back as a scenario file (the inverse of [`crate::scenario::parse`]).
//!
//! Every field is written explicitly — visibilities, kinds, defaults included — so that reading
//! the text back gives the same record whatever the defaults of the format become. Strings are
//! escaped as TOML basic strings (multi-line ones when they hold line breaks), reals keep every
//! digit they need to read back bit for bit, and sections come in the order of
//! `docs/scenario-format.md`.
//!
//! ```
//! let text = "[negotiation]\nid = \"demo\"\ntitle = \"A demo\"\n\n[[parties]]\nid = \"A\"\nrole = \"principal\"\n";
//! let negotiation = parley_core::scenario::parse(text).unwrap().negotiation;
//! let written = parley_core::writer::to_toml(&negotiation);
//! let again = parley_core::scenario::parse(&written).unwrap().negotiation;
//! assert_eq!(again.parties[0].id, "A");
//! ```

use std::fmt::Write;

use crate::bloc::Bloc;
use crate::date::{Date, Precision};
use crate::deadline::Deadline;
use crate::model::{
    ClaimKind, IssueKind, Item, Keyword, Moment, Negotiation, Party, Preference, RedLine, Revision, Round, Stance, Statement, Valuation,
    Value, Visibility,
};

/// The negotiation as scenario TOML.
pub fn to_toml(negotiation: &Negotiation) -> String {
    let mut out = Toml { first_phase: crate::phase::first_phase(&negotiation.phases).unwrap_or_default().to_owned(), ..Toml::default() };
    out.table("negotiation");
    out.string("id", &negotiation.id);
    out.string("title", &negotiation.title);
    out.text("description", &negotiation.description);
    out.strings("signatories", &negotiation.signatories);
    for party in &negotiation.parties {
        write_party(&mut out, party);
    }
    for bloc in &negotiation.blocs {
        write_bloc(&mut out, bloc);
    }
    for issue in &negotiation.issues {
        out.array_table("issues");
        out.string("id", &issue.id);
        out.string("name", &issue.name);
        out.text("description", &issue.description);
        out.raw("kind", &basic(issue.kind.keyword()));
        match &issue.kind {
            IssueKind::Choice { options, ordered } => {
                out.strings("options", options);
                out.raw("ordered", &ordered.to_string());
            }
            IssueKind::Integer { min, max, step, unit } => {
                out.raw("min", &min.to_string());
                out.raw("max", &max.to_string());
                out.raw("step", &step.to_string());
                out.text("unit", unit);
            }
            IssueKind::Real { min, max, unit } => {
                out.raw("min", &real(*min));
                out.raw("max", &real(*max));
                out.text("unit", unit);
            }
            IssueKind::Subset { elements } => out.strings("elements", elements),
            IssueKind::YesNo => {}
        }
    }
    for round in &negotiation.rounds {
        write_round(&mut out, round);
    }
    for document in &negotiation.documents {
        write_document(&mut out, document);
    }
    for phase in &negotiation.phases {
        write_phase(&mut out, phase);
    }
    for item in &negotiation.items {
        write_item(&mut out, item);
    }
    for stance in &negotiation.stances {
        write_stance(&mut out, stance);
    }
    for red_line in &negotiation.red_lines {
        write_red_line(&mut out, red_line);
    }
    for statement in &negotiation.statements {
        write_statement(&mut out, statement);
    }
    for demand in &negotiation.demands {
        out.array_table("demands");
        out.string("party", &demand.party);
        out.string("issue", &demand.issue);
        match (&demand.up_to, demand.alternatives.is_empty()) {
            (Some(up_to), _) => out.raw("range", &format!("[{}, {}]", value(&demand.value), value(up_to))),
            (None, false) => {
                let all: Vec<String> = std::iter::once(&demand.value).chain(&demand.alternatives).map(value).collect();
                out.raw("values", &format!("[{}]", all.join(", ")));
            }
            (None, true) => out.raw("value", &value(&demand.value)),
        }
        out.moment(&demand.at);
        out.raw("visibility", &basic(demand.visibility.keyword()));
        out.text("source", &demand.source);
        shared(&mut out, demand.bloc.as_deref());
        out.text("note", &demand.note);
    }
    for preference in &negotiation.preferences {
        write_preference(&mut out, preference);
    }
    for deadline in &negotiation.deadlines {
        write_deadline(&mut out, deadline);
    }
    write_implementation(&mut out, negotiation);
    for source in &negotiation.sources {
        out.array_table("sources");
        out.string("id", &source.id);
        out.string("title", &source.title);
        out.text("url", &source.url);
        out.text("outlet", &source.outlet);
        if let Some(day) = &source.date {
            out.raw("date", &date(day));
        }
        out.raw("reliability", &basic(source.reliability.keyword()));
        out.text("note", &source.note);
    }
    out.text
}

/// The bloc a `bloc`-visible entry is shared with, when it names one.
fn shared(out: &mut Toml, bloc: Option<&str>) {
    if let Some(bloc) = bloc {
        out.string("bloc", bloc);
    }
}

fn write_bloc(out: &mut Toml, bloc: &Bloc) {
    out.array_table("blocs");
    out.string("id", &bloc.id);
    out.string("name", &bloc.name);
    out.strings("members", &bloc.members);
    if let Some(speaker) = &bloc.speaks_for {
        out.string("speaks_for", speaker);
    }
    out.text("description", &bloc.description);
}

fn write_deadline(out: &mut Toml, deadline: &Deadline) {
    out.array_table("deadlines");
    out.string("id", &deadline.id);
    out.text("title", &deadline.title);
    out.raw("date", &date(&deadline.date));
    out.text("for", &deadline.purpose);
    if let Some(item) = deadline.item {
        out.raw("item", &item_reference(&deadline.document, item));
    }
    if let Some(met) = deadline.met {
        out.raw("met", &met.to_string());
    }
    out.text("source", &deadline.source);
    for extension in &deadline.extensions {
        out.array_table("deadlines.extensions");
        out.raw("on", &date(&extension.on));
        out.raw("to", &date(&extension.to));
        out.text("reason", &extension.reason);
    }
}

fn write_implementation(out: &mut Toml, negotiation: &Negotiation) {
    for obligation in &negotiation.obligations {
        out.array_table("obligations");
        out.string("id", &obligation.id);
        out.string("description", &obligation.description);
        if !obligation.items.is_empty() {
            // Numbers when the file has one document; `"DOC:N"` otherwise.
            let references: Vec<String> = obligation.items.iter().map(|number| item_reference(&obligation.document, *number)).collect();
            out.raw("items", &format!("[{}]", references.join(", ")));
        }
        if let Some(party) = &obligation.party {
            out.string("party", party);
        }
        if let Some(due) = &obligation.due {
            out.raw("due", &date(due));
        }
        out.text("source", &obligation.source);
    }
    for assessment in &negotiation.implementation {
        out.array_table("implementation");
        out.string("obligation", &assessment.obligation);
        out.moment(&assessment.at);
        out.raw("score", &assessment.score.points().to_string());
        out.text("source", &assessment.source);
        out.text("note", &assessment.note);
    }
}

fn write_party(out: &mut Toml, party: &Party) {
    out.array_table("parties");
    out.string("id", &party.id);
    out.string("name", &party.name);
    out.raw("role", &basic(party.role.keyword()));
    out.text("description", &party.description);
    if !party.members.is_empty() {
        let members: Vec<String> = party
            .members
            .iter()
            .map(|member| {
                let mut fields = vec![("id", basic(&member.id)), ("name", basic(&member.name))];
                if !member.title.is_empty() {
                    fields.push(("title", basic(&member.title)));
                }
                if !member.body.is_empty() {
                    fields.push(("body", basic(&member.body)));
                }
                inline(fields.iter().map(|(key, value)| (*key, value.as_str())))
            })
            .collect();
        out.raw("members", &format!("[\n    {},\n]", members.join(",\n    ")));
    }
}

fn write_round(out: &mut Toml, round: &Round) {
    out.array_table("rounds");
    out.string("id", &round.id);
    out.text("title", &round.title);
    if let Some(day) = &round.date {
        out.raw("date", &date(day));
    }
    if round.planned {
        out.raw("planned", "true");
    }
    out.text("venue", &round.venue);
    out.raw("kind", &basic(round.kind.keyword()));
    out.strings("participants", &round.participants);
    out.text("summary", &round.summary);
    if let Some(end) = &round.end {
        out.raw("end", &date(end));
    }
    out.channel(round.visibility, round.bloc.as_deref());
    if let Some(party) = &round.party {
        out.string("party", party);
    }
    if let Some(host) = &round.host {
        out.string("host", host);
    }
}

fn write_item(out: &mut Toml, item: &Item) {
    out.array_table("items");
    out.raw("number", &item.number.to_string());
    out.text("document", &item.document);
    out.string("title", &item.title);
    out.text("topic", &item.topic);
    out.text("text", &item.text);
    if !item.settles.is_empty() {
        out.strings("settles", &item.settles);
    }
    out.scheduled("proposes", &item.proposes, &item.schedules);
    out.moment(&item.introduced);
    if let Some(by) = &item.by {
        out.string("by", by);
    }
    out.channel(item.visibility, None);
    for revision in &item.revisions {
        write_revision(out, revision);
    }
    for readout in &item.readouts {
        out.array_table("items.readouts");
        out.string("party", &readout.party);
        out.text("text", &readout.text);
        out.values("proposes", &readout.proposes);
        if !readout.describes.is_empty() {
            let described: Vec<(&str, String)> = readout.describes.iter().map(|(issue, words)| (issue.as_str(), basic(words))).collect();
            out.raw("describes", &inline(described.iter().map(|(issue, words)| (*issue, words.as_str()))));
        }
        out.moment(&readout.at);
        out.text("source", &readout.source);
        out.raw("visibility", &basic(readout.visibility.keyword()));
    }
}

fn write_revision(out: &mut Toml, revision: &Revision) {
    out.array_table("items.revisions");
    out.string("round", &revision.round);
    if let Some(by) = &revision.by {
        out.string("by", by);
    }
    if let Some(title) = &revision.title {
        out.string("title", title);
    }
    if let Some(text) = &revision.text {
        out.string("text", text);
    }
    out.scheduled("proposes", &revision.proposes, &revision.schedules);
    if revision.removed {
        out.raw("removed", "true");
    }
    if revision.restored {
        out.raw("restored", "true");
    }
    out.text("note", &revision.note);
    out.text("source", &revision.source);
    if !revision.withdraws.is_empty() {
        out.strings("withdraws", &revision.withdraws);
    }
}

/// An item as a reference: `N`, or `"DOC:N"` for an item of a document.
fn item_reference(document: &str, number: u32) -> String {
    if document.is_empty() { number.to_string() } else { basic(&format!("{document}:{number}")) }
}

fn write_document(out: &mut Toml, document: &crate::document::Document) {
    out.array_table("documents");
    out.string("id", &document.id);
    out.string("title", &document.title);
    out.raw("kind", &basic(document.kind.keyword()));
    if let Some(supersedes) = &document.supersedes {
        out.string("supersedes", supersedes);
    }
    if let Some(implements) = &document.implements {
        out.string("implements", implements);
    }
    out.text("description", &document.description);
    for event in &document.events {
        out.array_table("documents.events");
        out.raw("state", &basic(event.state.keyword()));
        out.moment(&event.at);
        if let Some(until) = &event.until {
            out.raw("until", &until.to_string());
        }
        out.text("note", &event.note);
        out.text("source", &event.source);
    }
}

fn write_stance(out: &mut Toml, stance: &Stance) {
    out.array_table("stances");
    out.string("party", &stance.party);
    out.raw("item", &item_reference(&stance.document, stance.item));
    out.raw("position", &basic(stance.position.keyword()));
    if let Some(version) = stance.version {
        out.raw("version", &version.to_string());
    }
    out.text("readout", &stance.readout);
    out.moment(&stance.at);
    out.raw("visibility", &basic(stance.visibility.keyword()));
    out.text("source", &stance.source);
    out.text("note", &stance.note);
    shared(out, stance.bloc.as_deref());
}

fn write_red_line(out: &mut Toml, red_line: &RedLine) {
    out.array_table("red_lines");
    out.string("id", &red_line.id);
    out.string("party", &red_line.party);
    out.string("expr", &red_line.expression);
    out.text("description", &red_line.description);
    out.raw("visibility", &basic(red_line.visibility.keyword()));
    shared(out, red_line.bloc.as_deref());
    if let Some(since) = moment_value(&red_line.since) {
        out.raw("since", &since);
    }
    if let Some(until) = red_line.until.as_ref().and_then(moment_value) {
        out.raw("until", &until);
    }
    out.text("source", &red_line.source);
    if !red_line.disclose.is_nothing() {
        out.raw("disclose", &basic(red_line.disclose.keyword()));
    }
    if !red_line.ending.is_lapsed() {
        out.raw("ended", &basic(red_line.ending.keyword()));
    }
    out.text("reason", &red_line.reason);
    if let Some(replacement) = &red_line.replaced_by {
        out.string("replaced_by", replacement);
    }
    out.text("note", &red_line.note);
    if !red_line.phases.is_empty() {
        out.strings("phases", &red_line.phases);
    }
}

fn write_statement(out: &mut Toml, statement: &Statement) {
    out.array_table("statements");
    out.string("id", &statement.id);
    out.string("speaker", &statement.speaker);
    if let Some(party) = &statement.party {
        out.string("party", party);
    }
    if let Some(member) = &statement.member {
        out.string("member", member);
    }
    out.channel(statement.visibility, statement.bloc.as_deref());
    out.raw("date", &date(&statement.date));
    if let Some(round) = &statement.round {
        out.string("round", round);
    }
    out.text("venue", &statement.venue);
    out.text("outlet", &statement.outlet);
    out.raw("attribution", &basic(statement.attribution.keyword()));
    out.string("quote", &statement.quote);
    if !statement.quote_kind.is_verbatim() {
        out.raw("quote_kind", &basic(statement.quote_kind.keyword()));
    }
    out.text("source", &statement.source);
    for claim in &statement.claims {
        out.array_table("statements.claims");
        out.raw("kind", &basic(claim.kind.keyword()));
        match &claim.kind {
            ClaimKind::Accepts { party, version, document } => {
                out.string("party", party);
                if let Some(version) = version {
                    out.string("version", version);
                }
                out.text("document", document);
            }
            ClaimKind::ItemAgreed { item, document, version } => {
                out.raw("item", &item_reference(document, *item));
                if let Some(version) = version {
                    out.string("version", version);
                }
            }
            ClaimKind::Stance { party, item, position, document, version } => {
                out.string("party", party);
                out.raw("item", &item_reference(document, *item));
                out.raw("position", &basic(position.keyword()));
                if let Some(version) = version {
                    out.string("version", version);
                }
            }
            ClaimKind::DifferencesMinor => {}
            ClaimKind::Progress { at_least } => out.raw("at_least", &real(*at_least)),
            ClaimKind::Value(claim) => write_value_claim(out, claim),
            ClaimKind::RedLineHolds { red_line } => out.string("red_line", red_line),
        }
        if claim.negated {
            out.raw("negated", "true");
        }
        out.text("note", &claim.note);
    }
}

fn write_value_claim(out: &mut Toml, claim: &crate::claims::value::ValueClaim) {
    use crate::claims::value::Comparison;
    out.string("issue", &claim.issue);
    out.raw("op", &basic(claim.op.keyword()));
    match (claim.op, claim.values.as_slice()) {
        (Comparison::In, values) => {
            let written: Vec<String> = values.iter().map(value).collect();
            out.raw("value", &format!("[{}]", written.join(", ")));
        }
        (_, [one]) => out.raw("value", &value(one)),
        // The reader gives every other comparison exactly one value.
        (_, values) => out.raw("value", &values.first().map_or_else(|| "[]".to_owned(), value)),
    }
    out.raw("of", &basic(claim.of.keyword()));
    if let Some(party) = &claim.party {
        out.string("party", party);
    }
    out.text("document", &claim.document);
    if let Some(version) = &claim.version {
        out.string("version", version);
    }
    if let Some(phase) = &claim.phase {
        out.string("phase", phase);
    }
}

fn write_preference(out: &mut Toml, preference: &Preference) {
    out.array_table("preferences");
    out.string("party", &preference.party);
    out.raw("visibility", &basic(preference.visibility.keyword()));
    out.raw("reservation", &real(preference.reservation));
    shared(out, preference.bloc.as_deref());
    out.table("preferences.issues");
    for issue in &preference.issues {
        let weight = real(issue.weight);
        let mut fields: Vec<(&str, String)> = vec![("weight", weight)];
        match &issue.valuation {
            Valuation::Linear { best, worst } => {
                fields.push(("best", real(*best)));
                fields.push(("worst", real(*worst)));
            }
            Valuation::Table { values } => fields.push(("values", scores(values))),
            Valuation::Elements { empty, elements } => {
                fields.push(("empty", real(*empty)));
                fields.push(("elements", scores(elements)));
            }
        }
        out.raw(&issue.issue, &inline(fields.iter().map(|(key, value)| (*key, value.as_str()))));
    }
}

/// A TOML document being written, one section after another.
#[derive(Default)]
struct Toml {
    text: String,
    /// The id of the negotiation's first phase, under which a schedule writes its first value.
    first_phase: String,
}

impl Toml {
    fn table(&mut self, name: &str) {
        self.header(&format!("[{name}]"));
    }

    fn array_table(&mut self, name: &str) {
        self.header(&format!("[[{name}]]"));
    }

    fn header(&mut self, header: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(header);
        self.text.push('\n');
    }

    fn raw(&mut self, key: &str, value: &str) {
        let _ = writeln!(self.text, "{} = {value}", bare_or_quoted(key));
    }

    fn string(&mut self, key: &str, value: &str) {
        self.raw(key, &string(value));
    }

    /// An optional text field: left out when empty (the format's default).
    fn text(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.string(key, value);
        }
    }

    fn strings(&mut self, key: &str, values: &[String]) {
        self.raw(key, &list(values.iter().map(String::as_str)));
    }

    fn values(&mut self, key: &str, pairs: &[(String, Value)]) {
        if !pairs.is_empty() {
            let rendered: Vec<(&str, String)> = pairs.iter().map(|(issue, proposed)| (issue.as_str(), value(proposed))).collect();
            self.raw(key, &inline(rendered.iter().map(|(issue, proposed)| (*issue, proposed.as_str()))));
        }
    }

    /// Proposed values, each issue with a schedule as `{ first-phase = value, phase = value }`
    /// (and `lapses = "phase"` for a provision that ends there).
    fn scheduled(&mut self, key: &str, pairs: &[(String, Value)], schedules: &[crate::phase::Schedule]) {
        if schedules.is_empty() {
            return self.values(key, pairs);
        }
        let rendered: Vec<(&str, String)> = pairs
            .iter()
            .map(|(issue, proposed)| match schedules.iter().find(|schedule| schedule.issue == *issue) {
                None => (issue.as_str(), value(proposed)),
                Some(schedule) => {
                    let first = (self.first_phase.clone(), value(proposed));
                    let changes = schedule.changes.iter().map(|change| match &change.value {
                        Some(proposed) => (change.phase.clone(), value(proposed)),
                        None => ("lapses".to_owned(), basic(&change.phase)),
                    });
                    let entries: Vec<(String, String)> = std::iter::once(first).chain(changes).collect();
                    (issue.as_str(), inline(entries.iter().map(|(phase, written)| (phase.as_str(), written.as_str()))))
                }
            })
            .collect();
        self.raw(key, &inline(rendered.iter().map(|(issue, proposed)| (*issue, proposed.as_str()))));
    }

    /// A round's, item's or statement's channel: nothing when public (as files written before
    /// channels existed), else its visibility and the bloc it is shared with.
    fn channel(&mut self, visibility: Visibility, bloc: Option<&str>) {
        if visibility != Visibility::Public {
            self.raw("visibility", &basic(visibility.keyword()));
        }
        if let Some(bloc) = bloc {
            self.string("bloc", bloc);
        }
    }

    /// When something happened, as the `round`/`date` field of its table (nothing for the start).
    fn moment(&mut self, moment: &Moment) {
        match moment {
            Moment::Start => {}
            Moment::Round(round) => self.string("round", round),
            Moment::Date(day) => self.raw("date", &date(day)),
        }
    }
}

/// A `since`/`until` value: a round id or a date.
fn moment_value(moment: &Moment) -> Option<String> {
    match moment {
        Moment::Start => None,
        Moment::Round(round) => Some(basic(round)),
        Moment::Date(day) => Some(date(day)),
    }
}

/// A date as written: a TOML date for a day, a string for a month or a year (TOML has no such
/// literal).
fn date(date: &Date) -> String {
    match date.precision() {
        Precision::Day => date.to_string(),
        Precision::Month | Precision::Year => basic(&date.to_string()),
    }
}

fn value(value: &Value) -> String {
    match value {
        Value::Choice(option) => basic(option),
        Value::Integer(number) => number.to_string(),
        Value::Real(number) => real(*number),
        Value::Set(elements) => list(elements.iter().map(String::as_str)),
        Value::Bool(flag) => flag.to_string(),
    }
}

/// A real that reads back as the same `f64` and as a TOML float (never as an integer).
fn real(number: f64) -> String {
    if number.is_nan() {
        "nan".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 { "inf".to_owned() } else { "-inf".to_owned() }
    } else {
        // `{:?}` is the shortest text that round-trips, and always has a `.` or an exponent.
        format!("{number:?}")
    }
}

fn scores(pairs: &[(String, f64)]) -> String {
    let rendered: Vec<(&str, String)> = pairs.iter().map(|(name, score)| (name.as_str(), real(*score))).collect();
    inline(rendered.iter().map(|(name, score)| (*name, score.as_str())))
}

fn inline<'a>(fields: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let parts: Vec<String> = fields.map(|(key, value)| format!("{} = {value}", bare_or_quoted(key))).collect();
    if parts.is_empty() { "{}".to_owned() } else { format!("{{ {} }}", parts.join(", ")) }
}

fn list<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values.map(basic).collect();
    format!("[{}]", quoted.join(", "))
}

fn bare_or_quoted(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_owned() } else { basic(key) }
}

/// A string value: multi-line when it holds line breaks, so long texts stay readable.
fn string(text: &str) -> String {
    if text.contains('\n') {
        // The newline right after the opening quotes is dropped by readers; every quote is escaped,
        // so the text can never close the string early.
        format!("\"\"\"\n{}\"\"\"", escape(text, true))
    } else {
        basic(text)
    }
}

/// A one-line basic string.
fn basic(text: &str) -> String {
    format!("\"{}\"", escape(text, false))
}

fn escape(text: &str, multiline: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            '\n' if multiline => escaped.push('\n'),
            '\n' => escaped.push_str("\\n"),
            '\t' => escaped.push_str("\\t"),
            '\r' => escaped.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(escaped, "\\u{:04X}", c as u32);
            }
            c => escaped.push(c),
        }
    }
    escaped
}

fn write_phase(out: &mut Toml, phase: &crate::phase::Phase) {
    use crate::phase::PhaseStart;
    out.array_table("phases");
    out.string("id", &phase.id);
    out.text("name", &phase.name);
    out.text("description", &phase.description);
    match &phase.starts {
        PhaseStart::EntryIntoForce => {}
        PhaseStart::Date { date: day } => out.raw("date", &date(day)),
        PhaseStart::Round { round } => out.string("round", round),
        PhaseStart::After { amount, unit } => out.string("after", &PhaseStart::duration_text(*amount, *unit)),
    }
    out.text("source", &phase.source);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_everything_toml_needs() {
        assert_eq!(basic("a \"b\" \\ c\td"), r#""a \"b\" \\ c\td""#);
        assert_eq!(basic("bell\u{7}"), r#""bell\u0007""#);
        assert_eq!(string("two\nlines \"\"\""), "\"\"\"\ntwo\nlines \\\"\\\"\\\"\"\"\"");
    }

    #[test]
    fn reals_are_floats() {
        assert_eq!(real(6.0), "6.0");
        assert_eq!(real(0.1), "0.1");
        assert_eq!(real(1e-7), "1e-7");
        assert_eq!(real(-0.0), "-0.0");
    }

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(bare_or_quoted("24-months"), "24-months");
        assert_eq!(bare_or_quoted("two words"), "\"two words\"");
        assert_eq!(bare_or_quoted(""), "\"\"");
    }
}
