//! Who may see what. A party's private stances and red lines are shown to nobody else; those it
//! confided to the mediator are shown to mediators too; public ones to everyone.
//!
//! Views are made by removing what the viewer may not see from a copy of the negotiation *before*
//! any engine runs, so that no status, diff or claim verdict can leak it: what is absent cannot be
//! cited.

use std::fmt;
use std::str::FromStr;

use crate::model::{Negotiation, Role, Visibility};

/// Who is looking.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Viewer {
    /// The holder of the whole record (a scenario file's author): sees everything.
    #[default]
    Everything,
    /// Anyone: public stances and red lines only.
    Public,
    /// A mediator without a party of its own in the file: public and mediator-visible.
    Mediator,
    /// A party: public ones, its own (whatever their visibility) and, when it is itself a mediator,
    /// what other parties confided to mediators.
    Party(String),
}

impl FromStr for Viewer {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Viewer, Self::Err> {
        Ok(match text {
            "all" | "everything" => Viewer::Everything,
            "public" => Viewer::Public,
            "mediator" => Viewer::Mediator,
            party => Viewer::Party(party.to_owned()),
        })
    }
}

impl fmt::Display for Viewer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Viewer::Everything => f.write_str("all"),
            Viewer::Public => f.write_str("public"),
            Viewer::Mediator => f.write_str("mediator"),
            Viewer::Party(party) => f.write_str(party),
        }
    }
}

impl Viewer {
    /// Whether this viewer may see something of `owner` with `visibility`.
    pub fn may_see(&self, negotiation: &Negotiation, owner: &str, visibility: Visibility) -> bool {
        self.sees(self.is_mediator_party(negotiation), owner, visibility)
    }

    /// Whether the viewer is a party of the negotiation whose role is mediator.
    fn is_mediator_party(&self, negotiation: &Negotiation) -> bool {
        matches!(self, Viewer::Party(party) if negotiation.party(party).is_some_and(|party| party.role == Role::Mediator))
    }

    /// [`Viewer::may_see`], with the viewer's mediator role already looked up.
    fn sees(&self, mediator_party: bool, owner: &str, visibility: Visibility) -> bool {
        match (self, visibility) {
            (Viewer::Everything, _) | (_, Visibility::Public) => true,
            (Viewer::Public, _) => false,
            (Viewer::Mediator, Visibility::Mediator) => true,
            (Viewer::Mediator, Visibility::Private) => false,
            (Viewer::Party(party), visibility) => party == owner || (visibility == Visibility::Mediator && mediator_party),
        }
    }
}

/// A copy of the negotiation holding only what `viewer` may see.
pub fn view(negotiation: &Negotiation, viewer: &Viewer) -> Negotiation {
    into_view(negotiation.clone(), viewer)
}

/// The negotiation with what `viewer` may not see removed, in place (no copy for a viewer who
/// sees everything).
pub fn into_view(mut negotiation: Negotiation, viewer: &Viewer) -> Negotiation {
    if *viewer == Viewer::Everything {
        return negotiation;
    }
    let mediator = viewer.is_mediator_party(&negotiation);
    negotiation.stances.retain(|stance| viewer.sees(mediator, &stance.party, stance.visibility));
    negotiation.red_lines.retain(|red_line| viewer.sees(mediator, &red_line.party, red_line.visibility));
    negotiation.preferences.retain(|preference| viewer.sees(mediator, &preference.party, preference.visibility));
    negotiation.demands.retain(|demand| viewer.sees(mediator, &demand.party, demand.visibility));
    crate::readout::retain_visible(&mut negotiation, |owner, visibility| viewer.sees(mediator, owner, visibility));
    negotiation
}
