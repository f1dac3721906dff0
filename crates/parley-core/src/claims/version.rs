//! Claims about an item as it stood after a given round (`version = "ROUND"` on `item-agreed` and
//! `stance`), when that is an earlier version than the one of the statement.
//!
//! A party's stance on that version is its latest stance given by the statement on that version
//! or an earlier one: an objection stands until withdrawn, an acceptance covers one version, and a
//! stance on a later version says nothing about this one.

use super::{Evidence, Judged, Verdict};
use crate::model::Position;
use crate::status::{Record, unvalued};
use crate::timeline::Instant;

impl Record<'_> {
    /// The latest stance of `party` on version `version` of item `index` or an earlier one, given
    /// by `at`: (the version it is on, index in `negotiation.stances`).
    fn stance_on_version(&self, index: usize, party: &str, version: usize, at: Instant) -> Option<(usize, usize)> {
        self.stances_by(index, party, at)
            .iter()
            .rev()
            .map(|&(given_at, stance)| (self.stance_version(index, given_at, stance), stance))
            .find(|(on_version, _)| *on_version <= version)
    }

    /// Whether item `index`, read after round `round` (at `read_at`), is agreed as of `at`.
    pub(super) fn check_item_agreed_version(&self, index: usize, (round, read_at): (&str, Instant), at: Instant) -> Judged {
        let negotiation = self.negotiation;
        let item = &negotiation.items[index];
        let label = negotiation.item_label(item);
        if !self.introduced_by(index, read_at) {
            return (Verdict::Contradicted, format!("item {label} was not yet in the framework after {round}"), Vec::new());
        }
        let version = self.version_at(index, read_at);
        let text = self.item_at(index, version);
        if text.removed {
            return (Verdict::Contradicted, format!("item {label} had been removed from the framework after {round}"), Vec::new());
        }
        let fact = |party: &str, words: String| Evidence {
            item: Some(item.number),
            party: Some(party.to_owned()),
            fact: words,
            document: item.document.clone(),
        };
        let (mut blocking, mut opposing, mut undecided, mut pending) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for signatory in &negotiation.signatories {
            let Some((on_version, stance)) = self.stance_on_version(index, signatory, version, at) else {
                pending.push(fact(signatory, format!("{signatory} has stated no position on version {version} of item {label}")));
                continue;
            };
            let position = negotiation.stances[stance].position;
            let words = format!("{signatory}: {position} on version {on_version} of item {label}");
            match position {
                Position::RedLine => blocking.push(fact(signatory, words)),
                Position::Opposes => opposing.push(fact(signatory, words)),
                Position::Undecided => undecided.push(fact(signatory, words)),
                _ if on_version < version => pending.push(fact(signatory, format!("{words}, not on version {version}"))),
                _ => {}
            }
        }
        // Red lines of signatories that the values proposed after the round violate.
        let status = self.status_at(read_at);
        for check in status.red_lines.iter().filter(|check| check.holds == Some(false) && negotiation.holder_signs(&check.party)) {
            let concerns = check.items.iter().enumerate().any(|(position, number)| {
                *number == item.number && check.documents.get(position).map_or("", String::as_str) == item.document
            });
            if concerns {
                let words = format!("item {label} breaks {}'s red line {} ({})", check.party, check.id, check.expression);
                blocking.push(fact(&check.party, words));
            }
        }
        let as_it_stood = format!("item {label} as it stood after {round} (version {version})");
        if !blocking.is_empty() {
            blocking.extend(opposing);
            return (Verdict::Contradicted, format!("{as_it_stood} was blocked"), blocking);
        }
        if !opposing.is_empty() {
            return (Verdict::Contradicted, format!("{as_it_stood} was disputed"), opposing);
        }
        if !undecided.is_empty() {
            return (Verdict::Contradicted, format!("{as_it_stood} was open: a signatory was undecided"), undecided);
        }
        if !pending.is_empty() {
            let finding = format!("{as_it_stood} was open: the record lacks a signatory's stance on that version");
            return (Verdict::Unverifiable, finding, pending);
        }
        let missing = unvalued(&item.settles, &text.proposes);
        if !missing.is_empty() {
            let evidence = missing
                .iter()
                .map(|issue| Evidence {
                    item: Some(item.number),
                    party: None,
                    fact: format!("version {version} of item {label} proposes no value for {issue}"),
                    document: item.document.clone(),
                })
                .collect();
            return (
                Verdict::Contradicted,
                format!("{as_it_stood} was agreed in principle only: no value for {}", missing.join(", ")),
                evidence,
            );
        }
        (Verdict::Consistent, format!("{as_it_stood} was agreed by every signatory"), Vec::new())
    }

    /// Whether `party` held `position` on item `index` read after round `round` (at `read_at`),
    /// as of `at`.
    pub(super) fn check_stance_version(
        &self,
        index: usize,
        party: &str,
        position: Position,
        (round, read_at): (&str, Instant),
        at: Instant,
    ) -> Judged {
        let item = &self.negotiation.items[index];
        let label = self.negotiation.item_label(item);
        if !self.introduced_by(index, read_at) {
            return (Verdict::Contradicted, format!("item {label} was not yet in the framework after {round}"), Vec::new());
        }
        let version = self.version_at(index, read_at);
        let Some((on_version, stance)) = self.stance_on_version(index, party, version, at) else {
            let finding = format!("the record has no stance of {party} on version {version} of item {label} (after {round}) by then");
            return (Verdict::Unverifiable, finding, Vec::new());
        };
        let stance = &self.negotiation.stances[stance];
        let evidence = vec![Evidence {
            item: Some(item.number),
            party: Some(party.to_owned()),
            fact: format!(
                "{party}: {} on version {on_version} of item {label} (since {})",
                stance.position,
                Record::moment_label(&stance.at)
            ),
            document: item.document.clone(),
        }];
        if stance.position != position {
            let finding = format!("{party} held {} on version {version} of item {label}, not {position}", stance.position);
            return (Verdict::Contradicted, finding, evidence);
        }
        if on_version < version && position.is_acceptance() {
            // An acceptance covers one version (docs/status.md).
            let finding = format!("{party}'s {position} was of version {on_version} of item {label}, not of version {version}");
            return (Verdict::Unverifiable, finding, evidence);
        }
        (Verdict::Consistent, format!("{party} held {position} on version {version} of item {label}"), evidence)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// A record of two signatories and one item revised in `r2`, with the given stances
    /// (party, position, round), a red line of A the revision breaks, and a revision that
    /// withdraws the item's value.
    fn record_text(stances: &[(&str, Position, &str)], red_line: bool, withdraw: bool) -> String {
        let mut text = String::from(
            "[negotiation]\nid = \"t\"\ntitle = \"T\"\n\n[[parties]]\nid = \"A\"\nrole = \"principal\"\n\n\
             [[parties]]\nid = \"B\"\nrole = \"principal\"\n\n[[issues]]\nid = \"cap\"\nkind = \"integer\"\nmin = 0\nmax = 10\n\n\
             [[rounds]]\nid = \"r1\"\ndate = 2026-01-01\n\n[[rounds]]\nid = \"r2\"\ndate = 2026-02-01\n\n\
             [[items]]\nnumber = 1\ntitle = \"Cap\"\nsettles = [\"cap\"]\nproposes = { cap = 3 }\nround = \"r1\"\n\
             [[items.revisions]]\nround = \"r2\"\n",
        );
        text.push_str(if withdraw { "withdraws = [\"cap\"]\n\n" } else { "proposes = { cap = 7 }\n\n" });
        if red_line {
            text.push_str("[[red_lines]]\nid = \"a-cap\"\nparty = \"A\"\nexpr = \"cap <= 5\"\n\n");
        }
        for (party, position, round) in stances {
            let _ =
                write!(text, "[[stances]]\nparty = \"{party}\"\nitem = 1\nposition = \"{}\"\nround = \"{round}\"\n\n", position.keyword());
        }
        text
    }

    /// Every stance a party may give here: none, or one of each position in either round.
    fn one_stance() -> Vec<Option<(Position, &'static str)>> {
        let given = Position::ALL.iter().flat_map(|position| ["r1", "r2"].map(|round| Some((*position, round))));
        std::iter::once(None).chain(given).collect()
    }

    /// The rules for a named version, read with the current version, agree with the status
    /// engine's (through the claims without `version`) on every combination of stances, red line
    /// and withdrawn value: the version path is the status rules restated for any version.
    #[test]
    fn the_current_version_named_is_judged_as_the_status_judges_it() {
        let mut compared = 0;
        for first in one_stance() {
            for second in one_stance() {
                for b in one_stance() {
                    for (red_line, withdraw) in [(false, false), (true, false), (false, true), (true, true)] {
                        let mut stances = Vec::new();
                        stances.extend(first.map(|(position, round)| ("A", position, round)));
                        stances.extend(second.filter(|_| first.is_some()).map(|(position, round)| ("A", position, round)));
                        stances.extend(b.map(|(position, round)| ("B", position, round)));
                        let text = record_text(&stances, red_line, withdraw);
                        let Ok(scenario) = crate::scenario::parse(&text) else { continue };
                        let record = Record::new(&scenario.negotiation);
                        let r2 = record.timeline.round("r2").unwrap();
                        let at = Instant::END;
                        let by_status = record.check_item_agreed(1, "", None, at);
                        let by_version = record.check_item_agreed_version(0, ("r2", r2), at);
                        assert_eq!(by_version.0, by_status.0, "item-agreed on\n{text}\n{by_version:?}\n{by_status:?}");
                        for position in Position::ALL {
                            let by_status = record.check_stance("B", 1, position, "", at);
                            let by_version = record.check_stance_version(0, "B", position, ("r2", r2), at);
                            assert_eq!(by_version.0, by_status.0, "stance {position} on\n{text}\n{by_version:?}\n{by_status:?}");
                        }
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 4000, "only {compared} records compared");
    }
}
