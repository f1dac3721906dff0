//! Scenario files: a negotiation written down in TOML (see `docs/scenario-format.md`).
//!
//! Reading is done in two layers. The `toml` crate turns the text into a tree whose every key and
//! value knows its byte span; this module then walks that tree itself rather than through serde, so
//! that it can report *every* problem of a file in one run — unknown fields, wrong types, dangling
//! references, dates out of order — each at its line and column, and never stop at the first.
//!
//! ```
//! let text = r#"
//! [negotiation]
//! id = "demo"
//! title = "A demo"
//!
//! [[parties]]
//! id = "A"
//! role = "principal"
//!
//! [[items]]
//! number = 1
//! title = "Everything"
//! text = "All of it."
//! "#;
//! let scenario = parley_core::scenario::parse(text).unwrap();
//! assert_eq!(scenario.negotiation.signatories, ["A"]);
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

use toml_spanner::{Arena, Item, Table, Value as Toml};

use crate::bloc::Bloc;
use crate::date::Date;
use crate::deadline::{Deadline, Extension};
use crate::diagnostic::{Diagnostic, LineIndex, Severity, suggest};
use crate::expr::Expr;
use crate::model::{
    Attribution, Claim, ClaimKind, Demand, Disclosure, Ending, Issue, IssueKind, IssuePreference, Item as FrameworkItem, Keyword, Member,
    Moment, Negotiation, Party, Preference, QuoteKind, RedLine, Revision, Role, Round, RoundKind, Stance, Statement, Valuation, Value,
    Visibility,
};
use crate::timeline::{Instant, Timeline};

mod claims;
mod documents;
mod implementation;
mod phases;
mod readouts;

/// A scenario read without errors, with the warnings found on the way.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub negotiation: Negotiation,
    pub warnings: Vec<Diagnostic>,
    /// Parallel to `negotiation.stances`: the field path and byte span of each stance's
    /// `position`, so that findings about a stance can point at it.
    pub stance_positions: Vec<(String, Range<usize>)>,
}

/// Files larger than this are refused before parsing (a scenario is text written by people).
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024 * 1024;

/// Reads a scenario. On failure, every error (and warning) found, in order of position.
pub fn parse(text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let lines = LineIndex::new(text);
    if text.len() > MAX_SCENARIO_BYTES {
        let message = format!("the file is {} bytes (expected at most {MAX_SCENARIO_BYTES})", text.len());
        return Err(vec![lines.diagnostic(Severity::Error, String::new(), None, message)]);
    }
    let arena = Arena::new();
    // The strict parser is the fast path; only a broken file is parsed again, with recovery, to
    // report all its syntax errors at once.
    let document = match toml_spanner::parse(text, &arena) {
        Ok(document) => document,
        Err(_) => {
            let recovered = toml_spanner::parse_recoverable(text, &arena);
            let mut diagnostics: Vec<Diagnostic> = recovered
                .errors()
                .iter()
                .map(|error| {
                    let message = error.message(text);
                    // The parser's own wording for its nesting limit reads as a numeric error.
                    let message = if message.contains("Max recursion depth exceeded") {
                        "arrays or inline tables nested too deeply (expected at most 256 levels)".to_owned()
                    } else {
                        message.trim_end().to_owned()
                    };
                    let message = format!("TOML syntax: {message}");
                    lines.diagnostic(Severity::Error, String::new(), Some(error.span().range()), message)
                })
                .collect();
            sort(&mut diagnostics);
            diagnostics.dedup();
            return Err(diagnostics);
        }
    };
    let root = Fields { table: document.table(), path: FieldPath::Named(String::new()), span: 0..0, known: ROOT_FIELDS };
    let mut cx = Cx { text, lines, problems: Vec::new(), declared: declared_ids(&root), stance_positions: Vec::new() };
    let negotiation = read_negotiation(&mut cx, &root);
    let has_errors = cx.problems.iter().any(|problem| problem.severity == Severity::Error);
    let mut diagnostics = std::mem::take(&mut cx.problems);
    sort(&mut diagnostics);
    if has_errors {
        return Err(diagnostics);
    }
    let mut negotiation = negotiation;
    negotiation.order_by_declaration();
    Ok(Scenario { negotiation, warnings: diagnostics, stance_positions: cx.stance_positions })
}

/// The ids each section declares, read leniently before the sections themselves.
fn declared_ids(root: &Fields<'_, '_>) -> HashSet<(&'static str, String)> {
    let mut declared = HashSet::new();
    // A bloc holds stances and red lines as a party does: its id is declared as one.
    for (section, kind, key) in [
        ("parties", "party", "id"),
        ("issues", "issue", "id"),
        ("rounds", "round", "id"),
        ("items", "item", "number"),
        ("documents", "document", "id"),
        ("obligations", "obligation", "id"),
        ("red_lines", "red line", "id"),
        ("blocs", "party", "id"),
        ("phases", "phase", "id"),
    ] {
        let Some(Toml::Array(array)) = root.get(section).map(|node| node.value()) else { continue };
        for element in array.iter() {
            let Toml::Table(table) = element.value() else { continue };
            let value = table.get(key).map(Item::value);
            match value {
                Some(Toml::String(id)) => {
                    declared.insert((kind, id.to_string()));
                }
                Some(Toml::Integer(number)) => {
                    declared.insert((kind, number.as_i128().to_string()));
                }
                _ => {}
            }
        }
    }
    declared
}

fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|left, right| (left.line, left.column, &left.path).cmp(&(right.line, right.column, &right.path)));
}

// ---------------------------------------------------------------------------------------------
// Field lists: the schema, in one place.

const ROOT_FIELDS: &[&str] = &[
    "negotiation",
    "parties",
    "issues",
    "rounds",
    "items",
    "stances",
    "red_lines",
    "statements",
    "preferences",
    "demands",
    "deadlines",
    "phases",
    "blocs",
    "obligations",
    "implementation",
    "documents",
    "sources",
];
const NEGOTIATION_FIELDS: &[&str] = &["id", "title", "description", "signatories"];
const PARTY_FIELDS: &[&str] = &["id", "name", "role", "description", "members"];
const MEMBER_FIELDS: &[&str] = &["id", "name", "title", "body"];
const ISSUE_COMMON_FIELDS: &[&str] = &["id", "name", "description", "kind"];
const CHOICE_FIELDS: &[&str] = &["id", "name", "description", "kind", "options", "ordered"];
const INTEGER_FIELDS: &[&str] = &["id", "name", "description", "kind", "min", "max", "step", "unit"];
const REAL_FIELDS: &[&str] = &["id", "name", "description", "kind", "min", "max", "unit"];
const SUBSET_FIELDS: &[&str] = &["id", "name", "description", "kind", "elements"];
const ALL_ISSUE_FIELDS: &[&str] = &["id", "name", "description", "kind", "options", "ordered", "min", "max", "step", "unit", "elements"];
const ROUND_FIELDS: &[&str] =
    &["id", "title", "date", "planned", "venue", "kind", "participants", "summary", "end", "visibility", "party", "bloc", "host"];
const ITEM_FIELDS: &[&str] =
    &["number", "title", "topic", "text", "settles", "proposes", "round", "date", "by", "revisions", "document", "readouts", "visibility"];
const REVISION_FIELDS: &[&str] = &["round", "by", "title", "text", "proposes", "removed", "restored", "note", "source", "withdraws"];
const STANCE_FIELDS: &[&str] =
    &["party", "item", "items", "position", "round", "date", "source", "visibility", "note", "version", "readout", "bloc"];
const RED_LINE_FIELDS: &[&str] = &[
    "id",
    "party",
    "expr",
    "description",
    "visibility",
    "since",
    "until",
    "source",
    "disclose",
    "bloc",
    "ended",
    "reason",
    "replaced_by",
    "note",
    "phases",
];
const STATEMENT_FIELDS: &[&str] = &[
    "id",
    "speaker",
    "party",
    "date",
    "round",
    "venue",
    "outlet",
    "attribution",
    "quote",
    "source",
    "claims",
    "member",
    "visibility",
    "bloc",
    "quote_kind",
];
const CLAIM_FIELDS: &[&str] = &[
    "kind", "party", "item", "position", "version", "at_least", "negated", "note", "document", "issue", "op", "value", "of", "red_line",
    "phase",
];
const PREFERENCE_FIELDS: &[&str] = &["party", "visibility", "reservation", "issues", "bloc"];
const NUMERIC_PREFERENCE_FIELDS: &[&str] = &["weight", "best", "worst"];
const TABLE_PREFERENCE_FIELDS: &[&str] = &["weight", "values"];
const SUBSET_PREFERENCE_FIELDS: &[&str] = &["weight", "empty", "elements"];
const DEMAND_FIELDS: &[&str] = &["party", "issue", "value", "range", "values", "round", "date", "visibility", "source", "note", "bloc"];
const BLOC_FIELDS: &[&str] = &["id", "name", "members", "speaks_for", "description"];
const DEADLINE_FIELDS: &[&str] = &["id", "title", "date", "for", "item", "met", "extensions", "source"];
const EXTENSION_FIELDS: &[&str] = &["on", "to", "reason"];

const ISSUE_KINDS: &[&str] = &["choice", "integer", "real", "subset", "yes-no"];
const CLAIM_KINDS: &[&str] = &["accepts", "item-agreed", "stance", "differences-minor", "progress", "value", "red-line-holds"];

// ---------------------------------------------------------------------------------------------
// The walker.

/// A value read from the file, with the byte range it came from.
#[derive(Clone, Debug)]
struct Spanned<T> {
    span: Range<usize>,
    value: T,
}

impl<T> Spanned<T> {
    fn new(span: Range<usize>, value: T) -> Spanned<T> {
        Spanned { span, value }
    }

    fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    fn get_ref(&self) -> &T {
        &self.value
    }

    fn into_inner(self) -> T {
        self.value
    }
}

struct Cx<'s> {
    text: &'s str,
    lines: LineIndex<'s>,
    problems: Vec<Diagnostic>,
    /// Every id written in the file, valid or not, by kind ("party", "item", ...). A reference to
    /// an id whose own definition has errors is not reported again: one mistake, one message.
    declared: HashSet<(&'static str, String)>,
    /// See [`Scenario::stance_positions`].
    stance_positions: Vec<(String, Range<usize>)>,
}

impl Cx<'_> {
    fn error(&mut self, path: impl Into<String>, span: Range<usize>, message: impl Into<String>) {
        let diagnostic = self.lines.diagnostic(Severity::Error, path.into(), Some(span), message.into());
        self.problems.push(diagnostic);
    }

    fn warn(&mut self, path: impl Into<String>, span: Range<usize>, message: impl Into<String>) {
        let diagnostic = self.lines.diagnostic(Severity::Warning, path.into(), Some(span), message.into());
        self.problems.push(diagnostic);
    }

    fn line_of(&self, span: &Range<usize>) -> usize {
        self.lines.locate(span.start).0
    }
}

/// A table being read, with its path in the document.
struct Fields<'t, 'i> {
    table: &'t Table<'i>,
    path: FieldPath,
    span: Range<usize>,
    known: &'static [&'static str],
}

/// Where a table is; spelt out only when a message needs it, since files hold tens of thousands
/// of tables and almost none of them has anything wrong.
enum FieldPath {
    Named(String),
    /// Element `index` of the array at a shared path.
    Element(std::rc::Rc<str>, usize),
}

impl FieldPath {
    fn spell(&self) -> String {
        match self {
            FieldPath::Named(path) => path.clone(),
            FieldPath::Element(array, index) => format!("{array}[{index}]"),
        }
    }
}

type Node<'t, 'i> = &'t Item<'i>;

impl<'t, 'i> Fields<'t, 'i> {
    fn get(&self, key: &str) -> Option<Node<'t, 'i>> {
        self.table.get(key)
    }

    fn path(&self) -> String {
        self.path.spell()
    }

