//! Red-line expressions: a small constraint language over issues.
//!
//! ```text
//! expr       := implies
//! implies    := or ( "implies" implies )?          right-associative
//! or         := and ( "or" and )*
//! and        := unary ( "and" unary )*
//! unary      := "not" unary | primary
//! primary    := "(" expr ")" | "true" | "false" | test
//! test       := ISSUE                               a yes-no issue is yes
//!             | ISSUE CMP literal | literal CMP ISSUE
//!             | sum CMP sum                         linear, over numeric issues
//!             | STRING ["not"] "in" ISSUE           element of a subset issue
//!             | ISSUE ["not"] "in" list             value among a list
//!             | ISSUE ("subset" | "superset") list
//! CMP        := "==" | "!=" | "<" | "<=" | ">" | ">="
//! literal    := NUMBER | STRING | "true" | "false" | "yes" | "no" | list
//! list       := "[" ( STRING ( "," STRING )* ","? )? "]"
//! sum        := ["-"] term ( ("+" | "-") term )*
//! term       := NUMBER [UNIT] | [NUMBER "*"] ISSUE | ISSUE "*" NUMBER
//! UNIT       := "%" | a word: the issue's unit, checked
//! ```
//!
//! Evaluation is three-valued: against a partial outcome (some issues not yet proposed) a test on
//! an unassigned issue is unknown, and `and`/`or`/`not`/`implies` follow Kleene's logic, so that a
//! red line is reported violated only when the values it depends on are known to violate it.
//!
//! ```
//! use parley_core::expr::Expr;
//! use parley_core::model::Value;
//!
//! let expr = Expr::parse("troop_cap >= 800_000 or not cap_binding").unwrap();
//! let outcome = |issue: &str| match issue {
//!     "troop_cap" => Some(Value::Integer(600_000)),
//!     "cap_binding" => Some(Value::Bool(true)),
//!     _ => None,
//! };
//! assert_eq!(expr.evaluate(&|issue| outcome(issue)), Some(false));
//! ```

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use crate::model::{IssueKind, Value, quoted_list};
use crate::scenario::with_article;

mod domain;
pub mod linear;

pub use linear::{Decimal, Linear, Term};

/// A parsed red-line expression.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Expr {
    #[default]
    True,
    False,
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Implies(Box<Expr>, Box<Expr>),
    /// `issue` alone: a yes-no issue is yes.
    Flag {
        issue: Name,
    },
    Compare {
        issue: Name,
        op: CompareOp,
        literal: Literal,
        literal_span: Range<usize>,
    },
    /// `"element" in issue`, for a subset issue.
    Contains {
        issue: Name,
        element: String,
        element_span: Range<usize>,
        negated: bool,
    },
    /// `issue in [..]`: the issue's value is one of the listed ones.
    OneOf {
        issue: Name,
        options: Vec<String>,
        list_span: Range<usize>,
        negated: bool,
    },
    /// `issue subset [..]` or `issue superset [..]`, for a subset issue.
    SetRelation {
        issue: Name,
        relation: SetRelation,
        elements: Vec<String>,
        list_span: Range<usize>,
    },
    /// A linear comparison over numeric issues (`a <= b`, `a + b <= 100`, `x <= 5 %`), decided
    /// in exact arithmetic.
    Linear(Linear),
}

/// An issue named in an expression, with where it stands in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub id: String,
    pub span: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetRelation {
    Subset,
    Superset,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Integer(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    List(Vec<String>),
}

/// What is wrong with an expression, and where (a byte range of its text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub span: Range<usize>,
    pub message: String,
}

impl ExprError {
    fn new(span: Range<usize>, message: impl Into<String>) -> ExprError {
        ExprError { span, message: message.into() }
    }

