//! Who may see what. A party's private stances and red lines are shown to nobody else; those it
//! confided to the mediator are shown to mediators too; public ones to everyone.
//!
//! Views are made by removing what the viewer may not see from a copy of the negotiation *before*
//! any engine runs, so that no status, diff or claim verdict can leak it: what is absent cannot be
//! cited.

use std::fmt;
use std::str::FromStr;

use std::collections::HashSet;

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
    /// Whether this viewer may see something of `owner` (a party or a bloc) with `visibility`.
    pub fn may_see(&self, negotiation: &Negotiation, owner: &str, visibility: Visibility) -> bool {
        Sight::of(self, negotiation).sees(owner, visibility, None)
    }

    /// Whether this viewer may see a red line: its visibility (and the bloc it is shared with)
    /// admits it, and it was not drawn in a round the viewer may not know of.
    pub fn may_see_red_line(&self, negotiation: &Negotiation, red_line: &crate::model::RedLine) -> bool {
        let channels = crate::channels::Channels::new(negotiation, self);
        channels.owned(&red_line.party, red_line.visibility, red_line.bloc.as_deref()) && !channels.in_hidden_round(&red_line.since)
    }

    /// Whether the viewer is a party of the negotiation whose role is mediator.
    fn is_mediator_party(&self, negotiation: &Negotiation) -> bool {
        matches!(self, Viewer::Party(party) if negotiation.party(party).is_some_and(|party| party.role == Role::Mediator))
    }
}

/// What a viewer is, looked up once: whether it is a mediator party, and its blocs.
#[derive(Debug)]
pub(crate) struct Sight<'v> {
    viewer: &'v Viewer,
    mediator: bool,
    /// The blocs the viewer belongs to.
    blocs: HashSet<String>,
    /// The parties sharing a bloc with the viewer, by bloc.
    partners: HashSet<(String, String)>,
}

impl<'v> Sight<'v> {
    pub(crate) fn viewer(&self) -> &'v Viewer {
        self.viewer
    }

    pub(crate) fn of(viewer: &'v Viewer, negotiation: &Negotiation) -> Sight<'v> {
        let mut blocs = HashSet::new();
        let mut partners = HashSet::new();
        if let Viewer::Party(party) = viewer {
            for bloc in negotiation.blocs.iter().filter(|bloc| bloc.members.contains(party)) {
                blocs.insert(bloc.id.clone());
                for member in &bloc.members {
                    partners.insert((bloc.id.clone(), member.clone()));
                }
            }
        }
        Sight { viewer, mediator: viewer.is_mediator_party(negotiation), blocs, partners }
    }

    /// Whether the viewer may see something of `owner` (a party or a bloc) with `visibility`;
    /// for `bloc` visibility, `bloc` names the one bloc it is shared with (else every bloc of the
    /// owner). A bloc's members count as its owners.
    pub(crate) fn sees(&self, owner: &str, visibility: Visibility, bloc: Option<&str>) -> bool {
        let own = match self.viewer {
            Viewer::Party(party) => party == owner || self.blocs.contains(owner),
            _ => false,
        };
        match (self.viewer, visibility) {
            (Viewer::Everything, _) | (_, Visibility::Public) => true,
            (Viewer::Public, _) => false,
            (Viewer::Mediator, visibility) => visibility == Visibility::Mediator,
            (Viewer::Party(_), Visibility::Mediator) => own || self.mediator,
            (Viewer::Party(_), Visibility::Private) => own,
            (Viewer::Party(_), Visibility::Bloc) => {
                own || match bloc {
                    Some(bloc) => self.blocs.contains(bloc),
                    None => self.partners.iter().any(|(_, member)| member == owner),
                }
            }
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
    let sight = Sight::of(viewer, &negotiation);
    negotiation.stances.retain(|stance| sight.sees(&stance.party, stance.visibility, stance.bloc.as_deref()));
    negotiation.red_lines.retain(|red_line| sight.sees(&red_line.party, red_line.visibility, red_line.bloc.as_deref()));
    negotiation.preferences.retain(|preference| sight.sees(&preference.party, preference.visibility, preference.bloc.as_deref()));
    negotiation.demands.retain(|demand| sight.sees(&demand.party, demand.visibility, demand.bloc.as_deref()));
    crate::channels::hide(&mut negotiation, viewer, &sight);
    // After the channels: a readout given in a hidden round goes, and stances on it with it.
    crate::readout::retain_visible(&mut negotiation, |owner, visibility| sight.sees(owner, visibility, None));
    // A claim that a red line the viewer may not see holds goes with the red line, as a claim
    // about a hidden item goes with the item: the view stays a record that reads back.
    let red_lines: HashSet<&str> = negotiation.red_lines.iter().map(|red_line| red_line.id.as_str()).collect();
    let unseen = |kind: &crate::model::ClaimKind| matches!(kind, crate::model::ClaimKind::RedLineHolds { red_line } if !red_lines.contains(red_line.as_str()));
    for statement in &mut negotiation.statements {
        statement.claims.retain(|claim| !unseen(&claim.kind));
    }
    negotiation
}
