//! The frame every page shares: head, skip link, navigation, sign-out form, live script.

use axum::response::Html;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use parley_core::model::Position;

use super::session::Session;

/// The pages of a negotiation, in the navigation's order: (path suffix, name).
const PAGES: &[(&str, &str)] =
    &[("", "Dashboard"), ("/timeline", "Timeline"), ("/claims", "Claims"), ("/analysis", "Analysis"), ("/simulations", "Simulations")];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            // Never a referrer to another site; to this one, so that a form's `Origin` is this
            // server's and not `null` (see `guard::cross_site`).
            meta name="referrer" content="same-origin";
            title { (title) " · parley" }
            link rel="stylesheet" href="/assets/web.css";
        }
    }
}

/// A page outside any session (sign in, errors).
pub fn bare(title: &str, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top { span.brand { "parley" } }
                main #main { h1 { (title) } (body) }
            }
        }
    };
    Html(markup.into_string())
}

/// What a negotiation's page needs to frame itself.
#[derive(Debug)]
pub struct Frame<'a> {
    /// The session (for the sign-out form's CSRF token and the viewer's name).
    pub session: &'a Session,
    /// The negotiation's id and title.
    pub negotiation: Option<(&'a str, &'a str)>,
    /// The path suffix of the current page in [`PAGES`].
    pub current: &'a str,
    /// The head hash the page was rendered at, which `live.js` watches.
    pub head: Option<&'a str>,
}

/// A page of a session.
pub fn page(frame: &Frame<'_>, title: &str, body: Markup) -> Html<String> {
    let token = &frame.session.caller.token;
    let access = if token.write && token.viewer != "public" { "writes" } else { "reads" };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body data-head=[frame.head] data-negotiation=[frame.negotiation.map(|(id, _)| id)] {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/negotiations" { "parley" }
                    @if let Some((id, negotiation_title)) = frame.negotiation {
                        span.title dir="auto" { (negotiation_title) }
                        nav aria-label="Pages" {
                            ul {
                                @for (suffix, name) in PAGES {
                                    li {
                                        @if *suffix == frame.current {
                                            a href={ "/n/" (id) (suffix) } aria-current="page" { (name) }
                                        } @else {
                                            a href={ "/n/" (id) (suffix) } { (name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    span.who { "Signed in as " strong dir="auto" { (token.viewer) } " (" (access) ")" }
                    form.signout method="post" action="/sign-out" {
                        input type="hidden" name="csrf" value=(frame.session.csrf);
                        button type="submit" { "Sign out" }
                    }
                }
                // Focusable by the skip link, so that the next Tab is the page's first control.
                main #main tabindex="-1" {
                    h1 dir="auto" { (title) }
                    p.notice #live-notice role="status" aria-live="polite" {}
                    (body)
                }
                script src="/assets/live.js" defer {}
            }
        }
    };
    Html(markup.into_string())
}

/// A stance as a symbol and a word (colour is never the only signal), with its CSS class.
pub fn position(position: Position) -> Markup {
    let (symbol, class) = match position {
        Position::Accepts => ("✓", "accepts"),
        Position::AcceptsWithReservations => ("≈", "reservations"),
        Position::Undecided => ("?", "undecided"),
        Position::Opposes => ("✗", "opposes"),
        Position::RedLine => ("!", "red-line"),
    };
    html! { span class={ "stance " (class) } { span aria-hidden="true" { (symbol) " " } (position.keyword()) } }
}

/// An item's state as a badge with its word.
pub fn state(keyword: &str) -> Markup {
    html! { span class={ "state " (keyword) } { (keyword) } }
}

/// A verdict badge.
pub fn verdict(keyword: &str) -> Markup {
    let symbol = match keyword {
        "consistent" => "✓",
        "contradicted" => "✗",
        _ => "?",
    };
    html! { span class={ "verdict " (keyword) } { span aria-hidden="true" { (symbol) " " } (keyword) } }
}

/// An SVG produced by our own plotting code (escaped by it), inlined as one labelled picture
/// (its `<title>`s still give hover details).
pub fn svg(text: &str, label: &str) -> Markup {
    let text = text.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{}\" ", html! { (label) }.into_string()), 1);
    html! { div.plot { (PreEscaped(text)) } }
}
