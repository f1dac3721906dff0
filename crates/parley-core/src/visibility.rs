//! Who may see what. A party's private stances and red lines are shown to nobody else; those it
//! confided to the mediator are shown to mediators too; public ones to everyone.
//!
//! Views are made by removing what the viewer may not see from a copy of the negotiation *before*
//! any engine runs, so that no status, diff or claim verdict can leak it: what is absent cannot be
//! cited.

use std::fmt;
use std::str::FromStr;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::model::{Item, Moment, Negotiation, Role, Stance, Visibility};
use crate::timeline::{Instant, Timeline};

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

/// Which stances a viewer's view of a record keeps. A view keeps or drops each stance for what it
/// is and the rest of the record, never for the other stances: its party, visibility and bloc; its
/// round, when that round is hidden from the viewer; its item, when that item is hidden; the
/// readout it answers, which must be one the view keeps, given no later than the stance. So the
/// stances added to a record since a view are viewed with this alone, without copying the rest of
/// the record, and [`into_view`] decides every stance by it too. It shows an item as the view does
/// too ([`StanceSight::items`]), for what a stance write depends on.
#[derive(Debug)]
pub struct StanceSight<'a> {
    /// `None` for a viewer who sees everything.
    seen: Option<Seen<'a>>,
}

#[derive(Debug)]
struct Seen<'a> {
    sight: Sight<'a>,
    hidden_rounds: HashSet<&'a str>,
    hidden_items: HashSet<(&'a str, u32)>,
    /// The readouts the view keeps, by item (document and number): who gave each, and when on
    /// the view's timeline.
    readouts: HashMap<(&'a str, u32), Vec<(&'a str, Instant)>>,
    /// The timeline of the rounds the view keeps.
    timeline: Timeline,
}

impl<'a> StanceSight<'a> {
    /// What `viewer` may see of the stances of `negotiation` (whichever stances it holds: only
    /// the rest of the record counts).
    pub fn new(negotiation: &'a Negotiation, viewer: &'a Viewer) -> StanceSight<'a> {
        if *viewer == Viewer::Everything {
            return StanceSight { seen: None };
        }
        let sight = Sight::of(viewer, negotiation);
        let hidden_rounds = crate::channels::hidden_rounds(negotiation, &sight);
        let hidden_items = crate::channels::hidden_items(negotiation, &sight, &hidden_rounds);
        let timeline = Timeline::of(negotiation.rounds.iter().filter(|round| !hidden_rounds.contains(round.id.as_str())));
        let mut readouts: HashMap<(&str, u32), Vec<(&str, Instant)>> = HashMap::new();
        for item in negotiation.items.iter().filter(|item| !hidden_items.contains(&(item.document.as_str(), item.number))) {
            let kept = item
                .readouts
                .iter()
                .filter(|readout| crate::channels::keeps_readout(readout, &hidden_rounds, &sight))
                .map(|readout| (readout.party.as_str(), timeline.moment(&readout.at)));
            readouts.entry((item.document.as_str(), item.number)).or_default().extend(kept);
        }
        StanceSight { seen: Some(Seen { sight, hidden_rounds, hidden_items, readouts, timeline }) }
    }

    /// Whether the view keeps `stance`.
    pub fn keeps(&self, stance: &Stance) -> bool {
        let Some(seen) = &self.seen else { return true };
        let key = (stance.document.as_str(), stance.item);
        seen.sight.sees(&stance.party, stance.visibility, stance.bloc.as_deref())
            && !seen.hidden_items.contains(&key)
            && !matches!(&stance.at, Moment::Round(round) if seen.hidden_rounds.contains(round.as_str()))
            && (stance.readout.is_empty()
                || seen.readouts.get(&key).is_some_and(|readouts| {
                    let at = seen.timeline.moment(&stance.at);
                    readouts.iter().any(|&(party, given)| party == stance.readout && given <= at)
                }))
    }

    /// The items numbered `number` in `document` of `negotiation` (the record this sight was made
    /// for) as the view shows them: none when they are hidden.
    pub fn items(&self, negotiation: &Negotiation, number: u32, document: &str) -> Vec<Item> {
        let same = negotiation.items.iter().filter(|item| item.number == number && item.document == document);
        match &self.seen {
            None => same.cloned().collect(),
            Some(seen) if seen.hidden_items.contains(&(document, number)) => Vec::new(),
            Some(seen) => same
                .map(|item| {
                    let mut item = item.clone();
                    crate::channels::strip_item(&mut item, &seen.hidden_rounds, &seen.sight);
                    item
                })
                .collect(),
        }
    }

    /// The stances among `stances` that the view keeps, in their order.
    pub fn view<'s>(&self, stances: impl IntoIterator<Item = &'s Arc<Stance>>) -> Vec<Arc<Stance>> {
        stances.into_iter().filter(|stance| self.keeps(stance)).cloned().collect()
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
    let kept: Vec<bool> = {
        let stances = StanceSight::new(&negotiation, viewer);
        negotiation.stances.iter().map(|stance| stances.keeps(stance)).collect()
    };
    let mut kept = kept.into_iter();
    negotiation.stances.retain(|_| kept.next().unwrap_or(false));
    let sight = Sight::of(viewer, &negotiation);
    negotiation.red_lines.retain(|red_line| sight.sees(&red_line.party, red_line.visibility, red_line.bloc.as_deref()));
    negotiation.preferences.retain(|preference| sight.sees(&preference.party, preference.visibility, preference.bloc.as_deref()));
    negotiation.demands.retain(|demand| sight.sees(&demand.party, demand.visibility, demand.bloc.as_deref()));
    let hidden_rounds = crate::channels::hide(&mut negotiation, &sight);
    for item in &mut negotiation.items {
        crate::channels::strip_item(item, &hidden_rounds, &sight);
    }
    // A claim that a red line the viewer may not see holds goes with the red line, as a claim
    // about a hidden item goes with the item: the view stays a record that reads back.
    let red_lines: HashSet<&str> = negotiation.red_lines.iter().map(|red_line| red_line.id.as_str()).collect();
    let unseen = |kind: &crate::model::ClaimKind| matches!(kind, crate::model::ClaimKind::RedLineHolds { red_line } if !red_lines.contains(red_line.as_str()));
    for statement in &mut negotiation.statements {
        statement.claims.retain(|claim| !unseen(&claim.kind));
    }
    negotiation
}
