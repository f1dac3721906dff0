//! Public claims checked against the record as of the day (or round) they were made.
//!
//! Each claim gets a verdict — consistent, contradicted or unverifiable — and the evidence that
//! decides it: the items, stances and red lines in the record at that moment. A claim about a party
//! made by someone who does not speak for that party is marked as a third-party claim.

pub mod value;
mod version;

use serde::Serialize;

use crate::model::{Attribution, ClaimKind, Position, Statement};
use crate::status::{ItemState, Reason, Record};
use crate::timeline::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Consistent,
    Contradicted,
    Unverifiable,
}

impl Verdict {
    pub fn keyword(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::Contradicted => "contradicted",
            Verdict::Unverifiable => "unverifiable",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ClaimsReport {
    pub negotiation: String,
    pub statements: Vec<StatementCheck>,
    pub consistent: usize,
    pub contradicted: usize,
    pub unverifiable: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatementCheck {
    pub id: String,
    pub speaker: String,
    pub party: Option<String>,
    pub date: String,
    pub round: Option<String>,
    pub outlet: String,
    pub attribution: Attribution,
    pub quote: String,
    pub source: String,
    pub claims: Vec<ClaimCheck>,
    /// The member of `party` who spoke, when the statement names one (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// That member's body (leader, parliament, negotiator...), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Whether the quote is the speaker's words, a paraphrase or a translation.
    #[serde(skip_serializing_if = "crate::model::QuoteKind::is_verbatim")]
    pub quote_kind: crate::model::QuoteKind,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClaimCheck {
    pub kind: String,
    /// The claim in plain words, e.g. "UA accepts the framework".
    pub claim: String,
    pub negated: bool,
    /// The claim is about a party the speaker does not speak for.
    pub third_party: bool,
    pub verdict: Verdict,
    /// One sentence on why.
    pub finding: String,
    pub evidence: Vec<Evidence>,
    pub note: String,
    /// The same claim judged against the final record (as of `now`) rather than as of its
    /// statement; negation applies as to `verdict`.
    pub hindsight: Hindsight,
}

/// A claim's verdict against the final record.
#[derive(Clone, Debug, Serialize)]
pub struct Hindsight {
    pub verdict: Verdict,
    pub finding: String,
    pub evidence: Vec<Evidence>,
}

/// A verdict, its finding and its evidence.
type Judged = (Verdict, String, Vec<Evidence>);

/// A fact of the record that bears on a claim.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub item: Option<u32>,
    pub party: Option<String>,
    pub fact: String,
    /// The item's document, in a record with documents.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
}

impl Record<'_> {
    /// When a statement was made: its round if it names one, else the end of its day. A statement
    /// made during a round held over several days, before its last day, is at the end of its own
    /// day: the round's outcome (counted from its last day) was not yet known.
    pub fn statement_instant(&self, statement: &Statement) -> Instant {
        let during_span = |round: &str| {
            self.negotiation.round(round).and_then(|round| round.end).is_some_and(|end| statement.date.last_day() < end.first_day())
        };
        statement
            .round
            .as_deref()
            .filter(|round| !during_span(round))
            .and_then(|round| self.timeline.round(round))
            .unwrap_or_else(|| Instant::end_of(statement.date))
    }

    /// The body of the member a statement names, when the member has one.
    fn body_of(&self, statement: &Statement) -> Option<String> {
        let party = self.negotiation.party(statement.party.as_deref()?)?;
        let member = party.members.iter().find(|member| Some(&member.id) == statement.member.as_ref())?;
        (!member.body.is_empty()).then(|| member.body.clone())
    }

    /// The statements in the order they were made: by [`Record::statement_instant`] (date, then
    /// round order within a day), then as the file lists them.
    pub fn statements_in_order(&self) -> Vec<(Instant, &Statement)> {
        let mut statements: Vec<(Instant, &Statement)> =
            self.negotiation.statements.iter().map(|statement| (self.statement_instant(statement), statement)).collect();
        // A stable sort keeps file order among statements made at the same instant.
        statements.sort_by_key(|(instant, _)| *instant);
        statements
    }

    /// Checks every claim of every statement, in the order they were made.
    pub fn check_claims(&self) -> ClaimsReport {
        let mut statements = Vec::new();
        for (instant, statement) in self.statements_in_order() {
            let claims = statement
                .claims
                .iter()
                .map(|claim| {
                    let negate = |verdict: Verdict| match (verdict, claim.negated) {
                        (Verdict::Consistent, true) => Verdict::Contradicted,
                        (Verdict::Contradicted, true) => Verdict::Consistent,
                        (verdict, _) => verdict,
                    };
                    let (verdict, finding, evidence) = self.check(&claim.kind, instant);
                    let verdict = negate(verdict);
                    let (hindsight, hindsight_finding, hindsight_evidence) = self.check(&claim.kind, Instant::END);
                    let hindsight = Hindsight { verdict: negate(hindsight), finding: hindsight_finding, evidence: hindsight_evidence };
                    let third_party = claim.kind.subject().is_some_and(|subject| statement.party.as_deref() != Some(subject));
                    ClaimCheck {
                        kind: claim.kind.keyword().to_owned(),
                        claim: self.describe(&claim.kind, claim.negated),
                        negated: claim.negated,
                        third_party,
                        verdict,
                        finding,
                        evidence,
                        note: claim.note.clone(),
                        hindsight,
                    }
                })
                .collect();
            statements.push(StatementCheck {
                id: statement.id.clone(),
                speaker: statement.speaker.clone(),
                party: statement.party.clone(),
                date: statement.date.to_string(),
                round: statement.round.clone(),
                outlet: statement.outlet.clone(),
                attribution: statement.attribution,
                quote: statement.quote.clone(),
                source: statement.source.clone(),
                claims,
                member: statement.member.clone(),
                body: self.body_of(statement),
                quote_kind: statement.quote_kind,
            });
        }
        let count =
            |verdict: Verdict| statements.iter().flat_map(|statement| &statement.claims).filter(|claim| claim.verdict == verdict).count();
        ClaimsReport {
            negotiation: self.negotiation.id.clone(),
            consistent: count(Verdict::Consistent),
            contradicted: count(Verdict::Contradicted),
            unverifiable: count(Verdict::Unverifiable),
            statements,
        }
    }

    fn describe(&self, kind: &ClaimKind, negated: bool) -> String {
        let claim = match kind {
            ClaimKind::Accepts { party, version, document } => {
                let what = if document.is_empty() { "the framework".to_owned() } else { format!("document {document}") };
                match version {
                    Some(version) => format!("{party} accepts {what} as of {version}"),
                    None => format!("{party} accepts {what}"),
                }
            }
            ClaimKind::ItemAgreed { item, document, version } => {
                format!("item {} is agreed{}", self.label(document, *item), as_of(version))
            }
            ClaimKind::Stance { party, item, position, document, version } => {
                format!("{party}'s stance on item {} is {position}{}", self.label(document, *item), as_of(version))
            }
            ClaimKind::Value(claim) => self.describe_value(claim),
            ClaimKind::RedLineHolds { red_line } => format!("red line {red_line} holds"),
            ClaimKind::DifferencesMinor => "the remaining differences are minor".to_owned(),
            ClaimKind::Progress { at_least } => format!("at least {:.0}% of the items are agreed", at_least * 100.0),
        };
        if negated { format!("not: {claim}") } else { claim }
    }

    fn check(&self, kind: &ClaimKind, instant: Instant) -> Judged {
        match kind {
            ClaimKind::Accepts { party, version, document } => {
                let version_instant = version.as_deref().and_then(|round| self.timeline.round(round)).unwrap_or(instant);
                self.check_accepts(party, document, version_instant, instant)
            }
            ClaimKind::ItemAgreed { item, document, version } => self.check_item_agreed(*item, document, version.as_deref(), instant),
            ClaimKind::Stance { party, item: number, position, document, version: Some(round) } => {
                let item = &self.label(document, *number);
                let Some(index) = self.item_index(document, *number) else {
                    return (Verdict::Unverifiable, format!("item {item} is not in the record"), Vec::new());
                };
                let read_at = self.timeline.round(round).unwrap_or(instant);
                self.check_stance_version(index, party, *position, (round, read_at), instant)
            }
            ClaimKind::Stance { party, item: number, position, document, version: None } => {
                self.check_stance(party, *number, *position, document, instant)
            }
            ClaimKind::DifferencesMinor => self.check_differences_minor(instant),
            ClaimKind::Progress { at_least } => self.check_progress(*at_least, instant),
            ClaimKind::Value(claim) => self.check_value(claim, instant),
            ClaimKind::RedLineHolds { red_line } => self.check_red_line_holds(red_line, instant),
        }
    }

    fn item_index(&self, document: &str, number: u32) -> Option<usize> {
        self.negotiation.items.iter().position(|candidate| candidate.number == number && candidate.document == document)
    }

    /// Whether item `number` of `document` (as it stood after round `version`, if one is named)
    /// is agreed as of `instant`.
    fn check_item_agreed(&self, number: u32, document: &str, version: Option<&str>, instant: Instant) -> Judged {
        if let Some(round) = version {
            let read_at = self.timeline.round(round).unwrap_or(instant);
            // The version of the statement itself is judged as a claim without `version` is.
            if let Some(index) = self.item_index(document, number) {
                if !self.introduced_by(index, read_at) || self.version_at(index, read_at) != self.version_at(index, instant) {
                    return self.check_item_agreed_version(index, (round, read_at), instant);
                }
            }
        }
        let status = self.status_at(instant);
        let item = &self.label(document, number);
        match status.items.iter().find(|status| status.number == number && status.document == document) {
            None => (Verdict::Contradicted, format!("item {item} was not yet in the framework"), Vec::new()),
            Some(found) => {
                let evidence = reasons_evidence(found.number, &found.document, item, &found.reasons);
                match found.state {
                    ItemState::Agreed => (Verdict::Consistent, format!("item {item} was agreed by every signatory"), evidence),
                    ItemState::Removed => (Verdict::Contradicted, format!("item {item} had been removed from the framework"), evidence),
                    ItemState::Blocked | ItemState::Disputed => {
                        (Verdict::Contradicted, format!("item {item} was {}", found.state.keyword()), evidence)
                    }
                    ItemState::AgreedInPrinciple => {
                        // Nothing is agreed until everything is agreed, values included.
                        let evidence = found
                            .missing_values
                            .iter()
                            .map(|issue| Evidence {
                                item: Some(found.number),
                                party: None,
                                fact: format!("item {item} proposes no value for {issue}"),
                                document: found.document.to_owned(),
                            })
                            .collect();
                        let finding = format!("item {item} was agreed in principle only: no value for {}", found.missing_values.join(", "));
                        (Verdict::Contradicted, finding, evidence)
                    }
                    ItemState::Open => {
                        let undecided = found
                            .reasons
                            .iter()
                            .any(|reason| matches!(reason, Reason::NotAccepted { why: crate::status::Pending::Undecided, .. }));
                        if undecided {
                            (Verdict::Contradicted, format!("item {item} was open: a signatory was undecided"), evidence)
                        } else {
                            (
                                Verdict::Unverifiable,
                                format!("item {item} was open: the record lacks a signatory's stance on its current version"),
                                evidence,
                            )
                        }
                    }
                }
            }
        }
    }

    /// Whether `party` held `position` on item `number` of `document` as of `instant`.
    fn check_stance(&self, party: &str, number: u32, position: Position, document: &str, instant: Instant) -> Judged {
        let item = &self.label(document, number);
        let Some(index) = self.item_index(document, number) else {
            return (Verdict::Unverifiable, format!("item {item} is not in the record"), Vec::new());
        };
        if !self.introduced_by(index, instant) {
            // No one can hold a stance on an item not yet proposed, as for item-agreed.
            return (Verdict::Contradicted, format!("item {item} was not yet in the framework"), Vec::new());
        }
        match self.stance_at(index, party, instant) {
            None => (Verdict::Unverifiable, format!("the record has no stance of {party} on item {item} by then"), Vec::new()),
            Some((given_at, stance_index)) => {
                let stance = &self.negotiation.stances[stance_index];
                let evidence = vec![Evidence {
                    item: Some(number),
                    party: Some(party.to_owned()),
                    fact: format!("{party}: {} on item {item} (since {})", stance.position, Record::moment_label(&stance.at)),
                    document: document.to_owned(),
                }];
                let given_on = self.stance_version(index, given_at, stance_index);
                let current = self.version_at(index, instant);
                let stale = given_on < current;
                let accepting = |position: Position| matches!(position, Position::Accepts | Position::AcceptsWithReservations);
                if stance.position == position && stale && accepting(position) {
                    // An acceptance covers one version (docs/status.md): one of an earlier
                    // version says nothing about the current one.
                    let evidence = vec![Evidence {
                        item: Some(number),
                        party: Some(party.to_owned()),
                        fact: format!(
                            "{party}: {position} on version {given_on} of item {item} (since {}), not on version {current}",
                            Record::moment_label(&stance.at)
                        ),
                        document: document.to_owned(),
                    }];
                    let finding = format!(
                        "{party}'s {position} was of an earlier version of item {item}; the record lacks its stance on the current one"
                    );
                    (Verdict::Unverifiable, finding, evidence)
                } else if stance.position == position {
                    let finding = if stale {
                        format!("{party} held {position} on item {item}, given on an earlier version")
                    } else {
                        format!("{party} held {position} on item {item}")
                    };
                    (Verdict::Consistent, finding, evidence)
                } else {
                    (Verdict::Contradicted, format!("{party} held {} on item {item}, not {position}", stance.position), evidence)
                }
            }
        }
    }

    /// Whether nothing open was blocked by a red line as of `instant`.
    fn check_differences_minor(&self, instant: Instant) -> Judged {
        let status = self.status_at(instant);
        let blocked: Vec<_> = status.items.iter().filter(|item| item.state == ItemState::Blocked).collect();
        if blocked.is_empty() {
            let open = status.items.iter().filter(|item| matches!(item.state, ItemState::Open | ItemState::Disputed)).count();
            (Verdict::Consistent, format!("no open item was blocked by a red line ({open} still open or disputed)"), Vec::new())
        } else {
            let numbers: Vec<String> = blocked.iter().map(|item| self.label(&item.document, item.number)).collect();
            // Only what blocks counts here; pending acceptances are not conflicts.
            let evidence = blocked
                .iter()
                .flat_map(|item| {
                    let blocking = item
                        .reasons
                        .iter()
                        .filter(|reason| matches!(reason, Reason::RedLineStance { .. } | Reason::RedLineViolated { .. }));
                    reasons_evidence(item.number, &item.document, &self.label(&item.document, item.number), blocking)
                })
                .collect();
            (Verdict::Contradicted, format!("red lines blocked {}", item_list(&numbers)), evidence)
        }
    }

    /// Whether at least `at_least` of the items were agreed as of `instant`.
    fn check_progress(&self, at_least: f64, instant: Instant) -> Judged {
        let status = self.status_at(instant);
        let framework = &status.framework;
        let share = if framework.items == 0 { 0.0 } else { framework.agreed as f64 / framework.items as f64 };
        let finding = if framework.items == 0 {
            "the framework had no items yet (0% agreed)".to_owned()
        } else {
            format!("{} of {} agreed ({:.0}%)", framework.agreed, counted(framework.items, "item", "items"), share * 100.0)
        };
        let verdict = if share + 1e-12 >= at_least { Verdict::Consistent } else { Verdict::Contradicted };
        (verdict, finding, Vec::new())
    }

    fn check_accepts(&self, party: &str, document: &str, version_instant: Instant, instant: Instant) -> (Verdict, String, Vec<Evidence>) {
        let negotiation = self.negotiation;
        let mut refusing = Vec::new();
        let mut undocumented = Vec::new();
        let mut accepted = 0;
        let mut in_framework = 0;
        for (index, item) in negotiation.items.iter().enumerate() {
            // A claim about one document is judged on its items only.
            if !self.introduced_by(index, version_instant) || (!document.is_empty() && item.document != document) {
                continue;
            }
            let version = self.version_at(index, version_instant);
            if self.item_at(index, version).removed {
                continue;
            }
            in_framework += 1;
            match self.stance_at(index, party, instant) {
                None => undocumented.push(Evidence {
                    item: Some(item.number),
                    party: Some(party.to_owned()),
                    fact: format!("no stance of {party} on item {}", negotiation.item_label(item)),
                    document: item.document.clone(),
                }),
                Some((given_at, stance_index)) => {
                    let stance = &negotiation.stances[stance_index];
                    let on_version = self.stance_version(index, given_at, stance_index);
                    let since = Record::moment_label(&stance.at);
                    match stance.position {
                        Position::Accepts | Position::AcceptsWithReservations if on_version == version => accepted += 1,
                        Position::Accepts | Position::AcceptsWithReservations => undocumented.push(Evidence {
                            item: Some(item.number),
                            party: Some(party.to_owned()),
                            fact: format!(
                                "{party} accepted version {on_version} of item {} (since {since}), not version {version}",
                                negotiation.item_label(item)
                            ),
                            document: item.document.clone(),
                        }),
                        position => refusing.push((
                            position,
                            Evidence {
                                item: Some(item.number),
                                party: Some(party.to_owned()),
                                fact: format!(
                                    "{party}: {position} on item {} \"{}\" (since {since})",
                                    negotiation.item_label(item),
                                    item.title
                                ),
                                document: item.document.clone(),
                            },
                        )),
                    }
                }
            }
        }
        // Red lines of the party that the framework's values break.
        let status = self.status_at(version_instant);
        let negotiation = self.negotiation;
        let concerned = |check: &&crate::status::RedLineCheck| document.is_empty() || check.documents.iter().any(|of| of == document);
        for check in status
            .red_lines
            .iter()
            .filter(|check| negotiation.holds_for(&check.party, party) && check.holds == Some(false))
            .filter(concerned)
        {
            let items = check.item_labels(negotiation.has_several_documents());
            refusing.push((
                Position::RedLine,
                Evidence {
                    item: check.items.first().copied(),
                    party: Some(party.to_owned()),
                    fact: format!("red line {} ({}) is violated by {}", check.id, check.expression, item_list(&items)),
                    document: check.documents.first().cloned().unwrap_or_default(),
                },
            ));
        }
        if in_framework == 0 {
            return (Verdict::Unverifiable, "the framework had no items yet".to_owned(), Vec::new());
        }
        if accepted == in_framework {
            let all = if in_framework == 1 { "the one item".to_owned() } else { format!("all {in_framework} items") };
            return (Verdict::Consistent, format!("{party} had accepted {all}"), Vec::new());
        }
        if !refusing.is_empty() {
            // The strongest refusals first: red lines, then opposition, then indecision.
            refusing.sort_by_key(|(position, evidence)| (std::cmp::Reverse(*position), evidence.item));
            let mut red_lined: Vec<(String, u32)> = refusing
                .iter()
                .filter(|(position, _)| *position == Position::RedLine)
                .filter_map(|(_, evidence)| evidence.item.map(|item| (evidence.document.clone(), item)))
                .collect();
            red_lined.sort_unstable();
            red_lined.dedup();
            let mut finding = format!("{party} had accepted {accepted} of {}", counted(in_framework, "item", "items"));
            if !red_lined.is_empty() {
                let items: Vec<String> = red_lined.iter().map(|(document, item)| self.label(document, *item)).collect();
                finding.push_str(&format!(" and held red lines on {}", item_list(&items)));
            }
            let others = refusing.iter().filter(|(position, _)| *position != Position::RedLine).count();
            if others > 0 {
                finding.push_str(&format!("; {} opposed or undecided", counted(others, "more item", "more items")));
            }
            return (Verdict::Contradicted, finding, refusing.into_iter().map(|(_, evidence)| evidence).collect());
        }
        let finding = format!(
            "{party} had accepted {accepted} of {}; the record lacks its stance on the current version of the rest",
            counted(in_framework, "item", "items")
        );
        (Verdict::Unverifiable, finding, undocumented)
    }
}

fn reasons_evidence<'r>(item: u32, document: &str, label: &str, reasons: impl IntoIterator<Item = &'r Reason>) -> Vec<Evidence> {
    reasons
        .into_iter()
        .map(|reason| Evidence {
            item: Some(item),
            party: Some(reason.party().to_owned()),
            fact: reason.describe(&format!("item {label}"), reason.party()),
            document: document.to_owned(),
        })
        .collect()
}

/// ` as of ROUND` for a claim about the version after a round, else nothing.
fn as_of(version: &Option<String>) -> String {
    version.as_deref().map(|round| format!(" as of {round}")).unwrap_or_default()
}

/// `1 item`, `2 items`.
fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `item 3`, `items 3, 4`.
fn item_list(numbers: &[String]) -> String {
    let word = if numbers.len() == 1 { "item" } else { "items" };
    format!("{word} {}", numbers.join(", "))
}

impl Record<'_> {
    /// How item `number` of `document` is written: `N`, or `DOC:N` in a record of several documents.
    fn label(&self, document: &str, number: u32) -> String {
        crate::document::item_label(document, number, self.negotiation.has_several_documents())
    }
}