    /// The 1-based column (in characters) where the error starts in `text`.
    pub fn column(&self, text: &str) -> usize {
        let end = self.span.start.min(text.len());
        text.get(..end).map_or(end, |prefix| prefix.chars().count()) + 1
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

impl Expr {
    /// Parses an expression; the error carries the offending byte range.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let tokens = lex(text)?;
        // Evaluation and printing recurse over the tree; a bounded size bounds their depth.
        if tokens.len() > MAX_TOKENS {
            let span = tokens[MAX_TOKENS].span.clone();
            return Err(ExprError::new(span, format!("expression longer than {MAX_TOKENS} tokens (split the red line)")));
        }
        let mut parser = Parser { tokens, position: 0, end: text.len(), depth: 0, source: text.to_owned() };
        let expr = parser.implies()?;
        match parser.peek() {
            None => Ok(expr),
            Some(token) => {
                Err(ExprError::new(token.span.clone(), format!("unexpected {} after a complete expression", token.kind.describe())))
            }
        }
    }

    /// Every issue the expression mentions, in order of first mention.
    pub fn issues(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.visit_names(&mut |name| {
            if !names.contains(&name.id.as_str()) {
                names.push(name.id.as_str());
            }
        });
        names
    }

    fn visit_names<'a>(&'a self, visit: &mut dyn FnMut(&'a Name)) {
        match self {
            Expr::True | Expr::False => {}
            Expr::Not(inner) => inner.visit_names(visit),
            Expr::And(left, right) | Expr::Or(left, right) | Expr::Implies(left, right) => {
                left.visit_names(visit);
                right.visit_names(visit);
            }
            Expr::Flag { issue }
            | Expr::Compare { issue, .. }
            | Expr::Contains { issue, .. }
            | Expr::OneOf { issue, .. }
            | Expr::SetRelation { issue, .. } => visit(issue),
            Expr::Linear(linear) => linear.names().for_each(visit),
        }
    }

    /// Checks names, types and domain values against the issues; returns every problem found.
    pub fn check(&self, issue_kind: &dyn Fn(&str) -> Option<IssueKind>) -> Vec<ExprError> {
        let mut errors = Vec::new();
        self.check_into(issue_kind, &mut errors);
        errors
    }

    fn check_into(&self, issue_kind: &dyn Fn(&str) -> Option<IssueKind>, errors: &mut Vec<ExprError>) {
        let kind_of = |name: &Name, errors: &mut Vec<ExprError>| {
            let kind = issue_kind(&name.id);
            if kind.is_none() {
                errors.push(ExprError::new(name.span.clone(), format!("unknown issue `{}`", name.id)));
            }
            kind
        };
        match self {
            Expr::True | Expr::False => {}
            Expr::Not(inner) => inner.check_into(issue_kind, errors),
            Expr::And(left, right) | Expr::Or(left, right) | Expr::Implies(left, right) => {
                left.check_into(issue_kind, errors);
                right.check_into(issue_kind, errors);
            }
            Expr::Flag { issue } => match kind_of(issue, errors) {
                Some(IssueKind::YesNo) | None => {}
                Some(kind) => errors.push(ExprError::new(
                    issue.span.clone(),
                    format!("`{}` is {} issue, not yes-no: compare it with a value", issue.id, with_article(kind.keyword())),
                )),
            },
            Expr::Compare { issue, op, literal, literal_span } => {
                if let Some(kind) = kind_of(issue, errors) {
                    if let Err(message) = check_compare(&kind, *op, literal) {
                        errors.push(ExprError::new(literal_span.clone(), message));
                    }
                }
            }
            Expr::Contains { issue, element, element_span, .. } => match kind_of(issue, errors) {
                Some(IssueKind::Subset { elements }) => errors.extend(outside(&issue.id, "an element", &elements, [element], element_span)),
                Some(kind) => errors.push(ExprError::new(
                    issue.span.clone(),
                    format!("`in` needs a subset issue, but `{}` is {} issue", issue.id, with_article(kind.keyword())),
                )),
                None => {}
            },
            Expr::OneOf { issue, options, list_span, .. } => match kind_of(issue, errors) {
                Some(IssueKind::Choice { options: domain, .. }) => {
                    errors.extend(outside(&issue.id, "an option", &domain, options, list_span))
                }
                Some(kind) => errors.push(ExprError::new(
                    issue.span.clone(),
                    format!("`{} in [..]` needs a choice issue, but `{}` is {} issue", issue.id, issue.id, with_article(kind.keyword())),
                )),
                None => {}
            },
            Expr::SetRelation { issue, elements, list_span, .. } => match kind_of(issue, errors) {
                Some(IssueKind::Subset { elements: domain }) => {
                    errors.extend(outside(&issue.id, "an element", &domain, elements, list_span))
                }
                Some(kind) => errors.push(ExprError::new(
                    issue.span.clone(),
                    format!("`subset`/`superset` need a subset issue, but `{}` is {} issue", issue.id, with_article(kind.keyword())),
                )),
                None => {}
            },
            Expr::Linear(linear) => errors.extend(linear.check(issue_kind)),
        }
    }

    /// The comparisons that a number outside its issue's domain makes constant (`cap >= 5000` on
    /// `0..=100`), each as an error at the number saying what the test always gives. A scenario's
    /// red line with one is a mistake; analysis, which takes any well-typed expression, does not
    /// ask. Comparisons that [`Expr::check`] rejects are left to it.
    pub fn constant_comparisons(&self, issue_kind: &dyn Fn(&str) -> Option<IssueKind>) -> Vec<ExprError> {
        let mut errors = Vec::new();
        self.visit_comparisons(&mut |comparison| match comparison {
            Expr::Compare { issue, op, literal, literal_span } => {
                if let Some(kind) = issue_kind(&issue.id) {
                    if check_compare(&kind, *op, literal).is_ok() {
                        errors.extend(domain::constant_comparison(&issue.id, &kind, *op, literal, literal_span));
                    }
                }
            }
            Expr::Linear(linear) => {
                let names: Vec<&Name> = linear.names().collect();
                let single = names.iter().all(|name| name.id == names[0].id);
                if let Some(kind) =
                    names.first().filter(|_| single && linear.check(issue_kind).is_empty()).and_then(|name| issue_kind(&name.id))
                {
                    let start = linear.left.first().map_or(0, |term| term.span.start);
                    let end = linear.right.last().map_or(start, |term| term.span.end);
                    errors.extend(domain::constant_linear(linear, &kind, start..end));
                }
            }
            _ => {}
        });
        errors
    }

    /// Calls `visit` with every `Compare` and `Linear` node.
    fn visit_comparisons(&self, visit: &mut dyn FnMut(&Expr)) {
        match self {
            Expr::Not(inner) => inner.visit_comparisons(visit),
            Expr::And(left, right) | Expr::Or(left, right) | Expr::Implies(left, right) => {
                left.visit_comparisons(visit);
                right.visit_comparisons(visit);
            }
            Expr::Compare { .. } | Expr::Linear(_) => visit(self),
            _ => {}
        }
    }

    /// Evaluates against an outcome; `None` when it depends on an issue without a value.
    pub fn evaluate(&self, value_of: &dyn Fn(&str) -> Option<Value>) -> Option<bool> {
        match self {
            Expr::True => Some(true),
            Expr::False => Some(false),
            Expr::Not(inner) => inner.evaluate(value_of).map(|value| !value),
            Expr::And(left, right) => match (left.evaluate(value_of), right.evaluate(value_of)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Expr::Or(left, right) => match (left.evaluate(value_of), right.evaluate(value_of)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Expr::Implies(left, right) => match (left.evaluate(value_of), right.evaluate(value_of)) {
                (Some(false), _) | (_, Some(true)) => Some(true),
                (Some(true), Some(false)) => Some(false),
                _ => None,
            },
            Expr::Flag { issue } => match value_of(&issue.id)? {
                Value::Bool(flag) => Some(flag),
                _ => None,
            },
            Expr::Compare { issue, op, literal, .. } => compare(&value_of(&issue.id)?, *op, literal),
            Expr::Contains { issue, element, negated, .. } => match value_of(&issue.id)? {
                Value::Set(chosen) => Some(chosen.contains(element) != *negated),
                _ => None,
            },
            Expr::OneOf { issue, options, negated, .. } => match value_of(&issue.id)? {
                Value::Choice(option) => Some(options.contains(&option) != *negated),
                _ => None,
            },
            Expr::SetRelation { issue, relation, elements, .. } => match value_of(&issue.id)? {
                Value::Set(chosen) => {
                    let listed: BTreeSet<String> = elements.iter().cloned().collect();
                    Some(match relation {
                        SetRelation::Subset => chosen.is_subset(&listed),
                        SetRelation::Superset => chosen.is_superset(&listed),
                    })
                }
                _ => None,
            },
            Expr::Linear(linear) => linear.evaluate(value_of),
        }
    }
}

/// The first listed name outside an issue's domain, as an error.
fn outside<'a>(
    issue: &str,
    what: &str,
    domain: &[String],
    names: impl IntoIterator<Item = &'a String>,
    span: &Range<usize>,
) -> Option<ExprError> {
    let unknown = names.into_iter().find(|name| !domain.contains(name))?;
    Some(ExprError::new(span.clone(), format!("\"{unknown}\" is not {what} of `{issue}` (expected one of {})", quoted_list(domain))))
}

fn check_compare(kind: &IssueKind, op: CompareOp, literal: &Literal) -> Result<(), String> {
    let equality = matches!(op, CompareOp::Eq | CompareOp::Ne);
    match (kind, literal) {
        (IssueKind::Integer { .. } | IssueKind::Real { .. }, Literal::Integer(_) | Literal::Real(_)) => Ok(()),
        (IssueKind::Integer { .. } | IssueKind::Real { .. }, _) => Err("expected a number for a numeric issue".to_owned()),
        (IssueKind::Choice { options, ordered }, Literal::Text(option)) => {
            if !options.contains(option) {
                Err(format!("\"{option}\" is not an option (expected one of {})", quoted_list(options)))
            } else if !equality && !ordered {
                Err("options of an unordered choice can only be compared with == or != (mark the issue `ordered = true`)".to_owned())
            } else {
                Ok(())
            }
        }
        (IssueKind::Choice { options, .. }, _) => Err(format!("expected an option in quotes, one of {}", quoted_list(options))),
        (IssueKind::YesNo, Literal::Bool(_)) if equality => Ok(()),
        (IssueKind::YesNo, _) => Err("a yes-no issue compares only with == or != to true/false".to_owned()),
        (IssueKind::Subset { elements }, Literal::List(listed)) if equality => {
            match listed.iter().find(|element| !elements.contains(element)) {
                Some(unknown) => Err(format!("\"{unknown}\" is not an element (expected some of {})", quoted_list(elements))),
                None => Ok(()),
            }
        }
        (IssueKind::Subset { .. }, _) => {
            Err("a subset issue compares only with == or != to a list; use `\"x\" in issue`, `subset` or `superset`".to_owned())
        }
    }
}

fn compare(value: &Value, op: CompareOp, literal: &Literal) -> Option<bool> {
    let ordering = match (value, literal) {
        (Value::Integer(left), Literal::Integer(right)) => left.cmp(right),
        (Value::Integer(left), Literal::Real(right)) => (*left as f64).partial_cmp(right)?,
        (Value::Real(left), Literal::Integer(right)) => left.partial_cmp(&(*right as f64))?,
        (Value::Real(left), Literal::Real(right)) => left.partial_cmp(right)?,
        (Value::Bool(left), Literal::Bool(right)) => left.cmp(right),
        (Value::Set(left), Literal::List(right)) => {
            let right: BTreeSet<String> = right.iter().cloned().collect();
            if left == &right { Ordering::Equal } else { Ordering::Less }
        }
        // Choice values compare through the issue's option order, which evaluation does not see;
        // the scenario layer resolves ordered choices to their rank before evaluating.
        (Value::Choice(left), Literal::Text(right)) => {
            if left == right {
                Ordering::Equal
            } else if matches!(op, CompareOp::Eq | CompareOp::Ne) {
                Ordering::Less
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(op.accepts(ordering))
}

/// A value as a [ranked](Expr::ranked) expression compares it: an ordered choice's option as its
/// position among the options (`None` for an option the issue does not have), anything else as is.
pub fn rank_value(kind: Option<&IssueKind>, value: Value) -> Option<Value> {
    match (kind, &value) {
        (Some(IssueKind::Choice { options, ordered: true }), Value::Choice(option)) => {
            options.iter().position(|candidate| candidate == option).map(|rank| Value::Integer(rank as i64))
        }
        _ => Some(value),
    }
}

impl Expr {
    /// Evaluates with ordered choices compared by their position among the options.
    pub fn evaluate_with(&self, value_of: &dyn Fn(&str) -> Option<Value>, issue_kind: &dyn Fn(&str) -> Option<IssueKind>) -> Option<bool> {
        // Rewrite ordered-choice values and literals to ranks, then evaluate as integers.
        let ranked = |issue: &str| -> Option<Value> { rank_value(issue_kind(issue).as_ref(), value_of(issue)?) };
        self.ranked(issue_kind).evaluate(&ranked)
    }

    /// This expression with ordered-choice literals replaced by their ranks: evaluate it with
    /// [`Expr::evaluate`] on values passed through [`rank_value`]. For evaluating one expression
    /// on many outcomes, rank it once rather than calling [`Expr::evaluate_with`] each time.
    pub fn ranked(&self, issue_kind: &dyn Fn(&str) -> Option<IssueKind>) -> Expr {
        self.rank_literals(issue_kind)
    }

    fn rank_literals(&self, issue_kind: &dyn Fn(&str) -> Option<IssueKind>) -> Expr {
        match self {
            Expr::Not(inner) => Expr::Not(Box::new(inner.rank_literals(issue_kind))),
            Expr::And(left, right) => Expr::And(Box::new(left.rank_literals(issue_kind)), Box::new(right.rank_literals(issue_kind))),
            Expr::Or(left, right) => Expr::Or(Box::new(left.rank_literals(issue_kind)), Box::new(right.rank_literals(issue_kind))),
            Expr::Implies(left, right) => {
                Expr::Implies(Box::new(left.rank_literals(issue_kind)), Box::new(right.rank_literals(issue_kind)))
            }
            Expr::Compare { issue, op, literal: Literal::Text(option), literal_span } => match issue_kind(&issue.id) {
                Some(IssueKind::Choice { options, ordered: true }) => match options.iter().position(|candidate| candidate == option) {
                    Some(rank) => Expr::Compare {
                        issue: issue.clone(),
                        op: *op,
                        literal: Literal::Integer(rank as i64),
                        literal_span: literal_span.clone(),
                    },
                    None => Expr::False,
                },
                _ => self.clone(),
            },
            Expr::OneOf { issue, options, list_span, negated } => match issue_kind(&issue.id) {
                // `x in [..]` on an ordered choice: compare ranks by rewriting into a disjunction.
                Some(IssueKind::Choice { options: domain, ordered: true }) => {
                    let mut disjunction = Expr::False;
                    for option in options {
                        if let Some(rank) = domain.iter().position(|candidate| candidate == option) {
                            let test = Expr::Compare {
                                issue: issue.clone(),
                                op: CompareOp::Eq,
                                literal: Literal::Integer(rank as i64),
                                literal_span: list_span.clone(),
                            };
                            disjunction = Expr::Or(Box::new(disjunction), Box::new(test));
                        }
                    }
                    if *negated { Expr::Not(Box::new(disjunction)) } else { disjunction }
                }
                _ => self.clone(),
            },
            other => other.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Ident(String),
    Text(String),
    Integer(i64),
    Real(f64),
    Compare(CompareOp),
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Percent,
}

impl TokenKind {
    fn describe(&self) -> String {
        match self {
            TokenKind::Ident(word) => format!("`{word}`"),
            TokenKind::Text(text) => format!("\"{text}\""),
            TokenKind::Integer(number) => format!("number {number}"),
            TokenKind::Real(number) => format!("number {number}"),
            TokenKind::Compare(op) => format!("`{}`", op.symbol()),
            TokenKind::LeftParen => "`(`".to_owned(),
            TokenKind::RightParen => "`)`".to_owned(),
            TokenKind::LeftBracket => "`[`".to_owned(),
            TokenKind::RightBracket => "`]`".to_owned(),
            TokenKind::Comma => "`,`".to_owned(),
            TokenKind::Plus => "`+`".to_owned(),
            TokenKind::Minus => "`-`".to_owned(),
            TokenKind::Star => "`*`".to_owned(),
            TokenKind::Percent => "`%`".to_owned(),
        }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self, TokenKind::Ident(ident) if ident == word)
    }
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// Whether a value that compares to the other side as `ordering` passes this comparison.
    pub fn accepts(self, ordering: Ordering) -> bool {
        match self {
            CompareOp::Eq => ordering == Ordering::Equal,
            CompareOp::Ne => ordering != Ordering::Equal,
            CompareOp::Lt => ordering == Ordering::Less,
            CompareOp::Le => ordering != Ordering::Greater,
            CompareOp::Gt => ordering == Ordering::Greater,
            CompareOp::Ge => ordering != Ordering::Less,
        }
    }

    fn flipped(self) -> CompareOp {
        match self {
            CompareOp::Lt => CompareOp::Gt,
            CompareOp::Le => CompareOp::Ge,
            CompareOp::Gt => CompareOp::Lt,
            CompareOp::Ge => CompareOp::Le,
            other => other,
        }
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: TokenKind,
    span: Range<usize>,
}

const KEYWORDS: [&str; 11] = ["and", "or", "not", "implies", "in", "subset", "superset", "true", "false", "yes", "no"];

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let start = index;
        let byte = bytes[index];
        let kind = match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                index += 1;
                continue;
            }
            b'(' => single(&mut index, TokenKind::LeftParen),
            b')' => single(&mut index, TokenKind::RightParen),
            b'[' => single(&mut index, TokenKind::LeftBracket),
            b']' => single(&mut index, TokenKind::RightBracket),
            b',' => single(&mut index, TokenKind::Comma),
            b'+' => single(&mut index, TokenKind::Plus),
            b'*' => single(&mut index, TokenKind::Star),
            b'%' => single(&mut index, TokenKind::Percent),
            // A minus after an operand subtracts (`a - 3`, `a -3`); elsewhere it signs a number.
            b'-' if operand_before(&tokens) || !matches!(bytes.get(index + 1), Some(b'0'..=b'9' | b'.')) => {
                single(&mut index, TokenKind::Minus)
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = bytes.get(index + 1) == Some(&b'=');
                let op = match (byte, two) {
                    (b'=', true) => CompareOp::Eq,
                    (b'!', true) => CompareOp::Ne,
                    (b'<', true) => CompareOp::Le,
                    (b'>', true) => CompareOp::Ge,
                    (b'<', false) => CompareOp::Lt,
                    (b'>', false) => CompareOp::Gt,
                    (b'=', false) => return Err(ExprError::new(start..start + 1, "`=` is not an operator (expected `==` to compare)")),
                    _ => return Err(ExprError::new(start..start + 1, "`!` is not an operator (expected `!=` or the word `not`)")),
                };
                index += if two { 2 } else { 1 };
                TokenKind::Compare(op)
            }
            b'"' | b'\'' => {
                let quote = byte;
                index += 1;
                let content_start = index;
                while index < bytes.len() && bytes[index] != quote {
                    index += 1;
                }
                if index >= bytes.len() {
                    return Err(ExprError::new(start..bytes.len(), "unterminated string (expected a closing quote)"));
                }
                let content = text[content_start..index].to_owned();
                index += 1;
                TokenKind::Text(content)
            }
            b'-' | b'0'..=b'9' => {
                index += 1;
                while index < bytes.len() && (bytes[index].is_ascii_alphanumeric() || matches!(bytes[index], b'_' | b'.')) {
                    // An exponent may carry a sign: 1e-3.
                    if matches!(bytes[index], b'e' | b'E') && matches!(bytes.get(index + 1), Some(b'-' | b'+')) {
                        index += 1;
                    }
                    index += 1;
                }
                let raw: String = text[start..index].chars().filter(|&c| c != '_').collect();
                if let Ok(number) = raw.parse::<i64>() {
                    TokenKind::Integer(number)
                } else {
                    match raw.parse::<f64>() {
                        Ok(number) if number.is_finite() => TokenKind::Real(number),
                        _ => return Err(ExprError::new(start..index, format!("`{}` is not a number", &text[start..index]))),
                    }
                }
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while index < bytes.len() && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_') {
                    index += 1;
                }
                TokenKind::Ident(text[start..index].to_owned())
            }
            _ => {
                let character = text[start..].chars().next().unwrap_or('?');
                let end = start + character.len_utf8();
                let hint = match character {
                    '&' => " (expected the word `and`)",
                    '|' => " (expected the word `or`)",
                    _ => "",
                };
                return Err(ExprError::new(start..end, format!("unexpected character `{character}`{hint}")));
            }
        };
        tokens.push(Token { kind, span: start..index });
    }
    Ok(tokens)
}

/// Whether the last token ends an operand, so that a `-` after it is a subtraction.
fn operand_before(tokens: &[Token]) -> bool {
    match tokens.last().map(|token| &token.kind) {
        Some(TokenKind::Ident(word)) => !KEYWORDS.contains(&word.as_str()) || matches!(word.as_str(), "true" | "false" | "yes" | "no"),
        Some(TokenKind::Integer(_) | TokenKind::Real(_) | TokenKind::RightParen | TokenKind::Percent) => true,
        _ => false,
    }
}

fn single(index: &mut usize, kind: TokenKind) -> TokenKind {
    *index += 1;
    kind
}

// ---------------------------------------------------------------------------------------------
// Parser

/// Deep nesting is refused rather than allowed to exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Long chains (`a and b and c ...`) build deep trees too.
const MAX_TOKENS: usize = 2000;

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    end: usize,
    depth: usize,
    /// The expression's text, for reading numbers of a linear comparison exactly as written.
    source: String,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn peek_word(&self, word: &str) -> bool {
        self.peek().is_some_and(|token| token.kind.is_word(word))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn end_span(&self) -> Range<usize> {
        self.end..self.end
    }

    fn expected(&self, what: &str) -> ExprError {
        match self.peek() {
            Some(token) => ExprError::new(token.span.clone(), format!("expected {what}, found {}", token.kind.describe())),
            None => ExprError::new(self.end_span(), format!("expected {what}, found the end of the expression")),
        }
    }

    fn nest(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.peek().map_or(self.end_span(), |token| token.span.clone());
            return Err(ExprError::new(span, format!("expression nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn implies(&mut self) -> Result<Expr, ExprError> {
        self.nest()?;
        let left = self.or()?;
        let expr = if self.peek_word("implies") {
            self.position += 1;
            let right = self.implies()?;
            Expr::Implies(Box::new(left), Box::new(right))
        } else {
            left
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.position += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.position += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.peek_word("not") {
            self.position += 1;
            self.nest()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.expected("a test such as `issue == value`"));
        };
        match &token.kind {
            TokenKind::LeftParen => {
                self.position += 1;
                let inner = self.implies()?;
                match self.next() {
                    Some(Token { kind: TokenKind::RightParen, .. }) => Ok(inner),
                    _ => {
                        self.position -= 1;
                        Err(self.expected("`)`"))
                    }
                }
            }
            TokenKind::Ident(word) if word == "true" || word == "false" => {
                self.position += 1;
                // `true == flag` reads as a comparison with the literal on the left.
                if let Some(Token { kind: TokenKind::Compare(_), .. }) = self.peek() {
                    self.position -= 1;
                    return self.literal_first();
                }
                Ok(if word == "true" { Expr::True } else { Expr::False })
            }
            TokenKind::Ident(word) if KEYWORDS.contains(&word.as_str()) && word != "yes" && word != "no" => {
                Err(ExprError::new(token.span.clone(), format!("expected a test, found the keyword `{word}`")))
            }
            TokenKind::Ident(_) | TokenKind::Integer(_) | TokenKind::Real(_) | TokenKind::Minus if self.linear_ahead() => self.linear(),
            TokenKind::Ident(_) => self.issue_first(),
            TokenKind::Text(_) | TokenKind::Integer(_) | TokenKind::Real(_) | TokenKind::LeftBracket => self.literal_first(),
            _ => Err(self.expected("a test such as `issue == value`")),
        }
    }

    /// Whether the test at the current token is a linear comparison rather than one of the plain
    /// tests: arithmetic, a unit after a number, or an issue compared with an issue.
    fn linear_ahead(&self) -> bool {
        let kind = |offset: usize| self.tokens.get(self.position + offset).map(|token| &token.kind);
        let issue = |kind: Option<&TokenKind>| matches!(kind, Some(TokenKind::Ident(word)) if !KEYWORDS.contains(&word.as_str()));
        let number = |kind: Option<&TokenKind>| matches!(kind, Some(TokenKind::Integer(_) | TokenKind::Real(_)));
        let arithmetic = |kind: Option<&TokenKind>| matches!(kind, Some(TokenKind::Plus | TokenKind::Minus | TokenKind::Star));
        // After a number: arithmetic, or a unit.
        let after_number =
            |offset: usize| arithmetic(kind(offset)) || matches!(kind(offset), Some(TokenKind::Percent)) || issue(kind(offset));
        match kind(0) {
            Some(TokenKind::Minus) => true,
            _ if issue(kind(0)) => {
                arithmetic(kind(1))
                    || matches!(kind(1), Some(TokenKind::Compare(_)))
                        && (issue(kind(2)) || matches!(kind(2), Some(TokenKind::Minus)) || number(kind(2)) && after_number(3))
            }
            _ if number(kind(0)) => {
                after_number(1) || matches!(kind(1), Some(TokenKind::Compare(_))) && issue(kind(2)) && arithmetic(kind(3))
            }
            _ => false,
        }
    }

    /// `sum CMP sum`.
    fn linear(&mut self) -> Result<Expr, ExprError> {
        let start = self.peek().map_or(self.end, |token| token.span.start);
        let left = self.sum()?;
        let op = match self.next() {
            Some(Token { kind: TokenKind::Compare(op), .. }) => op,
            _ => {
                self.position -= 1;
                return Err(self.expected("a comparison operator such as `<=`"));
            }
        };
        let right = self.sum()?;
        let linear = Linear { left, op, right };
        if linear.names().next().is_none() {
            let end = linear.right.last().map_or(start, |term| term.span.end);
            return Err(ExprError::new(start..end, "a comparison of numbers alone names no issue"));
        }
        Ok(Expr::Linear(linear))
    }

    /// `["-"] term (("+" | "-") term)*`.
    fn sum(&mut self) -> Result<Vec<Term>, ExprError> {
        let mut terms = Vec::new();
        let mut negative = false;
        if let Some(Token { kind: TokenKind::Minus, .. }) = self.peek() {
            self.position += 1;
            negative = true;
        }
        loop {
            terms.push(self.term(negative)?);
            match self.peek().map(|token| &token.kind) {
                Some(TokenKind::Plus) => negative = false,
                Some(TokenKind::Minus) => negative = true,
                _ => return Ok(terms),
            }
            self.position += 1;
        }
    }

    /// A number with an optional unit, an issue, or a number times an issue.
    fn term(&mut self, negative: bool) -> Result<Term, ExprError> {
        let sign = |decimal: Decimal| if negative { Decimal { mantissa: -decimal.mantissa, scale: decimal.scale } } else { decimal };
        match self.next() {
            Some(Token { kind: TokenKind::Integer(_) | TokenKind::Real(_), span }) => {
                let coefficient = sign(self.decimal(&span)?);
                if let Some(Token { kind: TokenKind::Star, .. }) = self.peek() {
                    self.position += 1;
                    let issue = self.issue_name()?;
                    return Ok(Term { coefficient, span: span.start..issue.span.end, issue: Some(issue), unit: None });
                }
                let unit = match self.peek().cloned() {
                    Some(Token { kind: TokenKind::Percent, span: unit_span }) => Some(("%".to_owned(), unit_span)),
                    Some(Token { kind: TokenKind::Ident(word), span: unit_span }) if !KEYWORDS.contains(&word.as_str()) => {
                        Some((word, unit_span))
                    }
                    _ => None,
                };
                let end = unit.as_ref().map_or(span.end, |(_, unit_span)| unit_span.end);
                self.position += usize::from(unit.is_some());
                Ok(Term { coefficient, issue: None, unit: unit.map(|(unit, _)| unit), span: span.start..end })
            }
            Some(Token { kind: TokenKind::Ident(_), .. }) => {
                self.position -= 1;
                let issue = self.issue_name()?;
                let mut coefficient = sign(Decimal::ONE);
                let mut end = issue.span.end;
                if let Some(Token { kind: TokenKind::Star, .. }) = self.peek() {
                    self.position += 1;
                    match self.next() {
                        Some(Token { kind: TokenKind::Integer(_) | TokenKind::Real(_), span }) => {
                            coefficient = sign(self.decimal(&span)?);
                            end = span.end;
                        }
                        _ => {
                            self.position -= 1;
                            return Err(self.expected("a number after `*` (issues are multiplied by numbers only)"));
                        }
                    }
                }
                Ok(Term { coefficient, span: issue.span.start..end, issue: Some(issue), unit: None })
            }
            _ => {
                self.position -= 1;
                Err(self.expected("a number or an issue name"))
            }
        }
    }

    /// The number at `span` as an exact decimal.
    fn decimal(&self, span: &Range<usize>) -> Result<Decimal, ExprError> {
        let text = &self.source[span.clone()];
        Decimal::parse(text).ok_or_else(|| {
            ExprError::new(
                span.clone(),
                format!("`{text}` has too many digits for a sum (expected at most 30 digits and 18 decimal places)"),
            )
        })
    }

    fn issue_name(&mut self) -> Result<Name, ExprError> {
        match self.next() {
            Some(Token { kind: TokenKind::Ident(id), span }) if !KEYWORDS.contains(&id.as_str()) => Ok(Name { id, span }),
            _ => {
                self.position -= 1;
                Err(self.expected("an issue name"))
            }
        }
    }

    fn issue_first(&mut self) -> Result<Expr, ExprError> {
        let issue = self.issue_name()?;
        let Some(token) = self.peek().cloned() else {
            return Ok(Expr::Flag { issue });
        };
        match token.kind {
            TokenKind::Compare(op) => {
                self.position += 1;
                let (literal, literal_span) = self.literal()?;
                Ok(Expr::Compare { issue, op, literal, literal_span })
            }
            TokenKind::Ident(ref word)
                if word == "in" || (word == "not" && self.tokens.get(self.position + 1).is_some_and(|next| next.kind.is_word("in"))) =>
            {
                let negated = word == "not";
                self.position += if negated { 2 } else { 1 };
                let (options, list_span) = self.list(Some((&issue.id, negated)))?;
                Ok(Expr::OneOf { issue, options, list_span, negated })
            }
            TokenKind::Ident(ref word) if word == "subset" || word == "superset" => {
                self.position += 1;
                let relation = if word == "subset" { SetRelation::Subset } else { SetRelation::Superset };
                let (elements, list_span) = self.list(None)?;
                Ok(Expr::SetRelation { issue, relation, elements, list_span })
            }
            _ => Ok(Expr::Flag { issue }),
        }
    }

    fn literal_first(&mut self) -> Result<Expr, ExprError> {
        let (literal, literal_span) = self.literal()?;
        if let Literal::Text(element) = &literal {
            let negated = self.peek_word("not");
            if negated {
                self.position += 1;
            }
            if self.peek_word("in") {
                self.position += 1;
                let issue = self.issue_name()?;
                return Ok(Expr::Contains { issue, element: element.clone(), element_span: literal_span, negated });
            }
            if negated {
                return Err(self.expected("`in` after `not`"));
            }
        }
        match self.next() {
            Some(Token { kind: TokenKind::Compare(op), .. }) => {
                let issue = self.issue_name()?;
                Ok(Expr::Compare { issue, op: op.flipped(), literal, literal_span })
            }
            _ => {
                self.position -= 1;
                Err(self.expected("a comparison operator or `in` after a value"))
            }
        }
    }

    fn literal(&mut self) -> Result<(Literal, Range<usize>), ExprError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.expected("a value"));
        };
        let literal = match &token.kind {
            TokenKind::Integer(number) => Literal::Integer(*number),
            TokenKind::Real(number) => Literal::Real(*number),
            TokenKind::Text(text) => Literal::Text(text.clone()),
            TokenKind::Ident(word) if word == "true" || word == "yes" => Literal::Bool(true),
            TokenKind::Ident(word) if word == "false" || word == "no" => Literal::Bool(false),
            TokenKind::LeftBracket => {
                let (elements, span) = self.list(None)?;
                return Ok((Literal::List(elements), span));
            }
            _ => return Err(self.expected("a value (a number, a quoted option, true/false or a [list])")),
        };
        self.position += 1;
        Ok((literal, token.span))
    }

    /// A `[..]` list of quoted names; `one_of` is the issue of an `issue [not] in [..]` test (and
    /// whether it is negated), to show how numbers are compared instead.
    fn list(&mut self, one_of: Option<(&str, bool)>) -> Result<(Vec<String>, Range<usize>), ExprError> {
        let start = match self.next() {
            Some(Token { kind: TokenKind::LeftBracket, span }) => span.start,
            _ => {
                self.position -= 1;
                return Err(self.expected("a list such as [\"a\", \"b\"]"));
            }
        };
        let mut elements = Vec::new();
        loop {
            match self.next() {
                Some(Token { kind: TokenKind::RightBracket, span }) => return Ok((elements, start..span.end)),
                Some(Token { kind: TokenKind::Text(text), .. }) => {
                    elements.push(text);
                    match self.next() {
                        Some(Token { kind: TokenKind::Comma, .. }) => {}
                        Some(Token { kind: TokenKind::RightBracket, span }) => return Ok((elements, start..span.end)),
                        _ => {
                            self.position -= 1;
                            return Err(self.expected("`,` or `]`"));
                        }
                    }
                }
                Some(Token { kind: TokenKind::Integer(_) | TokenKind::Real(_), span }) => {
                    return Err(ExprError::new(span, self.numbers_in_list(one_of)));
                }
                _ => {
                    self.position -= 1;
                    return Err(self.expected("a quoted element or `]`"));
                }
            }
        }
    }

    /// Why a list cannot hold the number just read, and what to write instead.
    fn numbers_in_list(&self, one_of: Option<(&str, bool)>) -> String {
        let numbers: Vec<(f64, String)> = self.tokens[self.position - 1..]
            .iter()
            .take_while(|token| token.kind != TokenKind::RightBracket)
            .filter_map(|token| match &token.kind {
                TokenKind::Integer(number) => Some((*number as f64, number.to_string())),
                TokenKind::Real(number) => Some((*number, number.to_string())),
                _ => None,
            })
            .collect();
        let instead = match one_of {
            Some((issue, true)) => {
                let tests: Vec<String> = numbers.iter().map(|(_, number)| format!("{issue} != {number}")).collect();
                format!("`{}`", tests.join(" and "))
            }
            Some((issue, false)) => {
                let tests: Vec<String> = numbers.iter().map(|(_, number)| format!("{issue} == {number}")).collect();
                let lowest = numbers.iter().min_by(|left, right| left.0.total_cmp(&right.0));
                let highest = numbers.iter().max_by(|left, right| left.0.total_cmp(&right.0));
                match (lowest, highest) {
                    (Some(lowest), Some(highest)) if numbers.len() > 1 => {
                        format!("`{}`, or a range such as `{issue} >= {} and {issue} <= {}`", tests.join(" or "), lowest.1, highest.1)
                    }
                    _ => format!("`{}`", tests.join(" or ")),
                }
            }
            None => "a comparison per number joined with `or`, or a range with `>=` and `<=`".to_owned(),
        };
        format!("a list holds quoted options or elements, not numbers (expected {instead})")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The language has no escapes: a string is quoted with whichever quote it does not hold
        // (a parsed string never holds both).
        fn quote(text: &str) -> String {
            if text.contains('"') { format!("'{text}'") } else { format!("\"{text}\"") }
        }
        fn list(elements: &[String]) -> String {
            let quoted: Vec<String> = elements.iter().map(|element| quote(element)).collect();
            format!("[{}]", quoted.join(", "))
        }
        match self {
            Expr::True => write!(f, "true"),
            Expr::False => write!(f, "false"),
            Expr::Not(inner) => write!(f, "not ({inner})"),
            Expr::And(left, right) => write!(f, "({left}) and ({right})"),
            Expr::Or(left, right) => write!(f, "({left}) or ({right})"),
            Expr::Implies(left, right) => write!(f, "({left}) implies ({right})"),
            Expr::Flag { issue } => write!(f, "{}", issue.id),
            Expr::Compare { issue, op, literal, .. } => {
                let literal = match literal {
                    Literal::Integer(number) => number.to_string(),
                    Literal::Real(number) => format!("{number:?}"),
                    Literal::Text(text) => quote(text),
                    Literal::Bool(flag) => flag.to_string(),
                    Literal::List(elements) => list(elements),
                };
                write!(f, "{} {} {literal}", issue.id, op.symbol())
            }
            Expr::Contains { issue, element, negated, .. } => {
                write!(f, "{} {}in {}", quote(element), if *negated { "not " } else { "" }, issue.id)
            }
            Expr::OneOf { issue, options, negated, .. } => {
                write!(f, "{} {}in {}", issue.id, if *negated { "not " } else { "" }, list(options))
            }
            Expr::SetRelation { issue, relation, elements, .. } => {
                let word = match relation {
                    SetRelation::Subset => "subset",
                    SetRelation::Superset => "superset",
                };
                write!(f, "{} {word} {}", issue.id, list(elements))
            }
            Expr::Linear(linear) => {
                fn side(terms: &[Term]) -> String {
                    let mut text = String::new();
                    for (position, term) in terms.iter().enumerate() {
                        let negative = term.coefficient.mantissa < 0;
                        let size = Decimal { mantissa: term.coefficient.mantissa.abs(), scale: term.coefficient.scale };
                        text.push_str(match (position, negative) {
                            (0, false) => "",
                            (0, true) => "-",
                            (_, false) => " + ",
                            (_, true) => " - ",
                        });
                        match (&term.issue, &term.unit) {
                            (Some(issue), _) if size == Decimal::ONE => text.push_str(&issue.id),
                            (Some(issue), _) => text.push_str(&format!("{size} * {}", issue.id)),
                            (None, Some(unit)) => text.push_str(&format!("{size} {unit}")),
                            (None, None) => text.push_str(&size.to_string()),
                        }
                    }
                    text
                }
                write!(f, "{} {} {}", side(&linear.left), linear.op.symbol(), side(&linear.right))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(issue: &str) -> Option<IssueKind> {
        match issue {
            "troop_cap" => Some(IssueKind::Integer { min: 0, max: 1_000_000, step: 50_000, unit: String::new() }),
            "nato" => Some(IssueKind::Choice { options: vec!["open".into(), "deferred".into(), "renounced".into()], ordered: true }),
            "ceded" => Some(IssueKind::Subset { elements: vec!["crimea".into(), "kramatorsk".into()] }),
            "binding" => Some(IssueKind::YesNo),
            _ => None,
        }
    }

    fn eval(text: &str, outcome: &[(&str, Value)]) -> Option<bool> {
        let expr = Expr::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_eq!(expr.check(&kinds), vec![], "{text}");
        let value_of = |issue: &str| outcome.iter().find(|(name, _)| *name == issue).map(|(_, value)| value.clone());
        expr.evaluate_with(&value_of, &kinds)
    }

    #[test]
    fn evaluates_three_valued() {
        let outcome = [
            ("troop_cap", Value::Integer(600_000)),
            ("nato", Value::Choice("renounced".into())),
            ("ceded", Value::Set(["crimea".to_owned()].into())),
        ];
        assert_eq!(eval("troop_cap >= 800_000", &outcome), Some(false));
        assert_eq!(eval("600000 == troop_cap", &outcome), Some(true));
        assert_eq!(eval("nato != \"renounced\"", &outcome), Some(false));
        assert_eq!(eval("nato > 'open'", &outcome), Some(true));
        assert_eq!(eval("nato in ['open', 'deferred']", &outcome), Some(false));
        assert_eq!(eval("nato not in ['open', 'deferred']", &outcome), Some(true));
        assert_eq!(eval("\"kramatorsk\" not in ceded", &outcome), Some(true));
        assert_eq!(eval("ceded subset [\"crimea\"]", &outcome), Some(true));
        assert_eq!(eval("ceded superset [\"crimea\", \"kramatorsk\"]", &outcome), Some(false));
        assert_eq!(eval("ceded == [\"crimea\"]", &outcome), Some(true));
        // `binding` has no value: unknown unless the other side decides.
        assert_eq!(eval("binding", &outcome), None);
        assert_eq!(eval("not binding or troop_cap >= 800000", &outcome), None);
        assert_eq!(eval("binding and troop_cap >= 800000", &outcome), Some(false));
        assert_eq!(eval("binding or troop_cap < 800000", &outcome), Some(true));
        assert_eq!(eval("troop_cap < 700000 implies binding", &outcome), None);
        assert_eq!(eval("troop_cap > 700000 implies binding", &outcome), Some(true));
        assert_eq!(eval("true and not false", &outcome), Some(true));
    }

    #[test]
    fn reports_columns() {
        let cases = [
            ("troop_cap >= ", 14, "expected a value"),
            ("troop_cap = 5", 11, "`=` is not an operator"),
            ("(nato == 'open'", 16, "expected `)`"),
            ("nato == 'open' nato", 16, "unexpected `nato`"),
            ("\"kramatorsk\" not ceded", 18, "expected `in` after `not`"),
            ("a && b", 3, "expected the word `and`"),
            ("x == \"open", 6, "unterminated string"),
            ("x in [\"a\" \"b\"]", 11, "expected `,` or `]`"),
            ("", 1, "found the end"),
            ("and", 1, "keyword `and`"),
        ];
        for (text, column, message) in cases {
            let error = Expr::parse(text).expect_err(text);
            assert_eq!(error.column(text), column, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn type_checks_against_issues() {
        let cases = [
            ("troops >= 5", "unknown issue `troops`"),
            ("troop_cap == 'many'", "expected a number"),
            ("nato == 'never'", "\"never\" is not an option"),
            ("'donetsk' in ceded", "\"donetsk\" is not an element"),
            ("'x' in nato", "needs a subset issue"),
            ("troop_cap", "not yes-no"),
            ("binding > true", "compares only with == or !="),
        ];
        for (text, message) in cases {
            let errors = Expr::parse(text).unwrap().check(&kinds);
            assert!(errors.iter().any(|error| error.message.contains(message)), "{text}: {errors:?}");
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        // Regression: a chain of 100,000 `and`s parsed, then overflowed the stack when evaluated.
        let text = vec!["true"; 100_000].join(" and ");
        assert!(Expr::parse(&text).unwrap_err().message.contains("longer than"));
        let text = vec!["true"; 900].join(" and ");
        assert_eq!(Expr::parse(&text).unwrap().evaluate(&|_| None), Some(true));
        let text = format!("{}true{}", "(".repeat(500), ")".repeat(500));
        assert!(Expr::parse(&text).unwrap_err().message.contains("nested deeper"));
        let text = format!("{}true", "not ".repeat(500));
        assert!(Expr::parse(&text).is_err());
    }

    #[test]
    fn linear_comparisons_parse_evaluate_and_print() {
        let value = |pairs: &[(&str, Value)]| {
            let pairs: Vec<(String, Value)> = pairs.iter().map(|(id, value)| ((*id).to_owned(), value.clone())).collect();
            move |id: &str| pairs.iter().find(|(known, _)| known == id).map(|(_, value)| value.clone())
        };
        // Plain tests stay plain: a signed number is a literal.
        assert!(matches!(Expr::parse("x >= -3").unwrap(), Expr::Compare { .. }));
        assert!(matches!(Expr::parse("-3 <= x").unwrap(), Expr::Compare { .. }));
        for (text, printed) in [
            ("a <= b", "a <= b"),
            ("a - 3 <= b", "a - 3 <= b"),
            ("a -3 <= b", "a - 3 <= b"),
            ("-a + 2*b > 0.5 * c - 1", "-a + 2 * b > 0.5 * c - 1"),
            ("x <= 5 %", "x <= 5 %"),
            ("x <= 5%", "x <= 5 %"),
            ("troops <= 600_000 soldiers", "troops <= 600000 soldiers"),
            ("b * 2 >= a", "2 * b >= a"),
        ] {
            let expr = Expr::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
            assert!(matches!(expr, Expr::Linear(_)), "{text}");
            assert_eq!(expr.to_string(), printed);
            assert_eq!(Expr::parse(printed).unwrap(), Expr::parse(&expr.to_string()).unwrap());
        }
        let expr = Expr::parse("a + b <= 0.3").unwrap();
        assert_eq!(expr.evaluate(&value(&[("a", Value::Real(0.1)), ("b", Value::Real(0.2))])), Some(false), "exact, not f64");
        assert_eq!(expr.evaluate(&value(&[("a", Value::Real(0.1)), ("b", Value::Integer(0))])), Some(true));
        assert_eq!(expr.evaluate(&value(&[("a", Value::Real(0.1))])), None, "unknown without b");
        let expr = Expr::parse("a <= b or flag").unwrap();
        assert_eq!(expr.evaluate(&value(&[("flag", Value::Bool(true))])), Some(true), "Kleene: true or unknown");
        let expr = Expr::parse("2 * a == b - 1").unwrap();
        assert_eq!(expr.evaluate(&value(&[("a", Value::Integer(3)), ("b", Value::Integer(7))])), Some(true));
        assert_eq!(expr.evaluate(&value(&[("a", Value::Integer(3)), ("b", Value::Integer(8))])), Some(false));
        for bad in ["a * b <= 3", "a + <= 3", "2 <= 3", "a + b", "a <= 1e-40 + b"] {
            assert!(Expr::parse(bad).is_err(), "{bad} parses");
        }
    }
}
