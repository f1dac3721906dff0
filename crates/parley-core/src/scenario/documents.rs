//! The `[[documents]]` section and references to items of a document (`"DOC:N"`).

use std::ops::Range;

use super::{Cx, Fields, Refs, Registry, Spanned, check_ref, keyword, opt_date, opt_string, req_id, req_string, required, tables, text};
use crate::document::{Document, DocumentEvent, DocumentKind, DocumentState};
use crate::model::{Item, Keyword};
use crate::timeline::Instant;

const DOCUMENT_FIELDS: &[&str] = &["id", "title", "kind", "supersedes", "implements", "description", "events"];
const DOCUMENT_EVENT_FIELDS: &[&str] = &["state", "round", "date", "until", "note", "source"];

/// Reads every document with its lifecycle; references between documents are checked once all
/// are known.
pub(super) fn read_documents(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<Document> {
    let mut registry = Registry::new("document");
    let mut documents = Vec::new();
    // (index in `documents`, field, reference) for supersedes/implements.
    let mut links: Vec<(usize, String, &'static str, Spanned<String>)> = Vec::new();
    for fields in tables(cx, root, "documents", DOCUMENT_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "document");
        let title = req_string(cx, &fields, "title", "the document's title");
        let kind = required(cx, &fields, "kind", &expected_words::<DocumentKind>(), |cx| keyword::<DocumentKind>(cx, &fields, "kind"));
        let description = text(cx, &fields, "description");
        let supersedes = opt_string(cx, &fields, "supersedes");
        let implements = opt_string(cx, &fields, "implements");
        let events = read_events(cx, &fields, refs);
        let (Some(id), Some(title), Some(kind)) = (id, title, kind) else { continue };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        for (key, verb, link) in [("supersedes", "supersede", &supersedes), ("implements", "implement", &implements)] {
            if let Some(link) = link {
                if link.get_ref() == id.get_ref() {
                    cx.error(fields.path_of(key), link.span(), format!("document `{}` cannot {verb} itself", id.get_ref()));
                } else {
                    links.push((documents.len(), fields.path_of(key), key, link.clone()));
                }
            }
        }
        documents.push(Document {
            id: id.into_inner(),
            title: title.into_inner(),
            kind,
            supersedes: supersedes.map(Spanned::into_inner),
            implements: implements.map(Spanned::into_inner),
            description,
            events,
        });
    }
    for (index, path, _, link) in &links {
        let ids: Vec<&str> = documents.iter().map(|document| document.id.as_str()).collect();
        if !check_ref(cx, path.clone(), link, "document", ids) {
            // Dropped so that nothing downstream follows a dangling link.
            let document: &mut Document = &mut documents[*index];
            if document.supersedes.as_ref() == Some(link.get_ref()) {
                document.supersedes = None;
            }
            if document.implements.as_ref() == Some(link.get_ref()) {
                document.implements = None;
            }
        }
    }
    report_circles(cx, &mut documents, &links);
    documents
}

/// Documents that supersede each other in a circle (`a` supersedes `b`, `b` supersedes `a`):
/// reported once, at the first of them in the file, and the link dropped.
fn report_circles(cx: &mut Cx<'_>, documents: &mut [Document], links: &[(usize, String, &'static str, Spanned<String>)]) {
    let next = |documents: &[Document], index: usize| {
        documents[index].supersedes.as_ref().and_then(|id| documents.iter().position(|document| document.id == *id))
    };
    for start in 0..documents.len() {
        let mut circle = vec![start];
        let mut at = next(documents, start);
        while let Some(index) = at.filter(|index| !circle.contains(index)) {
            circle.push(index);
            at = next(documents, index);
        }
        if at != Some(start) || circle.iter().any(|&index| index < start) {
            continue;
        }
        let Some((_, path, _, link)) = links.iter().find(|(index, _, key, _)| *index == start && *key == "supersedes") else { continue };
        let mut names: Vec<&str> = circle.iter().map(|&index| documents[index].id.as_str()).collect();
        names.push(&documents[start].id);
        cx.error(path.clone(), link.span(), format!("documents supersede each other in a circle: {}", names.join(" → ")));
        documents[start].supersedes = None;
    }
}

fn expected_words<T: Keyword>() -> String {
    let words: Vec<&str> = T::ALL.iter().map(|word| word.keyword()).collect();
    format!("one of: {}", words.join(", "))
}

