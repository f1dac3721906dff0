//! Implementation after signature: how far each obligation a signed text creates is met as of a
//! point, on the Peace Accords Matrix's 0–3 scale, which are overdue, and the overall rate.

use serde::Serialize;

use crate::date::Date;
use crate::model::{Negotiation, Score};
use crate::timeline::{Instant, Point, Timeline};

/// Every obligation's implementation as of a point: what `parley implementation` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Implementation {
    pub negotiation: String,
    pub as_of: Point,
    /// The day deadlines are judged against: the point's, or the record's last dated event for
    /// `now` (a deadline after everything recorded is not known to be missed).
    pub judged_on: Option<Date>,
    pub obligations: Vec<ObligationStatus>,
    pub summary: Summary,
}

/// One obligation as of the point.
#[derive(Clone, Debug, Serialize)]
pub struct ObligationStatus {
    pub id: String,
    pub description: String,
    pub items: Vec<u32>,
    /// The document of the items (empty in a file without documents).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub document: String,
    pub party: Option<String>,
    pub due: Option<Date>,
    /// The latest assessment at or before the point (`not-initiated` when none).
    pub score: Score,
    /// The score on the 0–3 scale.
    pub points: u8,
    /// When the latest assessment was made (`None`: never assessed).
    pub assessed: Option<String>,
    /// Due before the day judged on and not complete.
    pub overdue: bool,
    /// Every assessment up to the point, in time order.
    pub history: Vec<AssessmentStep>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AssessmentStep {
    pub at: String,
    pub date: Option<Date>,
    pub score: Score,
    pub points: u8,
    pub source: String,
    pub note: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub obligations: usize,
    pub complete: usize,
    pub overdue: usize,
    /// Points scored over points possible (3 per obligation), 0 to 1; `None` without obligations.
    pub rate: Option<f64>,
}

/// The implementation of every obligation as of `as_of`.
pub fn implementation(negotiation: &Negotiation, as_of: &Point) -> Implementation {
    let timeline = Timeline::new(&negotiation.rounds);
    let judged_on = as_of.date.or_else(|| last_date(negotiation, &timeline, as_of.instant));
    let mut obligations = Vec::new();
    for obligation in &negotiation.obligations {
        let mut assessed: Vec<(Instant, usize)> = negotiation
            .implementation
            .iter()
            .enumerate()
            .filter(|(_, assessment)| assessment.obligation == obligation.id)
            .map(|(index, assessment)| (timeline.moment(&assessment.at), index))
            .filter(|(when, _)| *when <= as_of.instant)
            .collect();
        assessed.sort();
        let history: Vec<AssessmentStep> = assessed
            .iter()
            .map(|&(when, index)| {
                let assessment = &negotiation.implementation[index];
                AssessmentStep {
                    at: assessment.at.to_string(),
                    date: when.date(),
                    score: assessment.score,
                    points: assessment.score.points(),
                    source: assessment.source.clone(),
                    note: assessment.note.clone(),
                }
            })
            .collect();
        let score = history.last().map_or(Score::NotInitiated, |step| step.score);
        let overdue = score != Score::Complete && matches!((obligation.due, judged_on), (Some(due), Some(day)) if due < day);
        obligations.push(ObligationStatus {
            id: obligation.id.clone(),
            description: obligation.description.clone(),
            items: obligation.items.clone(),
            document: obligation.document.clone(),
            party: obligation.party.clone(),
            due: obligation.due,
            score,
            points: score.points(),
            assessed: history.last().map(|step| step.at.clone()),
            overdue,
            history,
        });
    }
    let total: u32 = obligations.iter().map(|obligation| u32::from(obligation.points)).sum();
    let summary = Summary {
        obligations: obligations.len(),
        complete: obligations.iter().filter(|obligation| obligation.score == Score::Complete).count(),
        overdue: obligations.iter().filter(|obligation| obligation.overdue).count(),
        rate: (!obligations.is_empty()).then(|| f64::from(total) / (3.0 * obligations.len() as f64)),
    };
    Implementation { negotiation: negotiation.id.clone(), as_of: as_of.clone(), judged_on, obligations, summary }
}

/// The last day anything in the record happened, up to `at`.
fn last_date(negotiation: &Negotiation, timeline: &Timeline, at: Instant) -> Option<Date> {
    let rounds = negotiation.rounds.iter().filter_map(|round| round.date);
    let statements = negotiation.statements.iter().map(|statement| statement.date);
    let assessments = negotiation.implementation.iter().filter_map(|assessment| timeline.moment(&assessment.at).date());
    rounds.chain(statements).chain(assessments).filter(|date| Instant::end_of(*date) <= at).max()
}