    fn path_of(&self, key: &str) -> String {
        let path = self.path();
        if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Reports every key that the schema does not know, suggesting the closest known one.
    fn finish(&self, cx: &mut Cx<'_>) {
        for (name, _) in self.table.iter() {
            let key = name.name;
            if self.known.contains(&key) {
                continue;
            }
            let hint = match suggest(key, self.known.iter().copied()) {
                Some(close) => format!("did you mean `{close}`? expected one of: {}", self.known.join(", ")),
                None => format!("expected one of: {}", self.known.join(", ")),
            };
            cx.error(self.path_of(key), name.span.range(), format!("unknown field `{key}` ({hint})"));
        }
    }
}

fn type_name(value: Toml<'_, '_>) -> &'static str {
    match value {
        Toml::String(_) => "a string",
        Toml::Integer(_) => "an integer",
        Toml::Float(_) => "a number with a fraction",
        Toml::Boolean(_) => "a boolean",
        Toml::DateTime(_) => "a date-time",
        Toml::Array(_) => "an array",
        Toml::Table(_) => "a table",
    }
}

fn wrong_type(cx: &mut Cx<'_>, path: String, node: Node<'_, '_>, expected: &str) {
    cx.error(path, node.span().range(), format!("expected {expected}, found {}", type_name(node.value())));
}

fn missing(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str, expected: &str) {
    cx.error(fields.path_of(key), fields.span.clone(), format!("missing field `{key}` ({expected})"));
}

/// A field the table must have, read by `read` when present and reported as missing (saying what
/// was expected) when not.
fn required<T>(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    key: &str,
    expected: &str,
    read: impl FnOnce(&mut Cx<'_>) -> Option<T>,
) -> Option<T> {
    if fields.has(key) {
        read(cx)
    } else {
        missing(cx, fields, key, expected);
        None
    }
}

fn opt_string(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<Spanned<String>> {
    let node = fields.get(key)?;
    match node.value() {
        Toml::String(text) => Some(Spanned::new(node.span().range(), text.to_string())),
        _ => {
            wrong_type(cx, fields.path_of(key), node, "a string");
            None
        }
    }
}

/// A string borrowed from the document, for values only compared or looked up.
fn opt_str<'t>(cx: &mut Cx<'_>, fields: &Fields<'t, '_>, key: &str) -> Option<Spanned<&'t str>> {
    let node = fields.get(key)?;
    match node.value() {
        Toml::String(text) => Some(Spanned::new(node.span().range(), *text)),
        _ => {
            wrong_type(cx, fields.path_of(key), node, "a string");
            None
        }
    }
}

fn req_string(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str, expected: &str) -> Option<Spanned<String>> {
    let value = required(cx, fields, key, expected, |cx| opt_string(cx, fields, key))?;
    if value.get_ref().trim().is_empty() {
        cx.error(fields.path_of(key), value.span(), format!("`{key}` is empty ({expected})"));
        return None;
    }
    Some(value)
}

fn text(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> String {
    opt_string(cx, fields, key).map(Spanned::into_inner).unwrap_or_default()
}

/// An identifier: letters, digits, `_`, `-` and `.`, starting with a letter or digit.
fn req_id(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str, what: &str) -> Option<Spanned<String>> {
    let id = req_string(cx, fields, key, &format!("the {what}'s id"))?;
    let valid = id.get_ref().chars().next().is_some_and(|first| first.is_ascii_alphanumeric())
        && id.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        cx.error(
            fields.path_of(key),
            id.span(),
            format!("`{}` is not a valid id (expected letters, digits, `_`, `-` or `.`, starting with a letter or digit)", id.get_ref()),
        );
        return None;
    }
    Some(id)
}

fn opt_bool(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<bool> {
    let node = fields.get(key)?;
    match node.value() {
        Toml::Boolean(flag) => Some(*flag),
        _ => {
            wrong_type(cx, fields.path_of(key), node, "true or false");
            None
        }
    }
}

fn integer_of(node: Node<'_, '_>) -> Result<i64, &'static str> {
    match node.value() {
        Toml::Integer(integer) => integer.as_i64().ok_or("an integer that fits in 64 bits"),
        _ => Err("an integer"),
    }
}

