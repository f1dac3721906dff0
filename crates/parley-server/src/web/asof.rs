//! The as-of slider: a range input over the moments a page may be viewed at, which moves the
//! whole page to that moment.
//!
//! Its stops are the start, every dated round and every other date holding dated events
//! (statements, demands) in time order, and now. The range's value is a stop's index, so its form
//! (a GET form with a button: it works without JavaScript) sends `?at=N`, which the page answers
//! with a redirect to `?as_of=ROUND|DATE|start|now`: the address always names the moment itself,
//! not an index that a new round would shift. With `live.js`, moving the slider updates its label
//! at once and, when it settles, loads the page as of that stop in place (the address follows).
//! The `datalist` gives the browser its tick marks, and each option's label is the stop's name.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use parley_core::date::Date;
use parley_core::model::{Moment, Negotiation};

use crate::state::AppState;

use super::session::{Session, WebError};

/// One stop of the slider: what `?as_of=` takes, and its label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    /// A round id, a date (`YYYY-MM-DD`), `start` or `now`.
    pub value: String,
    /// What the slider's label shows.
    pub label: String,
}

/// The stops of `negotiation` (as the viewer sees it), in time order: the start, the dated rounds
/// and the dates of other dated events (a date that holds a round is that round's stop), now.
pub fn stops(negotiation: &Negotiation) -> Vec<Stop> {
    let mut rounds: Vec<_> = negotiation.rounds.iter().filter(|round| round.date.is_some()).collect();
    // Stable: rounds of one day keep the record's order, as the timeline orders them.
    rounds.sort_by_key(|round| round.date);
    let mut dated: BTreeMap<Date, (usize, usize)> = BTreeMap::new();
    for statement in &negotiation.statements {
        dated.entry(statement.date).or_default().0 += 1;
    }
    for demand in &negotiation.demands {
        if let Moment::Date(date) = demand.at {
            dated.entry(date).or_default().1 += 1;
        }
    }
    for round in &rounds {
        if let Some(date) = round.date {
            dated.remove(&date);
        }
    }
    // (date, round or date stop): rounds before date-only events of the same day, which are
    // at the day's end.
    let mut timed: Vec<(Date, u8, Stop)> = Vec::with_capacity(rounds.len() + dated.len());
    for round in rounds {
        let Some(date) = round.date else { continue };
        timed.push((date, 0, Stop { value: round.id.clone(), label: format!("{} — {} ({date})", round.id, round.title) }));
    }
    for (date, (statements, demands)) in dated {
        let mut what = Vec::new();
        if statements > 0 {
            what.push(format!("{statements} statement{}", if statements == 1 { "" } else { "s" }));
        }
        if demands > 0 {
            what.push(format!("{demands} demand{}", if demands == 1 { "" } else { "s" }));
        }
        timed.push((date, 1, Stop { value: date.to_string(), label: format!("{date}: {}", what.join(", ")) }));
    }
    timed.sort_by_key(|(date, order, _)| (*date, *order));
    let mut stops = vec![Stop { value: "start".to_owned(), label: "the start".to_owned() }];
    stops.extend(timed.into_iter().map(|(_, _, stop)| stop));
    stops.push(Stop { value: "now".to_owned(), label: "now".to_owned() });
    stops
}

/// The stop shown for `as_of`: its own, or for a date between stops the last stop before it.
fn position(stops: &[Stop], as_of: &str) -> usize {
    if let Some(index) = stops.iter().position(|stop| stop.value == as_of) {
        return index;
    }
    let Ok(date) = as_of.parse::<Date>() else { return stops.len().saturating_sub(1) };
    // Rounds' labels end in their date; date stops are dates.
    let date_of = |stop: &Stop| {
        stop.value
            .parse::<Date>()
            .ok()
            .or_else(|| stop.label.rsplit_once('(').and_then(|(_, date)| date.trim_end_matches(')').parse().ok()))
    };
    stops.iter().rposition(|stop| date_of(stop).is_some_and(|day| day <= date)).unwrap_or(0)
}

/// The slider's form for the page at `path`, showing `as_of`.
pub fn slider(path: &str, stops: &[Stop], as_of: &str) -> Markup {
    let current = position(stops, as_of);
    let label = match stops.iter().find(|stop| stop.value == as_of) {
        Some(stop) => stop.label.clone(),
        None => as_of.to_owned(),
    };
    html! {
        form.slider method="get" action=(path) {
            label for="as_of" { "As of " }
            output #as_of_label for="as_of" dir="auto" { (label) }
            input #as_of type="range" name="at" min="0" max=(stops.len().saturating_sub(1)) step="1" value=(current)
                list="as_of_stops" aria-valuetext=(label) data-asof;
            datalist #as_of_stops {
                @for (index, stop) in stops.iter().enumerate() { option value=(index) label=(stop.label) data-as-of=(stop.value) {} }
            }
            button type="submit" { "Show" }
        }
    }
}

/// `?at=N`: a redirect to the page as of stop `N` (the last stop when `N` is past the end).
pub async fn to_stop(state: &AppState, session: &Session, id: &str, path: &str, at: &str) -> Result<Response, WebError> {
    let id = session.caller.negotiation(id)?;
    let viewer = session.caller.viewer().to_owned();
    let cache = state.cache();
    let index = at.trim().parse::<usize>().ok();
    let value = state
        .with_store(move |store| {
            let (negotiation, head, _) = cache.viewed(store, &id, &viewer)?;
            let view = super::pages::viewed(&negotiation, &head, &viewer)?;
            let stops = stops(view.negotiation());
            let stop = index.and_then(|index| stops.get(index)).or(stops.last());
            Ok(stop.map_or_else(|| "now".to_owned(), |stop| stop.value.clone()))
        })
        .await?;
    Ok(Redirect::to(&format!("{path}?as_of={}", encode(&value))).into_response())
}

/// `text` percent-encoded for a query string's value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(
            |byte| {
                if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(value: &str) -> Stop {
        Stop { value: value.to_owned(), label: String::new() }
    }

    #[test]
    fn a_date_between_stops_shows_the_last_stop_before_it() {
        let mut stops = vec![stop("start"), stop("2025-03-01"), stop("r2"), stop("now")];
        stops[2].label = "r2 — Geneva (2025-03-11)".to_owned();
        assert_eq!(position(&stops, "r2"), 2);
        assert_eq!(position(&stops, "2025-03-05"), 1);
        assert_eq!(position(&stops, "2025-03-11"), 2);
        assert_eq!(position(&stops, "2024-01-01"), 0);
        assert_eq!(position(&stops, "now"), 3);
    }

    #[test]
    fn a_stop_is_encoded_for_the_query_string() {
        assert_eq!(encode("r 1&x=é"), "r%201%26x%3D%C3%A9");
    }
}
