//! A negotiation as one viewer may see it, and everything computed from it: status, diff, claims,
//! positions, implementation.

use parley_core::claims::{ClaimsReport, Verdict};
use parley_core::diff::Diff;
use parley_core::implementation::Implementation;
use std::sync::Arc;

use parley_core::model::{Negotiation, Stance};
use parley_core::positions::Positions;
use parley_core::status::{Record, Status, Tracks};
use parley_core::visibility::{StanceSight, Viewer, into_view};

use crate::ServiceError;

/// The viewer's copy of a negotiation: only what the viewer may see. Every operation on it
/// computes from that copy alone, so none can tell the viewer more than its export would.
///
/// The copy is indexed on first use ([`Tracks`]), and every operation computes from that index;
/// a view of a record that has since only gained stances is brought up with [`View::add_stances`].
#[derive(Clone, Debug)]
pub struct View {
    negotiation: Negotiation,
    viewer: Viewer,
    /// Built by the first operation that computes (a view only hashed or exported never is).
    tracks: std::sync::OnceLock<Tracks>,
}

/// The view of the whole record `negotiation` for the viewer named by `viewer` (see
/// [`crate::viewer`]).
pub fn view(negotiation: Negotiation, viewer: &str) -> Result<View, ServiceError> {
    let viewer = crate::viewer(&negotiation, viewer)?;
    let negotiation = into_view(negotiation, &viewer);
    Ok(View { negotiation, viewer, tracks: std::sync::OnceLock::new() })
}

/// The stances of `whole` from number `before` on, as the viewer named by `viewer` sees them:
/// each viewed with the rest of the record, as a view of the whole record would show it.
pub fn stances_added(whole: &Negotiation, before: usize, viewer: &str) -> Result<Vec<Arc<Stance>>, ServiceError> {
    Ok(viewed_stances(whole, before, &crate::viewer(whole, viewer)?))
}

fn viewed_stances(whole: &Negotiation, before: usize, viewer: &Viewer) -> Vec<Arc<Stance>> {
    StanceSight::new(whole, viewer).view(whole.stances.range(before.min(whole.stances.len())..))
}

impl View {
    /// The view of `whole` for the same viewer, when this is the view of `whole` as it was
    /// before stances were added at the end of its list (and nothing else changed): only the
    /// stances from number `before` on are viewed (and indexed, if the view was), so the result
    /// is that whole view.
    pub fn add_stances(&mut self, whole: &Negotiation, before: usize) {
        self.negotiation.stances.extend(viewed_stances(whole, before, &self.viewer));
        if let Some(tracks) = self.tracks.get_mut() {
            tracks.extend(&self.negotiation);
        }
    }

    /// Builds the index now, if not yet: a view that is kept to be brought up later
    /// ([`View::add_stances`]) is indexed before it is shared, so that it is brought up with its
    /// index rather than indexed anew at every step by whoever computes first.
    pub fn index(&self) {
        self.tracks();
    }

    fn tracks(&self) -> &Tracks {
        self.tracks.get_or_init(|| Tracks::new(&self.negotiation))
    }

    /// The record of the view, with its index, for computing from.
    pub fn record(&self) -> Record<'_> {
        Record::with_tracks(&self.negotiation, self.tracks())
    }

    /// The viewer's copy of the record.
    pub fn negotiation(&self) -> &Negotiation {
        &self.negotiation
    }

    /// Who is looking.
    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// The view with every string escaped ([`crate::escaped`]), for plain-text output; JSON is
    /// exact and takes the view as it is.
    pub fn escaped(self) -> View {
        View { negotiation: crate::escaped(self.negotiation), viewer: self.viewer, tracks: std::sync::OnceLock::new() }
    }

    /// The status as of `as_of` (a round, a date, `start`, `now`).
    pub fn status(&self, as_of: &str) -> Result<Status, ServiceError> {
        let record = self.record();
        let as_of = crate::point(&record, "--as-of", as_of)?;
        Ok(record.status(&as_of))
    }

    /// What changed after `from` up to `to`; `from` after `to` is bad input.
    pub fn diff(&self, from: &str, to: &str) -> Result<Diff, ServiceError> {
        let record = self.record();
        let from = crate::point(&record, "FROM", from)?;
        let to = crate::point(&record, "TO", to)?;
        record.diff(&from, &to).map_err(|error| ServiceError::BadInput(error.to_string()))
    }

    /// The verdict on every claim, or only on those with the verdict `only`; statements left
    /// without claims are left out.
    pub fn claims(&self, only: Option<Verdict>) -> ClaimsReport {
        let record = self.record();
        let mut report = record.check_claims();
        if let Some(wanted) = only {
            for statement in &mut report.statements {
                statement.claims.retain(|claim| claim.verdict == wanted);
            }
            report.statements.retain(|statement| !statement.claims.is_empty());
        }
        report
    }

    /// Each party's demands over time, up to `as_of`.
    pub fn positions(&self, as_of: &str) -> Result<Positions, ServiceError> {
        let as_of = crate::as_of(&self.negotiation, as_of)?;
        Ok(parley_core::positions::positions(&self.negotiation, &as_of))
    }

    /// The parties' positions over time as SVG (`parley_analysis::trajectories`), a choice issue's
    /// ranks labelled with its options.
    pub fn positions_svg(&self, positions: &Positions) -> String {
        let labels = |issue: &str, rank: f64| match self.negotiation.issue(issue).map(|issue| &issue.kind) {
            Some(parley_core::model::IssueKind::Choice { options, .. }) => {
                options.get(rank.round().max(0.0) as usize).cloned().unwrap_or_default()
            }
            _ => format!("{rank}"),
        };
        parley_analysis::trajectories::svg(positions, &labels)
    }

    /// Implementation after signature, as of `as_of`.
    pub fn implementation(&self, as_of: &str) -> Result<Implementation, ServiceError> {
        let as_of = crate::as_of(&self.negotiation, as_of)?;
        Ok(parley_core::implementation::implementation(&self.negotiation, &as_of))
    }
}