fn opt_integer(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<Spanned<i64>> {
    let node = fields.get(key)?;
    match integer_of(node) {
        Ok(number) => Some(Spanned::new(node.span().range(), number)),
        Err(expected) => {
            wrong_type(cx, fields.path_of(key), node, expected);
            None
        }
    }
}

fn number_of(node: Node<'_, '_>) -> Option<f64> {
    match node.value() {
        Toml::Integer(_) => integer_of(node).ok().map(|number| number as f64),
        Toml::Float(float) => Some(*float),
        _ => None,
    }
}

fn opt_number(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<Spanned<f64>> {
    let node = fields.get(key)?;
    match number_of(node) {
        Some(number) if number.is_finite() => Some(Spanned::new(node.span().range(), number)),
        Some(_) => {
            cx.error(fields.path_of(key), node.span().range(), "expected a finite number, found inf or nan");
            None
        }
        None => {
            wrong_type(cx, fields.path_of(key), node, "a number");
            None
        }
    }
}

fn date_of(node: Node<'_, '_>) -> Result<Date, String> {
    match node.value() {
        Toml::String(text) => text.parse::<Date>().map_err(|error| error.to_string()),
        Toml::DateTime(datetime) => match (datetime.date(), datetime.time()) {
            (Some(date), None) => Date::new(i32::from(date.year), date.month, date.day).map_err(|error| error.to_string()),
            _ => Err("expected a date such as 2025-11-23, without a time of day".to_owned()),
        },
        other => Err(format!("expected a date such as 2025-11-23, found {}", type_name(other))),
    }
}

fn opt_date(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<Spanned<Date>> {
    let node = fields.get(key)?;
    match date_of(node) {
        Ok(date) => Some(Spanned::new(node.span().range(), date)),
        Err(message) => {
            cx.error(fields.path_of(key), node.span().range(), message);
            None
        }
    }
}

fn opt_string_list(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<Vec<Spanned<String>>> {
    let node = fields.get(key)?;
    let Toml::Array(array) = node.value() else {
        wrong_type(cx, fields.path_of(key), node, "an array of strings");
        return None;
    };
    let mut strings = Vec::new();
    for (index, element) in array.iter().enumerate() {
        match element.value() {
            Toml::String(text) => strings.push(Spanned::new(element.span().range(), text.to_string())),
            _ => wrong_type(cx, format!("{}[{index}]", fields.path_of(key)), element, "a string"),
        }
    }
    Some(strings)
}

fn keyword<T: Keyword>(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<T> {
    let value = opt_str(cx, fields, key)?;
    match T::ALL.iter().find(|choice| choice.keyword() == *value.get_ref()) {
        Some(choice) => Some(*choice),
        None => {
            let words: Vec<&str> = T::ALL.iter().map(|choice| choice.keyword()).collect();
            cx.error(fields.path_of(key), value.span(), unknown_keyword(key, value.get_ref(), &words));
            None
        }
    }
}

/// A keyword field that may be left out, meaning `default`.
fn keyword_or<T: Keyword>(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str, default: T) -> Option<T> {
    if fields.has(key) { keyword(cx, fields, key) } else { Some(default) }
}

fn unknown_keyword(key: &str, value: &str, words: &[&str]) -> String {
    match suggest(value, words.iter().copied()) {
        Some(close) => format!("unknown {key} `{value}` (did you mean `{close}`? expected one of: {})", words.join(", ")),
        None => format!("unknown {key} `{value}` (expected one of: {})", words.join(", ")),
    }
}

/// An array of tables (`[[key]]` or an array of inline tables).
fn tables<'t, 'i>(cx: &mut Cx<'_>, fields: &Fields<'t, 'i>, key: &str, known: &'static [&'static str]) -> Vec<Fields<'t, 'i>> {
    let Some(node) = fields.get(key) else {
        return Vec::new();
    };
    let Toml::Array(array) = node.value() else {
        wrong_type(cx, fields.path_of(key), node, &format!("an array of tables (write each as [[{}]])", fields.path_of(key)));
        return Vec::new();
    };
    let array_path: std::rc::Rc<str> = fields.path_of(key).into();
    let mut children = Vec::with_capacity(array.len());
    for (index, element) in array.iter().enumerate() {
        match element.value() {
            Toml::Table(table) => {
                children.push(Fields { table, path: FieldPath::Element(array_path.clone(), index), span: element.span().range(), known })
            }
            _ => wrong_type(cx, format!("{array_path}[{index}]"), element, "a table"),
        }
    }
    children
}

fn table<'t, 'i>(cx: &mut Cx<'_>, fields: &Fields<'t, 'i>, key: &str, known: &'static [&'static str]) -> Option<Fields<'t, 'i>> {
    let node = fields.get(key)?;
    match node.value() {
        Toml::Table(table) => Some(Fields { table, path: FieldPath::Named(fields.path_of(key)), span: node.span().range(), known }),
        _ => {
            wrong_type(cx, fields.path_of(key), node, "a table");
            None
        }
    }
}

/// Remembers ids and where they were first defined, to report duplicates.
struct Registry {
    what: &'static str,
    seen: HashMap<String, Range<usize>>,
}

impl Registry {
    fn new(what: &'static str) -> Registry {
        Registry { what, seen: HashMap::new() }
    }

    /// Registers an id; false (with an error) when it is taken.
    fn add(&mut self, cx: &mut Cx<'_>, path: String, id: &Spanned<String>) -> bool {
        if let Some(first) = self.seen.get(id.get_ref()) {
            let line = cx.line_of(first);
            cx.error(path, id.span(), format!("duplicate {} `{}` (first defined on line {line})", self.what, id.get_ref()));
            return false;
        }
        self.seen.insert(id.get_ref().clone(), id.span());
        true
    }
}

/// Checks a reference to a defined id, suggesting a close one when it dangles.
fn check_ref<'a>(
    cx: &mut Cx<'_>,
    path: String,
    value: &Spanned<String>,
    what: &'static str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> bool {
    if known.clone().into_iter().any(|id| id == value.get_ref()) {
        return true;
    }
    if cx.declared.contains(&(what, value.get_ref().clone())) {
        // Defined, but its definition has errors of its own, already reported.
        return false;
    }
    let ids: Vec<&str> = known.into_iter().collect();
    let expected = match suggest(value.get_ref(), ids.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if ids.len() <= 12 && !ids.is_empty() => format!("expected one of: {}", ids.join(", ")),
        None => format!("no {what} has this id"),
    };
    cx.error(path, value.span(), format!("unknown {what} `{}` ({expected})", value.get_ref()));
    false
}

// ---------------------------------------------------------------------------------------------
// Sections, in dependency order.

fn read_negotiation(cx: &mut Cx<'_>, root: &Fields<'_, '_>) -> Negotiation {
    root.finish(cx);
    let mut negotiation = Negotiation::default();
    let header = table(cx, root, "negotiation", NEGOTIATION_FIELDS);
    let mut signatories = None;
    match &header {
        Some(header) => {
            header.finish(cx);
            negotiation.id = req_id(cx, header, "id", "negotiation").map(Spanned::into_inner).unwrap_or_default();
            negotiation.title = req_string(cx, header, "title", "a short title").map(Spanned::into_inner).unwrap_or_default();
            negotiation.description = text(cx, header, "description");
            signatories = opt_string_list(cx, header, "signatories");
        }
        None if !root.has("negotiation") => {
            cx.error("negotiation", 0..0, "missing table [negotiation] (expected id and title)");
        }
        None => {}
    }

    let parties = read_parties(cx, root);
    negotiation.parties = parties;
    let party_ids: Vec<&str> = negotiation.parties.iter().map(|party| party.id.as_str()).collect();

    // Signatories: named, or every principal.
    match signatories {
        Some(list) => {
            let header = header.as_ref().expect("signatories come from the header");
            let mut seen = BTreeSet::new();
            for (index, signatory) in list.iter().enumerate() {
                let path = format!("negotiation.signatories[{index}]");
                if !seen.insert(signatory.get_ref().clone()) {
                    cx.error(path, signatory.span(), format!("`{}` is listed twice", signatory.get_ref()));
                    continue;
                }
                if check_ref(cx, path.clone(), signatory, "party", party_ids.iter().copied()) {
                    let role = negotiation.party(signatory.get_ref()).map(|party| party.role);
                    if role == Some(Role::Host) {
                        cx.error(
                            path.clone(),
                            signatory.span(),
                            format!("`{}` is a host and cannot sign (expected a principal, mediator or stakeholder)", signatory.get_ref()),
                        );
                    }
                    if role == Some(Role::Observer) {
                        cx.error(
                            path,
                            signatory.span(),
                            format!(
                                "`{}` is an observer and cannot sign (expected a principal, mediator or stakeholder)",
                                signatory.get_ref()
                            ),
                        );
                    }
                }
            }
            if list.is_empty() {
                cx.error(
                    "negotiation.signatories",
                    header.get("signatories").map_or(0..0, |node| node.span().range()),
                    "no signatories (expected the ids of the parties whose acceptance makes a deal)",
                );
            }
            negotiation.signatories = list.into_iter().map(Spanned::into_inner).collect();
        }
        None => {
            negotiation.signatories =
                negotiation.parties.iter().filter(|party| party.role == Role::Principal).map(|party| party.id.clone()).collect();
            if negotiation.signatories.is_empty() && !negotiation.parties.is_empty() {
                let span = header.as_ref().map_or(0..0, |header| header.span.clone());
                cx.error(
                    "negotiation.signatories",
                    span,
                    "no signatories (expected `signatories = [...]` or at least one party with role = \"principal\")",
                );
            }
        }
    }

    negotiation.blocs = read_blocs(cx, root, &negotiation.parties);
    negotiation.issues = read_issues(cx, root);
    negotiation.rounds = read_rounds(cx, root, &party_ids, &negotiation.blocs);
    let timeline = Timeline::new(&negotiation.rounds);
    let refs = Refs::new(&negotiation, &timeline);
    let read = documents::read_documents(cx, root, &refs);
    negotiation.documents = read;
    negotiation.phases = phases::read_phases(cx, root, &Refs::new(&negotiation, &timeline));
    let refs = Refs::new(&negotiation, &timeline);
    let items = read_items(cx, root, &refs);
    negotiation.items = items;
    let refs = Refs::new(&negotiation, &timeline);
    let stances = read_stances(cx, root, &refs);
    let red_lines = read_red_lines(cx, root, &refs);
    let statements = read_statements(cx, root, &refs, &red_lines);
    let preferences = read_preferences(cx, root, &refs);
    let demands = read_demands(cx, root, &refs);
    let deadlines = read_deadlines(cx, root, &refs);
    negotiation.stances = stances.into();
    negotiation.red_lines = red_lines;
    negotiation.statements = statements;
    negotiation.preferences = preferences;
    negotiation.demands = demands;
    negotiation.deadlines = deadlines;
    let refs = Refs::new(&negotiation, &timeline);
    let obligations = implementation::read_obligations(cx, root, &refs);
    let assessments = implementation::read_assessments(cx, root, &refs, &obligations);
    negotiation.obligations = obligations;
    negotiation.implementation = assessments;
    negotiation.sources = implementation::read_sources(cx, root);
    negotiation
}

/// What later sections refer to, indexed: a file may hold tens of thousands of references.
struct Refs<'n> {
    negotiation: &'n Negotiation,

    party_ids: HashSet<&'n str>,
    issue_index: HashMap<&'n str, usize>,
    /// Round id → (index, when it happened).
    round_index: HashMap<&'n str, (usize, Option<Instant>)>,
    item_index: HashMap<(&'n str, u32), usize>,
    /// Item number → the indexes of the items of that number, one per document that has it.
    item_numbers: HashMap<u32, Vec<usize>>,
    /// When each item (by index) was introduced.
    item_introduced: Vec<Instant>,
}

impl<'n> Refs<'n> {
    fn new(negotiation: &'n Negotiation, timeline: &'n Timeline) -> Refs<'n> {
        Refs {
            negotiation,

            party_ids: negotiation.parties.iter().map(|party| party.id.as_str()).collect(),
            issue_index: negotiation.issues.iter().enumerate().map(|(index, issue)| (issue.id.as_str(), index)).collect(),
            round_index: negotiation
                .rounds
                .iter()
                .enumerate()
                .map(|(index, round)| (round.id.as_str(), (index, timeline.round(&round.id))))
                .collect(),
            item_index: negotiation.items.iter().enumerate().map(|(index, item)| ((item.document.as_str(), item.number), index)).collect(),
            item_numbers: negotiation.items.iter().enumerate().fold(HashMap::new(), |mut numbers, (index, item)| {
                numbers.entry(item.number).or_insert_with(Vec::new).push(index);
                numbers
            }),
            item_introduced: negotiation.items.iter().map(|item| timeline.moment(&item.introduced)).collect(),
        }
    }

    /// The issue `id` names, reporting an unknown one (with a "did you mean").
    fn issue(&self, cx: &mut Cx<'_>, path: impl FnOnce() -> String, id: &Spanned<String>) -> Option<&'n Issue> {
        let found = self.issue_index.get(id.get_ref().as_str()).map(|&index| &self.negotiation.issues[index]);
        if found.is_none() {
            check_ref(cx, path(), id, "issue", self.negotiation.issues.iter().map(|issue| issue.id.as_str()));
        }
        found
    }

    fn party(&self, cx: &mut Cx<'_>, path: impl FnOnce() -> String, id: &Spanned<String>) -> bool {
        self.party_ids.contains(id.get_ref().as_str())
            || check_ref(cx, path(), id, "party", self.negotiation.parties.iter().map(|party| party.id.as_str()))
    }

    /// A party or a bloc, which may hold stances and red lines.
    fn holder(&self, cx: &mut Cx<'_>, path: impl FnOnce() -> String, id: &Spanned<String>) -> bool {
        if self.party_ids.contains(id.get_ref().as_str()) || self.negotiation.bloc(id.get_ref()).is_some() {
            return true;
        }
        let parties = self.negotiation.parties.iter().map(|party| party.id.as_str());
        check_ref(cx, path(), id, "party", parties.chain(self.negotiation.blocs.iter().map(|bloc| bloc.id.as_str())))
    }

    fn item(&self, cx: &mut Cx<'_>, path: impl FnOnce() -> String, number: &Spanned<i64>) -> Option<&'n FrameworkItem> {
        let found = match u32::try_from(*number.get_ref()) {
            Ok(number) if self.negotiation.documents.len() <= 1 => {
                let document = self.negotiation.documents.first().map_or("", |document| document.id.as_str());
                self.item_index.get(&(document, number)).map(|&index| &self.negotiation.items[index])
            }
            Ok(wanted) => {
                let candidates: &[usize] = self.item_numbers.get(&wanted).map_or(&[], Vec::as_slice);
                match candidates {
                    [only] => Some(&self.negotiation.items[*only]),
                    [_, _, ..] => {
                        let documents: Vec<&str> =
                            candidates.iter().map(|&index| self.negotiation.items[index].document.as_str()).collect();
                        let written: Vec<String> = documents.iter().map(|document| format!("\"{document}:{wanted}\"")).collect();
                        cx.error(
                            path(),
                            number.span(),
                            format!(
                                "item {wanted} is ambiguous: documents {} each have one (write {})",
                                documents.join(", "),
                                written.join(" or ")
                            ),
                        );
                        return None;
                    }
                    _ => None,
                }
            }
            Err(_) => None,
        };
        if found.is_none() && !cx.declared.contains(&("item", number.get_ref().to_string())) {
            let numbers: Vec<u32> = self.negotiation.items.iter().map(|item| item.number).collect();
            let expected = match (numbers.iter().min(), numbers.iter().max()) {
                (Some(min), Some(max)) => format!("expected one of the framework's item numbers, {min} to {max}"),
                _ => "the framework has no items".to_owned(),
            };
            cx.error(path(), number.span(), format!("unknown item {} ({expected})", number.get_ref()));
        }
        found
    }

    /// A round that events may happen in: known and not merely planned.
    fn round(&self, cx: &mut Cx<'_>, path: impl FnOnce() -> String, id: &Spanned<impl AsRef<str>>) -> Option<Instant> {
        let Some(&(index, instant)) = self.round_index.get(id.get_ref().as_ref()) else {
            let owned = Spanned::new(id.span(), id.get_ref().as_ref().to_owned());
            check_ref(cx, path(), &owned, "round", self.negotiation.rounds.iter().map(|round| round.id.as_str()));
            return None;
        };
        let round = &self.negotiation.rounds[index];
        if round.planned {
            cx.error(path(), id.span(), format!("round `{}` is planned: nothing can have happened in it yet", id.get_ref().as_ref()));
            return None;
        }
        instant
    }

    /// When an item entered the framework.
    fn introduced(&self, item: &FrameworkItem) -> Instant {
        self.item_index.get(&(item.document.as_str(), item.number)).map_or(Instant::START, |&index| self.item_introduced[index])
    }

    /// An item reference: a number, or `"DOC:N"` naming the document.
    fn item_node(&self, cx: &mut Cx<'_>, path: impl Fn() -> String, node: Node<'_, '_>) -> Option<&'n FrameworkItem> {
        match node.value() {
            Toml::String(text) => documents::qualified_item(cx, self, path, node.span().range(), text),
            _ => match integer_of(node) {
                Ok(number) => self.item(cx, path, &Spanned::new(node.span().range(), number)),
                Err(_) => {
                    wrong_type(cx, path(), node, "an item number, or \"DOC:N\" for item N of document DOC");
                    None
                }
            },
        }
    }

    /// A `round = ".."` or `date = ..` pair; at most one may be given.
    fn moment(&self, cx: &mut Cx<'_>, fields: &Fields<'_, '_>, required: bool) -> Option<(Moment, Instant)> {
        let round = opt_str(cx, fields, "round");
        let date = opt_date(cx, fields, "date");
        match (round, date) {
            (Some(round), date) => {
                if let Some(date) = date {
                    cx.error(fields.path_of("date"), date.span(), "give either `round` or `date`, not both (a round has its own date)");
                }
                let instant = self.round(cx, || fields.path_of("round"), &round)?;
                Some((Moment::Round((*round.get_ref()).to_owned()), instant))
            }
            (None, Some(date)) => Some((Moment::Date(*date.get_ref()), Instant::end_of(*date.get_ref()))),
            (None, None) if required && !fields.has("round") && !fields.has("date") => {
                cx.error(fields.path(), fields.span.clone(), "missing `round` or `date` (expected when this was recorded)");
                None
            }
            (None, None) => None,
        }
    }

    /// A `since`/`until` value: a round id or a date.
    fn round_or_date(&self, cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> Option<(Moment, Instant)> {
        let node = fields.get(key)?;
        if let Toml::String(text) = node.value() {
            if self.negotiation.round(text).is_some() || text.parse::<Date>().is_err() {
                let id = Spanned::new(node.span().range(), text.to_string());
                let instant = self.round(cx, || fields.path_of(key), &id)?;
                return Some((Moment::Round(text.to_string()), instant));
            }
        }
        match date_of(node) {
            Ok(date) => Some((Moment::Date(date), Instant::end_of(date))),
            Err(_) => {
                wrong_type(cx, fields.path_of(key), node, "a round id or a date");
                None
            }
        }
    }
}

fn read_parties(cx: &mut Cx<'_>, root: &Fields<'_, '_>) -> Vec<Party> {
    let mut registry = Registry::new("party");
    let mut parties = Vec::new();
    for fields in tables(cx, root, "parties", PARTY_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "party");
        let role =
            required(cx, &fields, "role", "one of: mediator, principal, stakeholder, observer, host", |cx| keyword(cx, &fields, "role"));
        if let (Some(id), Some(role)) = (&id, role) {
            // A mediator called `mediator` is what `--viewer mediator` then means.
            if !(id.get_ref() == "mediator" && role == Role::Mediator) {
                reserved_id(cx, fields.path_of("id"), id, "party");
            }
        }
        let name = opt_string(cx, &fields, "name");
        let description = text(cx, &fields, "description");
        let mut member_ids = Registry::new("member");
        let mut members = Vec::new();
        for member in tables(cx, &fields, "members", MEMBER_FIELDS) {
            member.finish(cx);
            let member_id = req_id(cx, &member, "id", "member");
            let member_name = req_string(cx, &member, "name", "the member's name");
            let title = text(cx, &member, "title");
            let body = text(cx, &member, "body");
            if let (Some(member_id), Some(member_name)) = (member_id, member_name) {
                if member_ids.add(cx, member.path_of("id"), &member_id) {
                    members.push(Member { id: member_id.into_inner(), name: member_name.into_inner(), title, body });
                }
            }
        }
        let (Some(id), Some(role)) = (id, role) else { continue };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        let name = name.map_or_else(|| id.get_ref().clone(), Spanned::into_inner);
        parties.push(Party { id: id.into_inner(), name, role, description, members });
    }
    parties
}

fn read_issues(cx: &mut Cx<'_>, root: &Fields<'_, '_>) -> Vec<Issue> {
    let mut registry = Registry::new("issue");
    let mut issues = Vec::new();
    for mut fields in tables(cx, root, "issues", ALL_ISSUE_FIELDS) {
        let id = req_string(cx, &fields, "id", "the issue's id");
        // Issue ids appear in red-line expressions, so they must be expression identifiers.
        let id = id.filter(|id| {
            let valid = id.get_ref().chars().next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
                && id.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                cx.error(fields.path_of("id"), id.span(), format!("`{}` is not a valid issue id (expected letters, digits and `_`, starting with a letter, so that red lines can name it)", id.get_ref()));
            }
            valid
        });
        let name = opt_string(cx, &fields, "name");
        let description = text(cx, &fields, "description");
        let kind_word =
            required(cx, &fields, "kind", "one of: choice, integer, real, subset, yes-no", |cx| opt_string(cx, &fields, "kind"));
        let kind = kind_word.and_then(|word| {
            fields.known = match word.get_ref().as_str() {
                "choice" => CHOICE_FIELDS,
                "integer" => INTEGER_FIELDS,
                "real" => REAL_FIELDS,
                "subset" => SUBSET_FIELDS,
                "yes-no" => ISSUE_COMMON_FIELDS,
                _ => {
                    cx.error(fields.path_of("kind"), word.span(), unknown_keyword("kind", word.get_ref(), ISSUE_KINDS));
                    return None;
                }
            };
            read_issue_kind(cx, &fields, word.get_ref())
        });
        fields.finish(cx);
        let (Some(id), Some(kind)) = (id, kind) else { continue };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        let name = name.map_or_else(|| id.get_ref().clone(), Spanned::into_inner);
        issues.push(Issue { id: id.into_inner(), name, description, kind });
    }
    issues
}

fn read_issue_kind(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, word: &str) -> Option<IssueKind> {
    let unit = text(cx, fields, "unit");
    match word {
        "choice" => {
            let options = required(cx, fields, "options", "the list of options", |cx| opt_string_list(cx, fields, "options"))?;
            let ordered = opt_bool(cx, fields, "ordered").unwrap_or(false);
            let names = distinct_names(cx, fields, "options", &options, "option")?;
            Some(IssueKind::Choice { options: names, ordered })
        }
        "integer" => {
            let step = opt_integer(cx, fields, "step");
            let (min, max) = bounds(cx, fields, opt_integer)?;
            let step_value = step.as_ref().map_or(1, |step| *step.get_ref());
            if step_value <= 0 {
                let span = step.map_or(fields.span.clone(), |step| step.span());
                cx.error(fields.path_of("step"), span, format!("step {step_value} is not positive (expected a step of 1 or more)"));
                return None;
            }
            if (i128::from(*max.get_ref()) - i128::from(*min.get_ref())) % i128::from(step_value) != 0 {
                let span = step.map_or(fields.span.clone(), |step| step.span());
                cx.warn(
                    fields.path_of("step"),
                    span,
                    format!(
                        "max {} is not min {} plus a multiple of step {step_value}; the largest value is then unreachable",
                        max.get_ref(),
                        min.get_ref()
                    ),
                );
            }
            Some(IssueKind::Integer { min: *min.get_ref(), max: *max.get_ref(), step: step_value, unit })
        }
        "real" => {
            let (min, max) = bounds(cx, fields, opt_number)?;
            Some(IssueKind::Real { min: *min.get_ref(), max: *max.get_ref(), unit })
        }
        "subset" => {
            let elements =
                required(cx, fields, "elements", "the list of elements that can be chosen", |cx| opt_string_list(cx, fields, "elements"))?;
            let names = distinct_names(cx, fields, "elements", &elements, "element")?;
            Some(IssueKind::Subset { elements: names })
        }
        _ => Some(IssueKind::YesNo),
    }
}

/// The `min` and `max` of a numeric issue: both present, and `max >= min`.
fn bounds<T: PartialOrd + std::fmt::Display>(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    read: fn(&mut Cx<'_>, &Fields<'_, '_>, &str) -> Option<Spanned<T>>,
) -> Option<(Spanned<T>, Spanned<T>)> {
    let min = required(cx, fields, "min", "the smallest value", |cx| read(cx, fields, "min"));
    let max = required(cx, fields, "max", "the largest value", |cx| read(cx, fields, "max"));
    let (min, max) = (min?, max?);
    if max.get_ref() < min.get_ref() {
        let message = format!("max {} is below min {} (expected max >= min)", max.get_ref(), min.get_ref());
        cx.error(fields.path_of("max"), max.span(), message);
        return None;
    }
    Some((min, max))
}

fn distinct_names(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str, names: &[Spanned<String>], what: &str) -> Option<Vec<String>> {
    if names.is_empty() {
        let span = fields.get(key).map_or(fields.span.clone(), |node| node.span().range());
        cx.error(fields.path_of(key), span, format!("no {what}s (expected at least one)"));
        return None;
    }
    let mut seen = BTreeSet::new();
    let mut ok = true;
    for (index, name) in names.iter().enumerate() {
        if !seen.insert(name.get_ref().as_str()) {
            cx.error(format!("{}[{index}]", fields.path_of(key)), name.span(), format!("{what} \"{}\" is listed twice", name.get_ref()));
            ok = false;
        }
    }
    ok.then(|| names.iter().map(|name| name.get_ref().clone()).collect())
}

fn read_rounds(cx: &mut Cx<'_>, root: &Fields<'_, '_>, party_ids: &[&str], blocs: &[Bloc]) -> Vec<Round> {
    let mut registry = Registry::new("round");
    let mut rounds = Vec::new();
    for fields in tables(cx, root, "rounds", ROUND_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "round");
        let planned = opt_bool(cx, &fields, "planned").unwrap_or(false);
        let date = opt_date(cx, &fields, "date");
        if date.is_none() && !fields.has("date") && !planned {
            missing(cx, &fields, "date", "the day the round took place; only `planned = true` rounds may omit it");
        }
        let kind = keyword_or(cx, &fields, "kind", RoundKind::Meeting);
        let participants = opt_string_list(cx, &fields, "participants").unwrap_or_default();
        for (index, participant) in participants.iter().enumerate() {
            check_ref(cx, format!("{}[{index}]", fields.path_of("participants")), participant, "party", party_ids.iter().copied());
        }
        let title = text(cx, &fields, "title");
        let venue = text(cx, &fields, "venue");
        let summary = text(cx, &fields, "summary");
        let end = read_round_end(cx, &fields, date.as_ref());
        let owner = opt_string(cx, &fields, "party")
            .filter(|party| check_ref(cx, fields.path_of("party"), party, "party", party_ids.iter().copied()));
        let channel = read_channel(cx, &fields, blocs, owner.as_ref(), "party", false);
        let host =
            opt_string(cx, &fields, "host").filter(|host| check_ref(cx, fields.path_of("host"), host, "party", party_ids.iter().copied()));
        let (Some(id), Some(kind)) = (id, kind) else { continue };
        if (date.is_none() && !planned) || !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        rounds.push(Round {
            id: id.into_inner(),
            title,
            date: date.map(Spanned::into_inner),
            planned,
            venue,
            kind,
            participants: participants.into_iter().map(Spanned::into_inner).collect(),
            summary,
            end,
            visibility: channel.0,
            party: owner.map(Spanned::into_inner),
            bloc: channel.1,
            host: host.map(Spanned::into_inner),
        });
    }
    rounds
}

/// A round's optional `end`: the last day of talks held over several days, after its `date`.
fn read_round_end(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, date: Option<&Spanned<Date>>) -> Option<Date> {
    let end = opt_date(cx, fields, "end")?;
    let Some(date) = date else {
        if fields.has("date") {
            return None;
        }
        cx.error(fields.path_of("end"), end.span(), "a round with an `end` needs a `date` (expected the first day of the talks)");
        return None;
    };
    if end.get_ref().last_day() <= date.get_ref().last_day() {
        let message = format!("`end` {} is not after `date` {} (expected the last day of the talks)", end.get_ref(), date.get_ref());
        cx.error(fields.path_of("end"), end.span(), message);
        return None;
    }
    Some(end.into_inner())
}

fn read_items(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<FrameworkItem> {
    let mut numbers: HashMap<(String, u32), Range<usize>> = HashMap::new();
    // One item per document may settle an issue: an interim text and the final agreement each
    // settle the enrichment limit, and the document in play governs (`docs/status.md`).
    let mut settled_by: HashMap<(String, String), (String, u32)> = HashMap::new();
    let several = refs.negotiation.has_several_documents();
    let mut items = Vec::new();
    for fields in tables(cx, root, "items", ITEM_FIELDS) {
        fields.finish(cx);
        let number = required(cx, &fields, "number", "the item's number in the framework, from 1", |cx| opt_integer(cx, &fields, "number"));
        let number = number.and_then(|number| match u32::try_from(*number.get_ref()) {
            Ok(value) if value >= 1 => Some(Spanned::new(number.span(), value)),
            _ => {
                cx.error(
                    fields.path_of("number"),
                    number.span(),
                    format!("item number {} is out of range (expected 1 to {})", number.get_ref(), u32::MAX),
                );
                None
            }
        });
        let title = req_string(cx, &fields, "title", "a short title");
        let document = documents::item_document(cx, &fields, refs);
        let text_value = text(cx, &fields, "text");
        let topic = text(cx, &fields, "topic");
        let by = opt_string(cx, &fields, "by").filter(|by| refs.party(cx, || fields.path_of("by"), by));
        let introduced = refs.moment(cx, &fields, false);
        let introduced_instant = introduced.as_ref().map_or(Instant::START, |(_, instant)| *instant);
        let (visibility, _) = read_channel(cx, &fields, &refs.negotiation.blocs, by.as_ref(), "by", true);

        let mut settles = Vec::new();
        for (index, issue) in opt_string_list(cx, &fields, "settles").unwrap_or_default().into_iter().enumerate() {
            let path = format!("{}[{index}]", fields.path_of("settles"));
            if refs.issue(cx, || path.clone(), &issue).is_none() {
                continue;
            }
            if settles.contains(issue.get_ref()) {
                cx.error(path, issue.span(), format!("issue `{}` is listed twice", issue.get_ref()));
                continue;
            }
            let this = number.as_ref().zip(document.as_ref()).map(|(number, document)| (document.clone(), *number.get_ref()));
            let key = this.as_ref().map(|(document, _)| (issue.get_ref().clone(), document.clone()));
            if let (Some(other), Some(this)) = (key.as_ref().and_then(|key| settled_by.get(key)), this.as_ref()) {
                if other != this {
                    let other = crate::document::item_label(&other.0, other.1, several);
                    let expected = if several { "one item per document" } else { "one item" };
                    cx.error(
                        path,
                        issue.span(),
                        format!(
                            "issue `{}` is already settled by item {other} (expected each issue to be settled by {expected})",
                            issue.get_ref()
                        ),
                    );
                    continue;
                }
            }
            if let (Some(key), Some(this)) = (key, this) {
                settled_by.insert(key, this);
            }
            settles.push(issue.into_inner());
        }
        let (proposes, schedules) = phases::read_proposal(cx, &fields, refs, &settles);

        let mut revisions: Vec<Revision> = Vec::new();
        let mut previous: Option<Instant> = None;
        for revision_fields in tables(cx, &fields, "revisions", REVISION_FIELDS) {
            revision_fields.finish(cx);
            let round = req_string(cx, &revision_fields, "round", "the round in which the item was revised");
            let instant = round.as_ref().and_then(|round| refs.round(cx, || revision_fields.path_of("round"), round));
            if let (Some(instant), Some(round)) = (instant, round.as_ref()) {
                if instant < introduced_instant {
                    cx.error(
                        revision_fields.path_of("round"),
                        round.span(),
                        format!(
                            "revised in round `{}`, before the item was introduced (expected a round at or after the item's)",
                            round.get_ref()
                        ),
                    );
                }
                if previous.is_some_and(|previous| instant < previous) {
                    cx.error(
                        revision_fields.path_of("round"),
                        round.span(),
                        format!(
                            "round `{}` comes before the previous revision's round (expected revisions in time order)",
                            round.get_ref()
                        ),
                    );
                }
                previous = Some(instant);
            }
            let by = opt_string(cx, &revision_fields, "by").filter(|by| refs.party(cx, || revision_fields.path_of("by"), by));
            let title = opt_string(cx, &revision_fields, "title").map(Spanned::into_inner);
            let text = opt_string(cx, &revision_fields, "text").map(Spanned::into_inner);
            let (proposes, revision_schedules) = phases::read_proposal(cx, &revision_fields, refs, &settles);
            let withdraws = read_withdrawals(cx, &revision_fields, refs, &settles, &proposes);
            let removed = opt_bool(cx, &revision_fields, "removed").unwrap_or(false);
            let restored = opt_bool(cx, &revision_fields, "restored").unwrap_or(false);
            if removed && restored {
                cx.error(
                    revision_fields.path_of("restored"),
                    revision_fields.span.clone(),
                    "a revision cannot both remove and restore an item",
                );
            }
            let note = text_or_empty(cx, &revision_fields, "note");
            let source = text_or_empty(cx, &revision_fields, "source");
            if title.is_none() && text.is_none() && proposes.is_empty() && withdraws.is_empty() && !removed && !restored && note.is_empty()
            {
                cx.warn(
                    revision_fields.path(),
                    revision_fields.span.clone(),
                    "this revision changes nothing (expected text, title, proposes, withdraws, removed or restored)",
                );
            }
            if let (Some(round), true) = (round, instant.is_some()) {
                revisions.push(Revision {
                    round: round.into_inner(),
                    by: by.map(Spanned::into_inner),
                    title,
                    text,
                    proposes,
                    removed,
                    restored,
                    note,
                    source,
                    withdraws,
                    schedules: revision_schedules,
                });
            }
        }

        let readouts = readouts::read_readouts(cx, &fields, refs, &settles, introduced_instant);
        let (Some(number), Some(title), Some(document)) = (number, title, document) else { continue };
        let key = (document.clone(), *number.get_ref());
        if let Some(first) = numbers.get(&key) {
            let line = cx.line_of(first);
            let within = if document.is_empty() { String::new() } else { format!(" in document {document}") };
            cx.error(
                fields.path_of("number"),
                number.span(),
                format!("duplicate item {}{within} (first defined on line {line})", number.get_ref()),
            );
            continue;
        }
        numbers.insert(key, number.span());
        items.push(FrameworkItem {
            number: *number.get_ref(),
            document,
            readouts,
            title: title.into_inner(),
            topic,
            text: text_value,
            settles,
            proposes,
            introduced: introduced.map_or(Moment::Start, |(moment, _)| moment),
            by: by.map(Spanned::into_inner),
            revisions,
            visibility,
            schedules,
        });
    }
    let position = |id: &str| refs.negotiation.documents.iter().position(|document| document.id == id).unwrap_or(0);
    items.sort_by_key(|item| (position(&item.document), item.number));
    items
}

fn text_or_empty(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str) -> String {
    text(cx, fields, key)
}

/// A `proposes = { issue = value, .. }` table, typed by each issue's kind.
fn read_proposal(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>, settles: &[String]) -> Vec<(String, Value)> {
    let Some(node) = fields.get("proposes") else {
        return Vec::new();
    };
    let Toml::Table(table) = node.value() else {
        wrong_type(cx, fields.path_of("proposes"), node, "a table such as { troop_cap = 800000 }");
        return Vec::new();
    };
    let mut proposal = Vec::new();
    for (key, value) in table.iter() {
        let issue_id = key.name;
        let path = format!("{}.{issue_id}", fields.path_of("proposes"));
        let Some(issue) = refs.issue(cx, || path.clone(), &Spanned::new(key.span.range(), issue_id.to_owned())) else { continue };
        if !settles.iter().any(|settled| settled == issue_id) {
            cx.error(
                path,
                key.span.range(),
                format!("the item proposes a value for `{issue_id}` but does not settle it (add it to `settles`)"),
            );
            continue;
        }
        match value_of(value, &issue.kind) {
            Ok(value) => proposal.push((issue_id.to_owned(), value)),
            Err(message) => cx.error(path, value.span().range(), message),
        }
    }
    proposal
}

/// A revision's `withdraws = ["issue", ..]`: issues the item settles whose proposed value the
/// revision takes back (and does not propose again in the same breath).
fn read_withdrawals(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    refs: &Refs<'_>,
    settles: &[String],
    proposes: &[(String, Value)],
) -> Vec<String> {
    let mut withdraws: Vec<String> = Vec::new();
    for (index, issue) in opt_string_list(cx, fields, "withdraws").unwrap_or_default().into_iter().enumerate() {
        let path = format!("{}[{index}]", fields.path_of("withdraws"));
        if refs.issue(cx, || path.clone(), &issue).is_none() {
            continue;
        }
        let id = issue.get_ref();
        if !settles.iter().any(|settled| settled == id) {
            cx.error(
                path,
                issue.span(),
                format!("the revision withdraws a value for `{id}` but the item does not settle it (expected one of the item's `settles`)"),
            );
        } else if proposes.iter().any(|(proposed, _)| proposed == id) {
            cx.error(
                path,
                issue.span(),
                format!("the revision both proposes and withdraws a value for `{id}` (expected one or the other)"),
            );
        } else if withdraws.contains(id) {
            cx.error(path, issue.span(), format!("issue `{id}` is listed twice"));
        } else {
            withdraws.push(issue.into_inner());
        }
    }
    withdraws
}

pub(crate) fn with_article(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {word}")
}

/// Converts a TOML value to an issue value, checking its type and domain.
fn value_of(node: Node<'_, '_>, kind: &IssueKind) -> Result<Value, String> {
    let value = match (kind, node.value()) {
        (IssueKind::Choice { .. }, Toml::String(text)) => Value::Choice(text.to_string()),
        (IssueKind::Integer { .. }, Toml::Integer(_)) => {
            Value::Integer(integer_of(node).map_err(|expected| format!("expected {expected}"))?)
        }
        (IssueKind::Real { .. }, Toml::Integer(_) | Toml::Float(_)) => match number_of(node) {
            Some(number) if number.is_finite() => Value::Real(number),
            _ => return Err("expected a finite number".to_owned()),
        },
        (IssueKind::Subset { .. }, Toml::Array(array)) => {
            let mut chosen = BTreeSet::new();
            for element in array.iter() {
                match element.value() {
                    Toml::String(text) => {
                        chosen.insert(text.to_string());
                    }
                    other => return Err(format!("expected an array of element names, found {} in it", type_name(other))),
                }
            }
            Value::Set(chosen)
        }
        (IssueKind::YesNo, Toml::Boolean(flag)) => Value::Bool(*flag),
        (kind, other) => {
            let expected = match kind {
                IssueKind::Choice { .. } => "one of the options, in quotes",
                IssueKind::Integer { .. } => "an integer",
                IssueKind::Real { .. } => "a number",
                IssueKind::Subset { .. } => "an array of element names",
                IssueKind::YesNo => "true or false",
            };
            return Err(format!("expected {expected} for {} issue, found {}", with_article(kind.keyword()), type_name(other)));
        }
    };
    kind.check(&value).map_err(|problem| format!("{problem} (expected a value in the issue's domain)"))?;
    Ok(value)
}

fn read_stances(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<std::sync::Arc<Stance>> {
    let tables = tables(cx, root, "stances", STANCE_FIELDS);
    let mut stances = Vec::with_capacity(tables.len());
    for fields in tables {
        fields.finish(cx);
        let party = req_string(cx, &fields, "party", "the id of the party (or bloc) taking the stance")
            .filter(|party| refs.holder(cx, || fields.path_of("party"), party));
        let position =
            required(cx, &fields, "position", "one of: accepts, accepts-with-reservations, undecided, opposes, red-line", |cx| {
                keyword(cx, &fields, "position")
            });
        let visibility = keyword_or(cx, &fields, "visibility", Visibility::Public);
        let bloc = bloc_visibility(cx, &fields, refs, party.as_ref(), visibility);
        let moment = refs.moment(cx, &fields, true);

        // `item = N` or `items = [N, ..]`.
        // (index in `items`, or None for `item`; the number).
        // (index in `items`, or None for `item`; the reference: a number or "DOC:N").
        let mut numbers: Vec<(Option<usize>, Node<'_, '_>)> = Vec::new();
        match (fields.get("item"), fields.get("items")) {
            (Some(_), Some(items)) => cx.error(fields.path_of("items"), items.span().range(), "give either `item` or `items`, not both"),
            (Some(node), None) => numbers.push((None, node)),
            (None, Some(node)) => match node.value() {
                Toml::Array(array) => {
                    numbers.extend(array.iter().enumerate().map(|(index, element)| (Some(index), element)));
                    if array.is_empty() {
                        cx.error(fields.path_of("items"), node.span().range(), "no items (expected at least one item number)");
                    }
                }
                _ => wrong_type(cx, fields.path_of("items"), node, "an array of item numbers"),
            },
            (None, None) => missing(cx, &fields, "item", "the item number, or `items = [..]` for several"),
        }
        let source = text(cx, &fields, "source");
        let note = text(cx, &fields, "note");
        let target = readouts::read_target(cx, &fields, refs);

        let mut items = Vec::new();
        for (index, node) in numbers {
            let path = || match index {
                Some(index) => format!("{}[{index}]", fields.path_of("items")),
                None => fields.path_of("item"),
            };
            let Some(item) = refs.item_node(cx, path, node) else { continue };
            if let Some((_, instant)) = &moment {
                if *instant < refs.introduced(item) {
                    let label = refs.negotiation.item_label(item);
                    cx.error(path(), node.span().range(), format!("a stance on item {label} before the item was introduced"));
                    continue;
                }
                if !target.check(cx, &fields, refs, item, *instant) {
                    continue;
                }
            }
            items.push((item.document.clone(), item.number));
        }
        let (Some(party), Some(position), Some(visibility), Some((at, _))) = (party, position, visibility, moment) else { continue };
        let position_span = fields.get("position").map_or(fields.span.clone(), |node| node.span().range());
        for (document, item) in items {
            cx.stance_positions.push((fields.path_of("position"), position_span.clone()));
            stances.push(std::sync::Arc::new(Stance {
                party: party.get_ref().clone(),
                item,
                document,
                version: target.version(),
                readout: target.readout(),
                position,
                at: at.clone(),
                source: source.clone(),
                visibility,
                note: note.clone(),
                bloc: bloc.clone(),
            }));
        }
    }
    stances
}

fn read_red_lines(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<RedLine> {
    let mut registry = Registry::new("red line");
    let mut red_lines: Vec<RedLine> = Vec::new();
    // (red line, path, span) of each `replaced_by`, checked once every red line is read.
    let mut replacements: Vec<(usize, String, Range<usize>)> = Vec::new();
    let issue_kind = |id: &str| refs.negotiation.issue(id).map(|issue| issue.kind.clone());
    for fields in tables(cx, root, "red_lines", RED_LINE_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "red line");
        let party = req_string(cx, &fields, "party", "the id of the party (or bloc) holding the red line")
            .filter(|party| refs.holder(cx, || fields.path_of("party"), party));
        let visibility = keyword_or(cx, &fields, "visibility", Visibility::Private);
        let bloc = bloc_visibility(cx, &fields, refs, party.as_ref(), visibility);
        let disclose = keyword_or(cx, &fields, "disclose", Disclosure::Nothing);
        let ending = keyword_or(cx, &fields, "ended", Ending::Lapsed);
        let reason = text(cx, &fields, "reason");
        let note = text(cx, &fields, "note");
        let replaced_by = opt_string(cx, &fields, "replaced_by");
        if !fields.has("until") {
            // How and why a red line ended mean nothing for one that did not.
            for key in ["ended", "reason", "replaced_by"].into_iter().filter(|key| fields.has(key)) {
                let span = fields.get(key).map_or(fields.span.clone(), |node| node.span().range());
                cx.error(fields.path_of(key), span, format!("`{key}` needs `until` (when the red line ended)"));
            }
        }
        if let (Some(replacement), Some(ending)) = (&replaced_by, ending) {
            if ending != Ending::Reinterpreted {
                cx.error(
                    fields.path_of("replaced_by"),
                    replacement.span(),
                    "`replaced_by` names the red line that reinterprets this one (expected `ended = \"reinterpreted\"`)",
                );
            }
        }
        let since = refs.round_or_date(cx, &fields, "since");
        let until = refs.round_or_date(cx, &fields, "until");
        if let (Some((_, since)), Some((_, until))) = (&since, &until) {
            if until <= since {
                cx.error(
                    fields.path_of("until"),
                    fields.get("until").map_or(fields.span.clone(), |node| node.span().range()),
                    "`until` is not after `since` (expected the red line to be dropped after it was drawn)",
                );
            }
        }
        let description = text(cx, &fields, "description");
        let source = text(cx, &fields, "source");
        let expression = req_string(cx, &fields, "expr", "a constraint such as troop_cap >= 800000");
        let expr = expression.as_ref().and_then(|expression| {
            let located = |cx: &mut Cx<'_>, span: Range<usize>, message: String| {
                let offset = expression_offset(cx.text, expression.span(), expression.get_ref(), span.start);
                cx.error(fields.path_of("expr"), offset..offset, message);
            };
            match Expr::parse(expression.get_ref()) {
                Ok(expr) => {
                    let mut errors = expr.check(&issue_kind);
                    errors.extend(expr.constant_comparisons(&issue_kind));
                    for error in &errors {
                        located(cx, error.span.clone(), format!("in red line: {}", error.message));
                    }
                    errors.is_empty().then_some(expr)
                }
                Err(error) => {
                    located(cx, error.span.clone(), format!("red-line syntax: {}", error.message));
                    None
                }
            }
        });
        let scope = phases::red_line_phases(cx, &fields, refs);
        let (Some(id), Some(party), Some(visibility), Some(expr), Some(expression), Some(disclose), Some(ending), Some(scope)) =
            (id, party, visibility, expr, expression, disclose, ending, scope)
        else {
            continue;
        };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        red_lines.push(RedLine {
            id: id.into_inner(),
            party: party.into_inner(),
            expression: expression.into_inner(),
            expr,
            description,
            visibility,
            since: since.map_or(Moment::Start, |(moment, _)| moment),
            until: until.map(|(moment, _)| moment),
            source,
            bloc,
            disclose,
            ending,
            reason,
            note,
            phases: scope,
            replaced_by: replaced_by.map(|replacement| (replacement.get_ref().clone(), replacement.span())).map(|(id, span)| {
                replacements.push((red_lines.len(), fields.path_of("replaced_by"), span));
                id
            }),
        });
    }
    // A replacement is another red line of the same party.
    for (index, path, span) in replacements {
        let red_line = &red_lines[index];
        let wanted = red_line.replaced_by.as_deref().unwrap_or_default();
        match red_lines.iter().find(|other| other.id == wanted) {
            Some(other) if other.id == red_line.id => cx.error(path, span, "a red line cannot replace itself"),
            Some(other) if other.party != red_line.party => cx.error(
                path,
                span,
                format!("red line `{wanted}` is {}'s, not {}'s (expected a red line of the same party)", other.party, red_line.party),
            ),
            Some(_) => {}
            None => {
                let ids = red_lines.iter().map(|other| other.id.as_str());
                check_ref(cx, path, &Spanned::new(span, wanted.to_owned()), "red line", ids);
            }
        }
    }
    red_lines
}

/// The byte offset in the file of an offset inside a string value: walks the string as written —
/// any of TOML's four kinds of string, with escapes and line-ending backslashes — alongside its
/// decoded text. Falls back to the start of the string only if the two do not line up.
fn expression_offset(text: &str, value_span: Range<usize>, decoded: &str, inner: usize) -> usize {
    let raw = text.get(value_span.clone()).unwrap_or("");
    match raw_offsets(raw) {
        Some(offsets) if offsets.len() == decoded.len() + 1 => offsets.get(inner).map_or(value_span.start, |raw| value_span.start + raw),
        _ => value_span.start,
    }
}

/// For a TOML string as written (delimiters included), the offset in it of every byte of its
/// decoded value, and of its end; `None` when it is not a string this reads.
fn raw_offsets(raw: &str) -> Option<Vec<usize>> {
    let (delimiter, basic) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else if raw.starts_with('"') {
        (1, true)
    } else if raw.starts_with('\'') {
        (1, false)
    } else {
        return None;
    };
    let end = raw.len().checked_sub(delimiter)?;
    let mut at = delimiter;
    // A newline right after a multi-line string's opening delimiter is not part of it.
    if delimiter == 3 {
        at += if raw.get(at..)?.starts_with("\r\n") { 2 } else { usize::from(raw.get(at..)?.starts_with('\n')) };
    }
    let mut offsets = Vec::with_capacity(end.saturating_sub(at) + 1);
    while at < end {
        let rest = raw.get(at..end)?;
        let first = rest.chars().next()?;
        if !(basic && first == '\\') {
            offsets.extend((0..first.len_utf8()).map(|byte| at + byte));
            at += first.len_utf8();
            continue;
        }
        let after = &rest[1..];
        let (written, decoded) = match after.chars().next()? {
            escape @ ('u' | 'U' | 'x') => {
                let digits = match escape {
                    'u' => 4,
                    'U' => 8,
                    _ => 2,
                };
                let code = u32::from_str_radix(after.get(1..1 + digits)?, 16).ok()?;
                (2 + digits, char::from_u32(code)?.len_utf8())
            }
            // A line-ending backslash: it and all whitespace up to the next text vanish.
            ' ' | '\t' | '\n' | '\r' => (1 + after.len() - after.trim_start_matches([' ', '\t', '\n', '\r']).len(), 0),
            _ => (2, 1),
        };
        offsets.extend(std::iter::repeat_n(at, decoded));
        at += written;
    }
    offsets.push(end);
    Some(offsets)
}

fn read_statements(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>, red_lines: &[RedLine]) -> Vec<Statement> {
    let mut registry = Registry::new("statement");
    let mut statements = Vec::new();
    for fields in tables(cx, root, "statements", STATEMENT_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "statement");
        let speaker = req_string(cx, &fields, "speaker", "who spoke, e.g. \"Marco Rubio\" or \"unnamed US official\"");
        let party = opt_string(cx, &fields, "party").filter(|party| refs.party(cx, || fields.path_of("party"), party));
        let date = required(cx, &fields, "date", "the day the statement was made", |cx| opt_date(cx, &fields, "date"));
        let round = opt_string(cx, &fields, "round");
        if let Some(round) = &round {
            if let (Some(_), Some(date)) = (refs.round(cx, || fields.path_of("round"), round), &date) {
                check_statement_in_round(cx, &fields, refs, round, date.get_ref());
            }
        }
        let member = read_statement_member(cx, &fields, refs, party.as_ref());
        let (visibility, bloc) = read_channel(cx, &fields, &refs.negotiation.blocs, party.as_ref(), "party", true);
        let attribution = keyword_or(cx, &fields, "attribution", Attribution::Named);
        let quote = req_string(cx, &fields, "quote", "what was said");
        let quote_kind = keyword_or(cx, &fields, "quote_kind", QuoteKind::Verbatim);
        let venue = text(cx, &fields, "venue");
        let outlet = text(cx, &fields, "outlet");
        let source = text(cx, &fields, "source");
        // When the statement was made, as claims judges it: its round, else the end of its day.
        let made = round
            .as_ref()
            .and_then(|round| refs.round_index.get(round.get_ref().as_str()).and_then(|(_, instant)| *instant))
            .or(date.as_ref().map(|date| Instant::end_of(*date.get_ref())));
        let claims: Vec<Claim> =
            tables(cx, &fields, "claims", CLAIM_FIELDS).iter().filter_map(|claim| read_claim(cx, claim, (refs, red_lines), made)).collect();
        let (Some(id), Some(speaker), Some(date), Some(attribution), Some(quote), Some(quote_kind)) =
            (id, speaker, date, attribution, quote, quote_kind)
        else {
            continue;
        };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        statements.push(Statement {
            id: id.into_inner(),
            speaker: speaker.into_inner(),
            party: party.map(Spanned::into_inner),
            date: date.into_inner(),
            round: round.map(Spanned::into_inner),
            venue,
            outlet,
            attribution,
            quote: quote.into_inner(),
            source,
            claims,
            member,
            visibility,
            bloc,
            quote_kind,
        });
    }
    statements
}

/// A statement's `member`: one of the members of its `party`, which it then requires.
fn read_statement_member(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>, party: Option<&Spanned<String>>) -> Option<String> {
    let member = opt_string(cx, fields, "member")?;
    let Some(party) = party else {
        if !fields.has("party") {
            cx.error(fields.path_of("member"), member.span(), "a statement naming a `member` needs the member's `party`");
        }
        return None;
    };
    let members = &refs.negotiation.party(party.get_ref())?.members;
    if members.iter().any(|known| &known.id == member.get_ref()) {
        return Some(member.into_inner());
    }
    let ids: Vec<&str> = members.iter().map(|known| known.id.as_str()).collect();
    let expected = match suggest(member.get_ref(), ids.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if ids.is_empty() => format!("`{}` lists no members", party.get_ref()),
        None => format!("expected one of: {}", ids.join(", ")),
    };
    cx.error(
        fields.path_of("member"),
        member.span(),
        format!("`{}` is not a member of `{}` ({expected})", member.get_ref(), party.get_ref()),
    );
    None
}

/// The words `--viewer` reads as kinds of viewer, which an id would shadow.
pub const VIEWER_KEYWORDS: &[&str] = &["all", "everything", "public", "mediator"];

/// Reports an id that is a viewer keyword, so that `--viewer WORD` has one meaning. The one
/// exception, a mediator party called `mediator`, is what `--viewer mediator` then names.
fn reserved_id(cx: &mut Cx<'_>, path: String, id: &Spanned<String>, what: &str) {
    if !VIEWER_KEYWORDS.contains(&id.get_ref().as_str()) {
        return;
    }
    let meaning = match id.get_ref().as_str() {
        "mediator" => "any mediator",
        "public" => "the public",
        _ => "the whole record",
    };
    let word = id.get_ref();
    let message = format!("`{word}` is a viewer keyword: `--viewer {word}` means {meaning}, never a {what} (expected another id)");
    cx.error(path, id.span(), message);
}

/// Warns when a statement's date lies outside its round's days (its date, or its span from `date`
/// to `end`); a month or year date need only overlap them.
fn check_statement_in_round(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>, round: &Spanned<String>, date: &Date) {
    let Some(held) = refs.negotiation.round(round.get_ref()) else { return };
    let (Some(first), Some(last)) = (held.date, held.effective_date()) else { return };
    if date.last_day() >= first.first_day() && date.first_day() <= last.last_day() {
        return;
    }
    let when = match held.end {
        Some(end) => format!("held from {first} to {end}"),
        None => format!("dated {first}"),
    };
    cx.warn(fields.path_of("round"), round.span(), format!("round `{}` is {when}, the statement {date}", round.get_ref()));
}

fn read_claim(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    (refs, red_lines): (&Refs<'_>, &[RedLine]),
    made: Option<Instant>,
) -> Option<Claim> {
    fields.finish(cx);
    let negated = opt_bool(cx, fields, "negated").unwrap_or(false);
    let note = text(cx, fields, "note");
    let kind_word = req_string(cx, fields, "kind", &format!("one of: {}", CLAIM_KINDS.join(", ")))?;
    let allowed: &[&str] = match kind_word.get_ref().as_str() {
        "accepts" => &["party", "version", "document"],
        "item-agreed" => &["item", "version"],
        "stance" => &["party", "item", "position", "version"],
        "differences-minor" => &[],
        "progress" => &["at_least"],
        "value" => &["issue", "op", "value", "of", "party", "document", "version", "phase"],
        "red-line-holds" => &["red_line"],
        other => {
            cx.error(fields.path_of("kind"), kind_word.span(), unknown_keyword("kind", other, CLAIM_KINDS));
            return None;
        }
    };
    for key in ["party", "item", "position", "version", "at_least", "document", "issue", "op", "value", "of", "red_line", "phase"] {
        if let Some(node) = fields.get(key) {
            if !allowed.contains(&key) {
                cx.error(
                    fields.path_of(key),
                    node.span().range(),
                    format!(
                        "a {} claim has no `{key}` (its fields: {})",
                        kind_word.get_ref(),
                        if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") }
                    ),
                );
            }
        }
    }
    let required_party = |cx: &mut Cx<'_>| {
        req_string(cx, fields, "party", "the party the claim is about")
            .filter(|party| refs.party(cx, || fields.path_of("party"), party))
            .map(Spanned::into_inner)
    };
    let required_item = |cx: &mut Cx<'_>| -> Option<(String, u32)> {
        let node = required(cx, fields, "item", "the item number the claim is about", |_| fields.get("item"))?;
        refs.item_node(cx, || fields.path_of("item"), node).map(|item| (item.document.clone(), item.number))
    };
    let kind = match kind_word.get_ref().as_str() {
        "accepts" => {
            let party = required_party(cx);
            let version = claims::claim_version(cx, fields, refs, made).ok()?;
            let document = documents::claim_document(cx, fields, refs)?;
            ClaimKind::Accepts { party: party?, version, document }
        }
        "item-agreed" => {
            let item = required_item(cx);
            let version = claims::claim_version(cx, fields, refs, made);
            let (document, item) = item?;
            ClaimKind::ItemAgreed { item, document, version: version.ok()? }
        }
        "stance" => {
            let party = required_party(cx);
            let item = required_item(cx);
            let position = required(cx, fields, "position", "the position claimed", |cx| keyword(cx, fields, "position"));
            let version = claims::claim_version(cx, fields, refs, made);
            let (document, item) = item?;
            ClaimKind::Stance { party: party?, item, position: position?, document, version: version.ok()? }
        }
        "differences-minor" => ClaimKind::DifferencesMinor,
        "value" => claims::read_value_claim(cx, fields, refs, made)?,
        "red-line-holds" => claims::read_red_line_claim(cx, fields, red_lines)?,
        _ => {
            let expected = "the share of items claimed agreed, between 0 and 1";
            let share = required(cx, fields, "at_least", expected, |cx| opt_number(cx, fields, "at_least"))?;
            if !(0.0..=1.0).contains(share.get_ref()) {
                cx.error(
                    fields.path_of("at_least"),
                    share.span(),
                    format!("{} is not a share (expected a number between 0 and 1)", share.get_ref()),
                );
                return None;
            }
            ClaimKind::Progress { at_least: *share.get_ref() }
        }
    };
    Some(Claim { kind, negated, note })
}

fn read_preferences(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<Preference> {
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    let mut preferences = Vec::new();
    for fields in tables(cx, root, "preferences", PREFERENCE_FIELDS) {
        fields.finish(cx);
        let party = req_string(cx, &fields, "party", "the party whose preferences these are")
            .filter(|party| refs.party(cx, || fields.path_of("party"), party));
        let visibility = keyword_or(cx, &fields, "visibility", Visibility::Private);
        let bloc = bloc_visibility(cx, &fields, refs, party.as_ref(), visibility);
        let reservation = opt_number(cx, &fields, "reservation");
        if let Some(reservation) = &reservation {
            if !(0.0..=1.0).contains(reservation.get_ref()) {
                cx.error(
                    fields.path_of("reservation"),
                    reservation.span(),
                    format!("reservation {} is outside 0..1 (expected the utility of no agreement)", reservation.get_ref()),
                );
            }
        }
        let mut issues = Vec::new();
        match table(cx, &fields, "issues", &[]) {
            Some(issue_tables) => {
                for (key, node) in issue_tables.table.iter() {
                    let path = format!("{}.{}", issue_tables.path(), key.name);
                    let Some(issue) = refs.issue(cx, || path.clone(), &Spanned::new(key.span.range(), key.name.to_owned())) else {
                        continue;
                    };
                    let Toml::Table(entry) = node.value() else {
                        wrong_type(cx, path, node, "a table such as { weight = 0.3, best = 800000, worst = 600000 }");
                        continue;
                    };
                    let known = match issue.kind {
                        IssueKind::Integer { .. } | IssueKind::Real { .. } => NUMERIC_PREFERENCE_FIELDS,
                        IssueKind::Choice { .. } | IssueKind::YesNo => TABLE_PREFERENCE_FIELDS,
                        IssueKind::Subset { .. } => SUBSET_PREFERENCE_FIELDS,
                    };
                    let entry = Fields { table: entry, path: FieldPath::Named(path), span: node.span().range(), known };
                    entry.finish(cx);
                    if let Some(preference) = read_issue_preference(cx, &entry, issue) {
                        issues.push(preference);
                    }
                }
            }
            None if !fields.has("issues") => missing(cx, &fields, "issues", "a table of issue valuations"),
            None => {}
        }
        let (Some(party), Some(visibility)) = (party, visibility) else { continue };
        if let Some(first) = seen.get(party.get_ref()) {
            let line = cx.line_of(first);
            cx.error(
                fields.path_of("party"),
                party.span(),
                format!("preferences of `{}` are already given on line {line}", party.get_ref()),
            );
            continue;
        }
        seen.insert(party.get_ref().clone(), party.span());
        let reservation = reservation.map_or(0.0, Spanned::into_inner);
        preferences.push(Preference { party: party.into_inner(), visibility, reservation, issues, bloc });
    }
    preferences
}

fn read_issue_preference(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, issue: &Issue) -> Option<IssuePreference> {
    let weight = required(cx, fields, "weight", "how much this issue matters to the party", |cx| opt_number(cx, fields, "weight"))?;
    if *weight.get_ref() < 0.0 {
        cx.error(fields.path_of("weight"), weight.span(), format!("weight {} is negative (expected 0 or more)", weight.get_ref()));
        return None;
    }
    let weight = weight.into_inner();
    let valuation = match &issue.kind {
        IssueKind::Integer { .. } | IssueKind::Real { .. } => {
            let best = required(cx, fields, "best", "the value the party values most", |cx| opt_number(cx, fields, "best"));
            let worst = required(cx, fields, "worst", "the value the party values least", |cx| opt_number(cx, fields, "worst"));
            let (best, worst) = (best?, worst?);
            if best.get_ref() == worst.get_ref() {
                cx.error(fields.path_of("worst"), worst.span(), "`best` and `worst` are equal (expected two different values)");
                return None;
            }
            Valuation::Linear { best: best.into_inner(), worst: worst.into_inner() }
        }
        IssueKind::Choice { options, .. } => Valuation::Table { values: evaluation_table(cx, fields, "values", options, true)? },
        IssueKind::YesNo => {
            let names = vec!["yes".to_owned(), "no".to_owned()];
            Valuation::Table { values: evaluation_table(cx, fields, "values", &names, true)? }
        }
        IssueKind::Subset { elements } => {
            let empty = opt_number(cx, fields, "empty").map_or(0.0, Spanned::into_inner);
            Valuation::Elements { empty, elements: evaluation_table(cx, fields, "elements", elements, false)? }
        }
    };
    Some(IssuePreference { issue: issue.id.clone(), weight, valuation })
}

/// A `{ name = number }` table whose names must be among `names`; evaluations in [0, 1] when
/// `unit`, any finite amount otherwise.
fn evaluation_table(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, key: &str, names: &[String], unit: bool) -> Option<Vec<(String, f64)>> {
    let Some(node) = fields.get(key) else {
        missing(cx, fields, key, "a table of evaluations such as { open = 1.0, renounced = 0.0 }");
        return None;
    };
    let Toml::Table(table) = node.value() else {
        wrong_type(cx, fields.path_of(key), node, "a table of evaluations");
        return None;
    };
    let mut values = Vec::new();
    let mut ok = true;
    for (name, value) in table.iter() {
        let path = format!("{}.{}", fields.path_of(key), name.name);
        if !names.iter().any(|known| known == name.name) {
            let hint = match suggest(name.name, names.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("expected one of: {}", names.join(", ")),
            };
            cx.error(path, name.span.range(), format!("`{}` is not a value of this issue ({hint})", name.name));
            ok = false;
            continue;
        }
        match number_of(value) {
            Some(number) if number.is_finite() && (!unit || (0.0..=1.0).contains(&number)) => values.push((name.name.to_owned(), number)),
            Some(number) if number.is_finite() => {
                cx.error(path, value.span().range(), format!("{number} is outside 0..1 (expected an evaluation between 0 and 1)"));
                ok = false;
            }
            _ => {
                wrong_type(cx, path, value, "a finite number");
                ok = false;
            }
        }
    }
    ok.then_some(values)
}

fn read_demands(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<Demand> {
    let mut demands = Vec::new();
    // One demand per party, issue and moment: a later one replaces an earlier one, but two at the
    // same moment would leave the record ambiguous (and a store keyed by them would flip).
    let mut seen: HashMap<(String, String, String), Range<usize>> = HashMap::new();
    for fields in tables(cx, root, "demands", DEMAND_FIELDS) {
        fields.finish(cx);
        let party = req_string(cx, &fields, "party", "the party making the demand")
            .filter(|party| refs.party(cx, || fields.path_of("party"), party));
        let issue_id = req_string(cx, &fields, "issue", "the issue the demand is about");
        let issue = issue_id.as_ref().and_then(|id| refs.issue(cx, || fields.path_of("issue"), id));
        let at = refs.moment(cx, &fields, false);
        let demanded = issue.and_then(|issue| demanded_values(cx, &fields, issue));
        let visibility = keyword_or(cx, &fields, "visibility", Visibility::Public);
        let bloc = bloc_visibility(cx, &fields, refs, party.as_ref(), visibility);
        let source = text(cx, &fields, "source");
        let note = text(cx, &fields, "note");
        let (Some(party), Some(issue), Some((value, up_to, alternatives)), Some(visibility)) = (party, issue, demanded, visibility) else {
            continue;
        };
        let at = at.map_or(Moment::Start, |(moment, _)| moment);
        let key = (party.get_ref().clone(), issue.id.clone(), at.to_string());
        if let Some(first) = seen.get(&key) {
            let line = cx.line_of(first);
            let when = if at.is_start() { String::new() } else { format!(" at {at}") };
            cx.error(
                fields.path(),
                fields.span.clone(),
                format!(
                    "duplicate demand of {} on `{}`{when} (first on line {line}; date a later demand with `round` or `date`)",
                    party.get_ref(),
                    issue.id
                ),
            );
            continue;
        }
        seen.insert(key, fields.span.clone());
        demands.push(Demand {
            party: party.into_inner(),
            issue: issue.id.clone(),
            value,
            visibility,
            source,
            at,
            up_to,
            alternatives,
            note,
            bloc,
        });
    }
    demands
}

fn read_deadlines(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<Deadline> {
    let mut registry = Registry::new("deadline");
    let mut deadlines = Vec::new();
    for fields in tables(cx, root, "deadlines", DEADLINE_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "deadline");
        let title = text(cx, &fields, "title");
        let date = required(cx, &fields, "date", "the day (or month, or year) it falls due", |cx| opt_date(cx, &fields, "date"));
        let purpose = text(cx, &fields, "for");
        // A number, or "DOC:N" where documents repeat numbers.
        let item = fields.get("item").and_then(|node| refs.item_node(cx, || fields.path_of("item"), node));
        let document = item.map(|item| item.document.clone()).unwrap_or_default();
        let item = item.map(|item| item.number);
        let met = opt_bool(cx, &fields, "met");
        let source = text(cx, &fields, "source");
        let extensions = date.as_ref().map(|date| read_extensions(cx, &fields, *date.get_ref()));
        let (Some(id), Some(date), Some(Some(extensions))) = (id, date, extensions) else { continue };
        if (fields.has("item") && item.is_none()) || (fields.has("met") && met.is_none()) || !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        deadlines.push(Deadline { id: id.into_inner(), title, date: date.into_inner(), purpose, item, met, extensions, source, document });
    }
    deadlines
}

/// A deadline's `[[deadlines.extensions]]`: each granted (`on`) no later than the date it moves,
/// not before the previous one, and moving it to a later date (`to`).
fn read_extensions(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, date: Date) -> Option<Vec<Extension>> {
    let mut extensions: Vec<Extension> = Vec::new();
    let mut ok = true;
    let mut due = date;
    for extension in tables(cx, fields, "extensions", EXTENSION_FIELDS) {
        extension.finish(cx);
        let on = required(cx, &extension, "on", "the day the extension was granted", |cx| opt_date(cx, &extension, "on"));
        let to = required(cx, &extension, "to", "the new due date", |cx| opt_date(cx, &extension, "to"));
        let reason = text(cx, &extension, "reason");
        let (Some(on), Some(to)) = (on, to) else {
            ok = false;
            continue;
        };
        let problem = if on.get_ref().last_day() > due.last_day() {
            Some((
                extension.path_of("on"),
                on.span(),
                format!(
                    "granted on {} after the deadline had passed on {due} (expected an extension granted by the date it moves)",
                    on.get_ref()
                ),
            ))
        } else if extensions.last().is_some_and(|previous| on.get_ref().last_day() < previous.on.last_day()) {
            Some((
                extension.path_of("on"),
                on.span(),
                format!("granted on {}, before the previous extension (expected extensions in the order they were granted)", on.get_ref()),
            ))
        } else if to.get_ref().last_day() <= due.last_day() {
            Some((
                extension.path_of("to"),
                to.span(),
                format!("moves the deadline to {}, not after {due} (expected a later date)", to.get_ref()),
            ))
        } else {
            None
        };
        if let Some((path, span, message)) = problem {
            cx.error(path, span, message);
            ok = false;
            continue;
        }
        due = *to.get_ref();
        extensions.push(Extension { on: on.into_inner(), to: to.into_inner(), reason });
    }
    ok.then_some(extensions)
}

fn read_blocs(cx: &mut Cx<'_>, root: &Fields<'_, '_>, parties: &[Party]) -> Vec<Bloc> {
    let mut registry = Registry::new("bloc");
    let mut blocs = Vec::new();
    let party_ids = || parties.iter().map(|party| party.id.as_str());
    for fields in tables(cx, root, "blocs", BLOC_FIELDS) {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "bloc").filter(|id| {
            if parties.iter().any(|party| &party.id == id.get_ref()) {
                cx.error(fields.path_of("id"), id.span(), format!("`{}` is a party's id (expected a bloc id of its own)", id.get_ref()));
                return false;
            }
            reserved_id(cx, fields.path_of("id"), id, "bloc");
            true
        });
        let name = opt_string(cx, &fields, "name");
        let description = text(cx, &fields, "description");
        let members = required(cx, &fields, "members", "the ids of the member parties", |cx| opt_string_list(cx, &fields, "members"));
        let mut ok = members.is_some();
        let mut seen = BTreeSet::new();
        for (index, member) in members.iter().flatten().enumerate() {
            let path = format!("{}[{index}]", fields.path_of("members"));
            if !seen.insert(member.get_ref().clone()) {
                cx.error(path, member.span(), format!("`{}` is listed twice", member.get_ref()));
                ok = false;
            } else if !check_ref(cx, path, member, "party", party_ids()) {
                ok = false;
            }
        }
        if members.as_ref().is_some_and(Vec::is_empty) {
            cx.error(
                fields.path_of("members"),
                fields.get("members").map_or(0..0, |node| node.span().range()),
                "no members (expected at least one party)",
            );
            ok = false;
        }
        let speaks_for = opt_string(cx, &fields, "speaks_for");
        if let Some(speaker) = &speaks_for {
            if !seen.contains(speaker.get_ref()) {
                let members: Vec<&str> = seen.iter().map(String::as_str).collect();
                let message = format!("`{}` is not a member of the bloc (expected one of: {})", speaker.get_ref(), members.join(", "));
                cx.error(fields.path_of("speaks_for"), speaker.span(), message);
                ok = false;
            }
        }
        let (Some(id), Some(members), true) = (id, members, ok) else { continue };
        if !registry.add(cx, fields.path_of("id"), &id) {
            continue;
        }
        let name = name.map_or_else(|| id.get_ref().clone(), Spanned::into_inner);
        blocs.push(Bloc {
            id: id.into_inner(),
            name,
            members: members.into_iter().map(Spanned::into_inner).collect(),
            speaks_for: speaks_for.map(Spanned::into_inner),
            description,
        });
    }
    blocs
}

/// The `bloc` a stance, red line, demand or preference with `visibility = "bloc"` is shared with,
/// checked as a channel's is ([`shared_with`]).
fn bloc_visibility(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    refs: &Refs<'_>,
    owner: Option<&Spanned<String>>,
    visibility: Option<Visibility>,
) -> Option<String> {
    shared_with(cx, fields, &refs.negotiation.blocs, owner, visibility.unwrap_or(Visibility::Public))
}

/// A round's, item's or statement's `visibility` and, for `bloc`, the optional `bloc` it is shared
/// with: a secret channel. `private` and `bloc` need an owner (`owner_key`: the item's drafter
/// `by`, the statement's `party`), except for a round, whose participants always see it.
fn read_channel(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    blocs: &[Bloc],
    owner: Option<&Spanned<String>>,
    owner_key: &str,
    owner_required: bool,
) -> (Visibility, Option<String>) {
    let visibility = keyword_or(cx, fields, "visibility", Visibility::Public).unwrap_or(Visibility::Public);
    let owned = owner.is_some() || fields.has(owner_key);
    if matches!(visibility, Visibility::Private | Visibility::Bloc) && owner_required && !owned {
        let span = fields.get("visibility").map_or(fields.span.clone(), |node| node.span().range());
        let message = format!("`visibility = \"{}\"` needs an owner (expected `{owner_key}`)", visibility.keyword());
        cx.error(fields.path_of("visibility"), span, message);
    }
    let bloc = shared_with(cx, fields, blocs, owner, visibility);
    (visibility, bloc)
}

/// The optional `bloc` next to `visibility = "bloc"`: a known bloc of which the owner is a member
/// (or the owner itself). Without it, the owner must belong to a bloc.
fn shared_with(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    blocs: &[Bloc],
    owner: Option<&Spanned<String>>,
    visibility: Visibility,
) -> Option<String> {
    let bloc = if fields.has("bloc") { opt_string(cx, fields, "bloc") } else { None };
    let Some(bloc) = bloc else {
        if let (Visibility::Bloc, Some(owner)) = (visibility, owner) {
            if !blocs.iter().any(|bloc| bloc.id == *owner.get_ref() || bloc.members.contains(owner.get_ref())) {
                let span = fields.get("visibility").map_or(fields.span.clone(), |node| node.span().range());
                let message = format!("`{}` belongs to no bloc (expected a member of a [[blocs]] entry, or `bloc`)", owner.get_ref());
                cx.error(fields.path_of("visibility"), span, message);
            }
        }
        return None;
    };
    if visibility != Visibility::Bloc {
        let message = "`bloc` names whom a `visibility = \"bloc\"` entry is shared with (expected that visibility)";
        cx.error(fields.path_of("bloc"), bloc.span(), message);
        return None;
    }
    if !check_ref(cx, fields.path_of("bloc"), &bloc, "bloc", blocs.iter().map(|bloc| bloc.id.as_str())) {
        return None;
    }
    let shared = blocs.iter().find(|known| known.id == *bloc.get_ref());
    if let (Some(owner), Some(shared)) = (owner, shared) {
        if !shared.members.contains(owner.get_ref()) && shared.id != *owner.get_ref() {
            let message = format!("`{}` is not a member of bloc `{}` (expected one of its blocs)", owner.get_ref(), bloc.get_ref());
            cx.error(fields.path_of("bloc"), bloc.span(), message);
            return None;
        }
    }
    Some(bloc.into_inner())
}

/// A demand's `value`, `range = [low, high]` or `values = [a, b, ...]` (exactly one), typed like the
/// issue's values: the value (a range's low end, the first alternative), the high end, and the
/// other alternatives.
fn demanded_values(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, issue: &Issue) -> Option<(Value, Option<Value>, Vec<Value>)> {
    let given: Vec<&str> = ["value", "range", "values"].into_iter().filter(|key| fields.has(key)).collect();
    if given.is_empty() {
        missing(cx, fields, "value", "the value demanded (or `range = [low, high]`, or `values = [..]` for alternatives)");
        return None;
    }
    if given.len() > 1 {
        let key = given[1];
        let span = fields.get(key).map_or(fields.span.clone(), |node| node.span().range());
        cx.error(fields.path_of(key), span, format!("give one of `value`, `range` and `values`, not `{}` and `{key}`", given[0]));
        return None;
    }
    let one = |cx: &mut Cx<'_>, path: String, node: Node<'_, '_>| match value_of(node, &issue.kind)
        .and_then(|value| issue.kind.check(&value).map(|()| value))
    {
        Ok(value) => Some(value),
        Err(message) => {
            cx.error(path, node.span().range(), message);
            None
        }
    };
    let node = fields.get(given[0])?;
    if given[0] == "value" {
        return one(cx, fields.path_of("value"), node).map(|value| (value, None, Vec::new()));
    }
    let Toml::Array(array) = node.value() else {
        let expected = if given[0] == "range" { "a list of two values, [low, high]" } else { "a list of values" };
        wrong_type(cx, fields.path_of(given[0]), node, expected);
        return None;
    };
    let mut values = Vec::new();
    for (index, element) in array.iter().enumerate() {
        values.push(one(cx, format!("{}[{index}]", fields.path_of(given[0])), element)?);
    }
    if given[0] == "range" {
        if !issue.kind.is_ordered() {
            cx.error(fields.path_of("range"), node.span().range(), format!("`{}` is not ordered: give `value` or `values`", issue.id));
            return None;
        }
        let [low, high] = <[Value; 2]>::try_from(values).ok().or_else(|| {
            cx.error(fields.path_of("range"), node.span().range(), "a range is two values, [low, high]");
            None
        })?;
        if issue.kind.rank(&low) > issue.kind.rank(&high) {
            cx.error(fields.path_of("range"), node.span().range(), format!("the range's low end {low} is above its high end {high}"));
            return None;
        }
        return Some((low, Some(high), Vec::new()));
    }
    if values.len() < 2 {
        cx.error(fields.path_of("values"), node.span().range(), "alternatives are two or more values (give one with `value`)");
        return None;
    }
    let first = values.remove(0);
    Some((first, None, values))
}