/// A document's `[[documents.events]]`: states in an order the lifecycle allows, in time order.
fn read_events(cx: &mut Cx<'_>, document: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<DocumentEvent> {
    let mut events = Vec::new();
    let mut previous: Option<(DocumentState, Instant)> = None;
    for fields in tables(cx, document, "events", DOCUMENT_EVENT_FIELDS) {
        fields.finish(cx);
        let state = required(cx, &fields, "state", &expected_words::<DocumentState>(), |cx| keyword::<DocumentState>(cx, &fields, "state"));
        let moment = refs.moment(cx, &fields, true);
        let until = opt_date(cx, &fields, "until");
        let note = text(cx, &fields, "note");
        let source = text(cx, &fields, "source");
        let (Some(state), Some((at, instant))) = (state, moment) else { continue };
        let state_span = fields.get("state").map_or(fields.span.clone(), |node| node.span().range());
        if let Some(until) = &until {
            if state != DocumentState::Extended {
                cx.error(
                    fields.path_of("until"),
                    until.span(),
                    format!("`until` belongs to an `extended` event, not `{}`", state.keyword()),
                );
            } else if instant.date().is_some_and(|date| *until.get_ref() < date) {
                cx.error(
                    fields.path_of("until"),
                    until.span(),
                    "the document is extended until a date before the extension (expected a later date)",
                );
            }
        }
        if let Some((before, before_instant)) = previous {
            if instant < before_instant {
                let when = fields.get("round").or_else(|| fields.get("date")).map_or(fields.span.clone(), |node| node.span().range());
                cx.error(fields.path(), when, "this event comes before the previous one (expected a document's events in time order)");
            }
            check_transition(cx, &fields, state_span, before, state);
        }
        previous = Some((state, instant));
        events.push(DocumentEvent { state, at, until: until.map(Spanned::into_inner), note, source });
    }
    events
}

fn check_transition(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, span: Range<usize>, before: DocumentState, state: DocumentState) {
    let allowed = before.next();
    if allowed.contains(&state) {
        return;
    }
    let message = if allowed.is_empty() {
        format!("a document cannot become `{}` once `{}` (a new document replaces it)", state.keyword(), before.keyword())
    } else {
        let words: Vec<&str> = allowed.iter().map(|next| next.keyword()).collect();
        format!("a document cannot go from `{}` to `{}` (expected one of: {})", before.keyword(), state.keyword(), words.join(", "))
    };
    cx.error(fields.path_of("state"), span, message);
}

/// The document an item belongs to: its `document` field, or the only document when there is one.
pub(super) fn item_document(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>) -> Option<String> {
    let documents = &refs.negotiation.documents;
    match opt_string(cx, fields, "document") {
        Some(id) => {
            let ids = documents.iter().map(|document| document.id.as_str());
            if documents.is_empty() && !cx.declared.contains(&("document", id.get_ref().clone())) {
                cx.error(
                    fields.path_of("document"),
                    id.span(),
                    format!("unknown document `{}` (the file has no [[documents]])", id.get_ref()),
                );
                return None;
            }
            check_ref(cx, fields.path_of("document"), &id, "document", ids).then(|| id.into_inner())
        }
        None if documents.len() > 1 => {
            let ids: Vec<&str> = documents.iter().map(|document| document.id.as_str()).collect();
            super::missing(cx, fields, "document", &format!("the document the item belongs to: one of {}", ids.join(", ")));
            None
        }
        None => Some(documents.first().map(|document| document.id.clone()).unwrap_or_default()),
    }
}

/// An item named as `"DOC:N"`.
pub(super) fn qualified_item<'n>(
    cx: &mut Cx<'_>,
    refs: &Refs<'n>,
    path: impl Fn() -> String,
    span: Range<usize>,
    text: &str,
) -> Option<&'n Item> {
    let Some((document, number)) = text.rsplit_once(':').and_then(|(document, number)| Some((document, number.parse::<u32>().ok()?)))
    else {
        cx.error(
            path(),
            span,
            format!("`{text}` is not an item reference (expected an item number, or \"DOC:N\" for item N of document DOC)"),
        );
        return None;
    };
    if refs.negotiation.documents.is_empty() {
        let message = format!("unknown document `{document}` (the file has no [[documents]]: write the item number alone)");
        cx.error(path(), span, message);
        return None;
    }
    let ids = refs.negotiation.documents.iter().map(|document| document.id.as_str());
    if !check_ref(cx, path(), &Spanned::new(span.clone(), document.to_owned()), "document", ids) {
        return None;
    }
    let found = refs.item_index.get(&(document, number)).map(|&index| &refs.negotiation.items[index]);
    // An item of that number whose own definition is broken has been reported already.
    if found.is_none() && !cx.declared.contains(&("item", number.to_string())) {
        let mut numbers: Vec<u32> =
            refs.negotiation.items.iter().filter(|item| item.document == document).map(|item| item.number).collect();
        numbers.sort_unstable();
        let expected = match (numbers.first(), numbers.last()) {
            (Some(min), Some(max)) => format!("expected one of document {document}'s item numbers, {min} to {max}"),
            _ => format!("document {document} has no items"),
        };
        cx.error(path(), span, format!("unknown item {number} of document {document} ({expected})"));
    }
    found
}

/// An `accepts` claim's optional `document`: the id of a document of the file. `None` after an
/// error; `Some("")` when the claim is about the whole framework.
pub(super) fn claim_document(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>) -> Option<String> {
    let Some(id) = opt_string(cx, fields, "document") else { return Some(String::new()) };
    let ids = refs.negotiation.documents.iter().map(|document| document.id.as_str());
    check_ref(cx, fields.path_of("document"), &id, "document", ids).then(|| id.into_inner())
}
