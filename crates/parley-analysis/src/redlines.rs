//! An exact decision procedure for red lines: can these constraints all hold, which minimal sets
//! of them cannot, and which values of one issue leave them satisfiable.
//!
//! Each issue a constraint names is a variable with a finite or interval domain, never enumerated:
//! a choice is a set of option positions, a yes-no issue a boolean, a subset issue one boolean per
//! element, an integer issue the grid `min + k·step` as a set of `k` intervals (in `i128`), and a
//! real issue the `f64`s of `min..=max` in order (so `x > 3` and `x <= 3` are exactly
//! complementary, and `x > 3 and x < 3.0000001` holds at an `f64` between). Every test of an
//! expression becomes an *atom*, "this variable takes a value in this set"; each expression
//! becomes clauses over its atoms (Tseitin), and a DPLL search assigns atoms, propagating units
//! through the clauses and domains through the atoms (an assignment narrows its variable's
//! domain; an empty domain is a conflict; an atom the domain decides is implied). The search is
//! exact for the whole expression language; it stops with [`Verdict::Unknown`] only when its
//! [`Budget`] runs out. See `docs/red-lines.md`, "Deciding red lines".
//!
//! ```
//! use std::collections::BTreeMap;
//! use parley_analysis::redlines::{Budget, Problem, Verdict};
//! use parley_core::expr::Expr;
//! use parley_core::model::{Issue, IssueKind};
//!
//! let issue = |id: &str, kind| Issue { id: id.into(), name: id.into(), description: String::new(), kind };
//! let issues = vec![
//!     issue("troop_cap", IssueKind::Integer { min: 0, max: 1_000_000, step: 50_000, unit: String::new() }),
//!     issue("binding", IssueKind::YesNo),
//! ];
//! let red_lines = ["troop_cap >= 800_000 or not binding", "binding", "troop_cap < 600_000"];
//! let expressions: Vec<Expr> = red_lines.iter().map(|text| Expr::parse(text).unwrap()).collect();
//! let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
//! assert!(matches!(problem.check(&[0, 1], &Budget::default()), Verdict::Sat(_)));
//! assert!(matches!(problem.check(&[0, 1, 2], &Budget::default()), Verdict::Unsat));
//! let conflicts = problem.conflicts(&[0, 1, 2], &Default::default());
//! assert_eq!(conflicts.minimal, vec![vec![0, 1, 2]]);
//! assert!(conflicts.complete);
//! ```

mod conflicts;
mod linear;
mod search;
mod sets;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use parley_core::expr::linear::Exact;
use parley_core::expr::{CompareOp, Expr, Literal, SetRelation, rank_value};
use parley_core::model::{Issue, IssueKind, Value};

pub use conflicts::{ConflictOptions, Conflicts, ProjectedValues, Projection, RealInterval};
use search::Meter;
use sets::{KeySet, monotone_region, real_key, real_of_key};

/// How much work one call may do, in steps. A step is one assignment of an atom, one atom
/// checked against a narrowed domain (more for domains of many intervals), one search decision
/// (more when it scans many clauses), eight clauses visited by propagation, or one candidate set
/// looked at while enumerating conflicts (sixteen for one remembered). A step takes well under a
/// tenth of a microsecond, so the default, 5,000,000 steps, keeps a call under about half a
/// second (`benches/redlines.rs` spends it in 0.2 to 0.4 s); memory beyond the problem's own
/// stays within a few tens of bytes per step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The steps one call may take.
    pub steps: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget { steps: 5_000_000 }
    }
}

/// Whether a set of constraints can all hold.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// They can: the witness gives a value to every issue they name that is not fixed.
    Sat(Witness),
    /// They cannot, whatever the values of the issues that are not fixed.
    Unsat,
    /// The budget ran out first.
    Unknown,
}

impl Verdict {
    /// `Some(true)` for [`Verdict::Sat`], `Some(false)` for [`Verdict::Unsat`], `None` otherwise.
    pub fn holds(&self) -> Option<bool> {
        match self {
            Verdict::Sat(_) => Some(true),
            Verdict::Unsat => Some(false),
            Verdict::Unknown => None,
        }
    }
}

/// Values under which constraints all hold: each value is in its issue's domain (an integer on
/// its step grid, a real within its bounds).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Witness {
    /// By issue id, every issue the constraints name except the fixed ones.
    pub values: BTreeMap<String, Value>,
}

/// A constraint or fixed value the procedure cannot take.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}{message}", constraint.map(|index| format!("constraint {index}: ")).unwrap_or_default())]
pub struct ProblemError {
    /// The index of the constraint at fault, when one is.
    pub constraint: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

/// Issues, the values fixed among them, and constraints over them, compiled for deciding.
#[derive(Clone, Debug)]
pub struct Problem {
    issues: Vec<Issue>,
    fixed: BTreeMap<String, Value>,
    /// Per issue: its variables (one, one per subset element, or none when fixed).
    issue_vars: Vec<Vec<usize>>,
    vars: Vec<Variable>,
    atoms: Vec<Atom>,
    constraints: Vec<Constraint>,
    /// Boolean variables of the search: the atoms, then every constraint's auxiliary ones.
    bool_vars: usize,
}

#[derive(Clone, Debug)]
struct Variable {
    issue: usize,
    domain: KeySet,
    /// Keys named by literals compared with this variable (how real intervals are shown).
    literals: BTreeSet<i128>,
}

/// An atom: a variable takes a value in a set, or, when `linear` is set, a linear comparison of
/// several variables holds (then `var` is [`LINEAR`] and `set` empty). Every test on one issue is
/// one of the first kind (or a conjunction of them, for subset relations); a comparison between
/// issues or a sum is one of the second, whose assignment tightens its variables' hulls (bound
/// propagation) and which the hulls imply once they decide it.
#[derive(Clone, Debug)]
struct Atom {
    var: usize,
    set: KeySet,
    linear: Option<linear::LinearAtom>,
}

/// The `var` of a linear atom, which has several.
const LINEAR: usize = usize::MAX;

#[derive(Clone, Debug)]
enum Formula {
    Const(bool),
    Atom(usize),
    Not(Box<Formula>),
    And(Vec<Formula>),
    Or(Vec<Formula>),
}

#[derive(Clone, Debug)]
struct Constraint {
    formula: Formula,
    /// Variables of the issues it names (fixed issues have none).
    vars: Vec<usize>,
    /// The formula's value when it is a constant; otherwise `root` is a literal (variable · 2 +
    /// negated) that `definitions` make equivalent to it, so that asserting the constraint adds
    /// the unit `root` and asserting its negation the unit `root ^ 1`.
    constant: Option<bool>,
    definitions: Vec<Vec<u32>>,
    root: u32,
}

impl Problem {
    /// Compiles `constraints` (each one red line, known by its index) over `issues`, with the
    /// issues in `fixed` pinned to their values. Every constraint must name known issues and pass
    /// [`Expr::check`]; a fixed value must be of its issue's type.
    pub fn new(issues: &[Issue], fixed: &BTreeMap<String, Value>, constraints: &[Expr]) -> Result<Problem, ProblemError> {
        let mut problem = Problem {
            issues: issues.to_vec(),
            fixed: fixed.clone(),
            issue_vars: Vec::new(),
            vars: Vec::new(),
            atoms: Vec::new(),
            constraints: Vec::new(),
            bool_vars: 0,
        };
        for id in fixed.keys() {
            if !issues.iter().any(|issue| &issue.id == id) {
                return Err(ProblemError { constraint: None, message: format!("fixed value for unknown issue `{id}`") });
            }
        }
        for (index, issue) in issues.iter().enumerate() {
            let domains: Vec<KeySet> = if fixed.contains_key(&issue.id) { Vec::new() } else { domains(issue)? };
            let vars = domains
                .into_iter()
                .map(|domain| {
                    problem.vars.push(Variable { issue: index, domain, literals: BTreeSet::new() });
                    problem.vars.len() - 1
                })
                .collect();
            problem.issue_vars.push(vars);
        }
        let mut compiler = Compiler { problem: &mut problem, fixed, interned: HashMap::new() };
        let mut formulas = Vec::new();
        for (index, expr) in constraints.iter().enumerate() {
            let errors = expr.check(&|id| compiler.kind(id));
            if let Some(error) = errors.first() {
                return Err(ProblemError { constraint: Some(index), message: error.message.clone() });
            }
            let formula = compiler.formula(expr).map_err(|message| ProblemError { constraint: Some(index), message })?;
            let mut vars = Vec::new();
            for id in expr.issues() {
                if let Some(position) = compiler.problem.issues.iter().position(|issue| issue.id == id) {
                    vars.extend(&compiler.problem.issue_vars[position]);
                }
            }
            formulas.push((formula, vars));
        }
        let mut next_aux = problem.atoms.len() as u32;
        for (formula, vars) in formulas {
            let mut definitions = Vec::new();
            let (constant, root) = match formula {
                Formula::Const(value) => (Some(value), 0),
                ref other => (None, encode(other, &mut next_aux, &mut definitions)),
            };
            problem.constraints.push(Constraint { formula, vars, constant, definitions, root });
        }
        problem.bool_vars = next_aux as usize;
        Ok(problem)
    }

    /// The number of constraints.
    pub fn len(&self) -> usize {
        self.constraints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty()
    }

    /// Whether the constraints `indices` can all hold. Constraints that share no issue are
    /// decided separately, so the budget is spent only where they interact.
    ///
    /// Like every method taking indices, this panics on an index of no constraint (at least
    /// [`Problem::len`]).
    pub fn check(&self, indices: &[usize], budget: &Budget) -> Verdict {
        let mut meter = Meter::new(budget.steps);
        match self.solve_split(indices, &[], &mut meter) {
            search::Outcome::Sat(keys) => Verdict::Sat(self.witness(indices, &keys)),
            search::Outcome::Unsat => Verdict::Unsat,
            search::Outcome::Unknown => Verdict::Unknown,
        }
    }

    /// Solves each independent group of `indices` in turn; keys for every variable set.
    fn solve_split(&self, indices: &[usize], restrict: &[(usize, KeySet)], meter: &mut Meter) -> search::Outcome {
        let mut keys = Vec::new();
        let mut unknown = false;
        for component in self.components(indices) {
            match search::solve(self, &search::Request { positive: &component, restrict, ..Default::default() }, meter) {
                search::Outcome::Sat(found) => keys.extend(found),
                search::Outcome::Unsat => return search::Outcome::Unsat,
                search::Outcome::Unknown => unknown = true,
            }
        }
        if unknown { search::Outcome::Unknown } else { search::Outcome::Sat(keys) }
    }

    /// `indices` split into groups that share no variable, each sorted.
    fn components(&self, indices: &[usize]) -> Vec<Vec<usize>> {
        let mut parent: Vec<usize> = (0..indices.len()).collect();
        fn root(parent: &mut [usize], mut at: usize) -> usize {
            while parent[at] != at {
                parent[at] = parent[parent[at]];
                at = parent[at];
            }
            at
        }
        let mut owner: HashMap<usize, usize> = HashMap::new();
        for (position, &index) in indices.iter().enumerate() {
            for &var in &self.constraints[index].vars {
                match owner.get(&var) {
                    Some(&other) => {
                        let (a, b) = (root(&mut parent, position), root(&mut parent, other));
                        parent[a] = b;
                    }
                    None => {
                        owner.insert(var, position);
                    }
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for position in 0..indices.len() {
            let group = root(&mut parent, position);
            groups.entry(group).or_default().push(indices[position]);
        }
        groups
            .into_values()
            .map(|mut group| {
                group.sort_unstable();
                group.dedup();
                group
            })
            .collect()
    }

    /// The issue values of a search's keys, for every issue the constraints name.
    fn witness(&self, indices: &[usize], keys: &[(usize, i128)]) -> Witness {
        let key_of: HashMap<usize, i128> = keys.iter().copied().collect();
        let mut values = BTreeMap::new();
        for &index in indices {
            for &var in &self.constraints[index].vars {
                let issue = self.vars[var].issue;
                if values.contains_key(&self.issues[issue].id) {
                    continue;
                }
                let key = |var: usize| key_of.get(&var).copied().unwrap_or_else(|| self.vars[var].domain.min().unwrap_or(0));
                values.insert(self.issues[issue].id.clone(), self.value_of(issue, &key));
            }
        }
        Witness { values }
    }

    /// How a numeric variable's key becomes its value, for linear atoms.
    fn scale(&self, var: usize) -> linear::Scale {
        match &self.issues[self.vars[var].issue].kind {
            IssueKind::Integer { min, step, .. } => linear::Scale::Grid { min: i128::from(*min), step: i128::from(*step) },
            IssueKind::Real { .. } => linear::Scale::Real,
            // Only numeric issues are in linear atoms ([`Expr::check`]).
            _ => linear::Scale::Grid { min: 0, step: 1 },
        }
    }

    fn value_of(&self, issue: usize, key: &dyn Fn(usize) -> i128) -> Value {
        let vars = &self.issue_vars[issue];
        match &self.issues[issue].kind {
            IssueKind::Subset { elements } => {
                Value::Set(elements.iter().zip(vars).filter(|&(_, &var)| key(var) == 1).map(|(element, _)| element.clone()).collect())
            }
            kind => self.key_value(kind, key(vars[0])),
        }
    }

    fn key_value(&self, kind: &IssueKind, key: i128) -> Value {
        match kind {
            IssueKind::Choice { options, .. } => Value::Choice(options.get(key as usize).cloned().unwrap_or_default()),
            IssueKind::Integer { min, step, .. } => Value::Integer((i128::from(*min) + key * i128::from(*step)) as i64),
            IssueKind::Real { .. } => Value::Real(real_of_key(key)),
            IssueKind::YesNo | IssueKind::Subset { .. } => Value::Bool(key == 1),
        }
    }
}

/// The key domains of an issue's variables.
fn domains(issue: &Issue) -> Result<Vec<KeySet>, ProblemError> {
    let error = |message: String| ProblemError { constraint: None, message: format!("issue `{}`: {message}", issue.id) };
    Ok(match &issue.kind {
        IssueKind::Choice { options, .. } => vec![KeySet::range(0, options.len() as i128 - 1)],
        IssueKind::YesNo => vec![KeySet::range(0, 1)],
        IssueKind::Subset { elements } => vec![KeySet::range(0, 1); elements.len()],
        IssueKind::Integer { min, max, step, .. } => {
            if *step <= 0 {
                return Err(error(format!("a step of {step} (expected a positive step)")));
            }
            let span = i128::from(*max) - i128::from(*min);
            vec![if span < 0 { KeySet::default() } else { KeySet::range(0, span / i128::from(*step)) }]
        }
        IssueKind::Real { min, max, .. } => {
            if !min.is_finite() || !max.is_finite() {
                return Err(error(format!("bounds {min}..={max} (expected finite bounds)")));
            }
            vec![KeySet::range(real_key(*min), real_key(*max))]
        }
    })
}

struct Compiler<'a> {
    problem: &'a mut Problem,
    fixed: &'a BTreeMap<String, Value>,
    interned: HashMap<(usize, KeySet), usize>,
}

impl Compiler<'_> {
    fn kind(&self, id: &str) -> Option<IssueKind> {
        self.problem.issues.iter().find(|issue| issue.id == id).map(|issue| issue.kind.clone())
    }

    fn formula(&mut self, expr: &Expr) -> Result<Formula, String> {
        Ok(match expr {
            Expr::True => Formula::Const(true),
            Expr::False => Formula::Const(false),
            Expr::Not(inner) => not(self.formula(inner)?),
            Expr::And(left, right) => all(vec![self.formula(left)?, self.formula(right)?]),
            Expr::Or(left, right) => any(vec![self.formula(left)?, self.formula(right)?]),
            Expr::Implies(left, right) => any(vec![not(self.formula(left)?), self.formula(right)?]),
            Expr::Linear(comparison) => self.linear(comparison)?,
            Expr::Flag { issue }
            | Expr::Compare { issue, .. }
            | Expr::Contains { issue, .. }
            | Expr::OneOf { issue, .. }
            | Expr::SetRelation { issue, .. } => {
                let position = self.problem.issues.iter().position(|known| known.id == issue.id).ok_or("unknown issue")?;
                match self.fixed.get(&issue.id) {
                    Some(value) => self.fixed_test(expr, &issue.id, value)?,
                    None => self.test(expr, position)?,
                }
            }
        })
    }

    /// A test on a fixed issue is a constant: its value decides it.
    fn fixed_test(&self, expr: &Expr, id: &str, value: &Value) -> Result<Formula, String> {
        let kind = |name: &str| self.kind(name);
        let ranked = rank_value(kind(id).as_ref(), value.clone());
        match expr.ranked(&kind).evaluate(&|name| if name == id { ranked.clone() } else { None }) {
            Some(holds) => Ok(Formula::Const(holds)),
            None => Err(format!("the fixed value of `{id}` ({}) does not fit its kind", value.kind_name())),
        }
    }

    fn atom(&mut self, var: usize, set: KeySet) -> Formula {
        let domain = &self.problem.vars[var].domain;
        let set = set.intersection(domain);
        if set.is_empty() {
            return Formula::Const(false);
        }
        if domain.is_subset(&set) {
            return Formula::Const(true);
        }
        let next = self.problem.atoms.len();
        let index = *self.interned.entry((var, set.clone())).or_insert(next);
        if index == next {
            self.problem.atoms.push(Atom { var, set, linear: None });
        }
        Formula::Atom(index)
    }

    fn test(&mut self, expr: &Expr, issue: usize) -> Result<Formula, String> {
        let vars = self.problem.issue_vars[issue].clone();
        let kind = self.problem.issues[issue].kind.clone();
        let element = |name: &str| -> Result<usize, String> {
            match &kind {
                IssueKind::Subset { elements } => {
                    elements.iter().position(|known| known == name).map(|at| vars[at]).ok_or_else(|| format!("no element \"{name}\""))
                }
                _ => Err("not a subset issue".to_owned()),
            }
        };
        let formula = match expr {
            Expr::Flag { .. } => self.atom(vars[0], KeySet::single(1)),
            Expr::Contains { element: name, negated, .. } => {
                let atom = self.atom(element(name)?, KeySet::single(1));
                if *negated { not(atom) } else { atom }
            }
            Expr::OneOf { options, negated, .. } => {
                let IssueKind::Choice { options: domain, .. } = &kind else { return Err("not a choice issue".to_owned()) };
                let keys = options.iter().filter_map(|option| domain.iter().position(|known| known == option));
                let atom = self.atom(vars[0], KeySet::from_keys(keys.map(|at| at as i128)));
                if *negated { not(atom) } else { atom }
            }
            Expr::SetRelation { relation, elements: listed, .. } => {
                let IssueKind::Subset { elements } = &kind else { return Err("not a subset issue".to_owned()) };
                let mut parts = Vec::new();
                for (at, name) in elements.iter().enumerate() {
                    let inside = listed.contains(name);
                    match relation {
                        SetRelation::Subset if !inside => parts.push(self.atom(vars[at], KeySet::single(0))),
                        SetRelation::Superset if inside => parts.push(self.atom(vars[at], KeySet::single(1))),
                        _ => {}
                    }
                }
                all(parts)
            }
            Expr::Compare { op, literal, .. } => self.compare(&kind, &vars, *op, literal)?,
            _ => return Err("not a test".to_owned()),
        };
        Ok(formula)
    }

    /// A linear comparison: a constant when every issue it names is fixed, a set atom when it
    /// names one variable (its exact region of keys), else linear atoms (two for `==`).
    fn linear(&mut self, comparison: &parley_core::expr::Linear) -> Result<Formula, String> {
        let normal = comparison.normal().ok_or("numbers too large to compare exactly")?;
        let mut terms = Vec::new();
        let mut fixed = Vec::new();
        for (id, coefficient) in &normal.terms {
            let position = self.problem.issues.iter().position(|issue| &issue.id == id).ok_or("unknown issue")?;
            match self.fixed.get(id) {
                Some(Value::Integer(number)) => fixed.push((*coefficient, Exact::integer(*number))),
                Some(Value::Real(number)) => fixed.push((*coefficient, Exact::real(*number).ok_or("a fixed value that is not finite")?)),
                Some(other) => return Err(format!("the fixed value of `{id}` ({}) is not a number", other.kind_name())),
                None => terms.push((*self.problem.issue_vars[position].first().ok_or("not a numeric issue")?, *coefficient)),
            }
        }
        // `Σ op k` as atoms `Σ ≤ k` / `Σ < k`: `≥` and `>` negate both sides.
        let atom = |terms: &[(usize, i128)], fixed: &[(i128, Exact)], strict: bool, flip: bool| {
            let sign = if flip { -1 } else { 1 };
            linear::LinearAtom {
                terms: terms.iter().map(|&(var, c)| (var, sign * c)).collect(),
                fixed: fixed.iter().map(|&(c, value)| (sign * c, value)).collect(),
                constant: sign * normal.constant,
                strict,
            }
        };
        let parts = match normal.op {
            CompareOp::Le => vec![atom(&terms, &fixed, false, false)],
            CompareOp::Lt => vec![atom(&terms, &fixed, true, false)],
            CompareOp::Ge => vec![atom(&terms, &fixed, false, true)],
            CompareOp::Gt => vec![atom(&terms, &fixed, true, true)],
            // `==` is `≤` and `≥`; `!=` is not that.
            CompareOp::Eq | CompareOp::Ne => vec![atom(&terms, &fixed, false, false), atom(&terms, &fixed, false, true)],
        };
        let conjunction = all(parts.into_iter().map(|part| self.linear_atom(part)).collect());
        Ok(if normal.op == CompareOp::Ne { not(conjunction) } else { conjunction })
    }

    /// One linear atom as a formula: a constant with no variables, a set atom with one.
    fn linear_atom(&mut self, atom: linear::LinearAtom) -> Formula {
        match atom.terms.as_slice() {
            [] => Formula::Const(atom.holds(&|_| 0, &|_| linear::Scale::Real)),
            &[(var, _)] => {
                let scale = self.scale(var);
                let domain = self.problem.vars[var].domain.clone();
                let (low, high) = (domain.min().unwrap_or(0), domain.max().unwrap_or(-1));
                // Whether the atom holds is monotone in the key: a prefix of the keys when the
                // coefficient is positive (the sum grows with the key), a suffix otherwise.
                let holds = |key: i128| atom.holds(&|_| key, &|_| scale);
                let set = if atom.terms[0].1 > 0 {
                    let order = |key: i128| if holds(key) { std::cmp::Ordering::Less } else { std::cmp::Ordering::Greater };
                    monotone_region(low, high, &order, true, false, false)
                } else {
                    let order = |key: i128| if holds(key) { std::cmp::Ordering::Greater } else { std::cmp::Ordering::Less };
                    monotone_region(low, high, &order, false, false, true)
                };
                self.atom(var, set)
            }
            _ => {
                let next = self.problem.atoms.len();
                self.problem.atoms.push(Atom { var: LINEAR, set: KeySet::default(), linear: Some(atom) });
                Formula::Atom(next)
            }
        }
    }

    fn scale(&self, var: usize) -> linear::Scale {
        self.problem.scale(var)
    }

    fn compare(&mut self, kind: &IssueKind, vars: &[usize], op: CompareOp, literal: &Literal) -> Result<Formula, String> {
        let (less, equal, greater) = match op {
            CompareOp::Eq => (false, true, false),
            CompareOp::Ne => (true, false, true),
            CompareOp::Lt => (true, false, false),
            CompareOp::Le => (true, true, false),
            CompareOp::Gt => (false, false, true),
            CompareOp::Ge => (false, true, true),
        };
        let mismatch = || format!("cannot compare a {} issue with this value", kind.keyword());
        let var = vars.first().copied();
        let region = |order: &dyn Fn(i128) -> std::cmp::Ordering, domain: &KeySet| {
            monotone_region(domain.min().unwrap_or(0), domain.max().unwrap_or(-1), order, less, equal, greater)
        };
        let formula = match (kind, literal) {
            (IssueKind::Subset { elements }, Literal::List(listed)) if less == greater => {
                let mut parts = Vec::new();
                for (at, name) in elements.iter().enumerate() {
                    let key = i128::from(listed.contains(name));
                    parts.push(self.atom(vars[at], KeySet::single(key)));
                }
                if equal { all(parts) } else { not(all(parts)) }
            }
            (IssueKind::Subset { .. }, _) => return Err(mismatch()),
            (IssueKind::Integer { min, step, .. }, Literal::Integer(_) | Literal::Real(_)) => {
                let var = var.ok_or_else(mismatch)?;
                let (min, step) = (i128::from(*min), i128::from(*step));
                let order = |key: i128| -> std::cmp::Ordering {
                    let value = min + key * step;
                    match literal {
                        Literal::Integer(number) => value.cmp(&i128::from(*number)),
                        Literal::Real(number) => (value as i64 as f64).partial_cmp(number).unwrap_or(std::cmp::Ordering::Less),
                        _ => std::cmp::Ordering::Less,
                    }
                };
                let set = region(&order, &self.problem.vars[var].domain.clone());
                self.atom(var, set)
            }
            (IssueKind::Real { .. }, Literal::Integer(_) | Literal::Real(_)) => {
                let var = var.ok_or_else(mismatch)?;
                let bound = match literal {
                    Literal::Integer(number) => *number as f64,
                    Literal::Real(number) => *number,
                    _ => 0.0,
                };
                self.problem.vars[var].literals.insert(real_key(bound));
                let order = |key: i128| real_of_key(key).partial_cmp(&bound).unwrap_or(std::cmp::Ordering::Less);
                let set = region(&order, &self.problem.vars[var].domain.clone());
                self.atom(var, set)
            }
            (IssueKind::Choice { options, ordered }, Literal::Text(option)) => {
                let var = var.ok_or_else(mismatch)?;
                match options.iter().position(|known| known == option) {
                    Some(rank) if *ordered || less == greater => {
                        let rank = rank as i128;
                        let set = region(&|key: i128| key.cmp(&rank), &self.problem.vars[var].domain.clone());
                        self.atom(var, set)
                    }
                    // An option the issue does not have: an ordered choice's ranked test is false;
                    // an unordered choice's value is simply never equal to it.
                    None if !*ordered && !equal && less && greater => Formula::Const(true),
                    None => Formula::Const(false),
                    Some(_) => return Err(mismatch()),
                }
            }
            (IssueKind::YesNo, Literal::Bool(flag)) => {
                let var = var.ok_or_else(mismatch)?;
                let flag = *flag;
                let set = region(&|key: i128| (key == 1).cmp(&flag), &self.problem.vars[var].domain.clone());
                self.atom(var, set)
            }
            _ => return Err(mismatch()),
        };
        Ok(formula)
    }
}

fn not(formula: Formula) -> Formula {
    match formula {
        Formula::Const(value) => Formula::Const(!value),
        Formula::Not(inner) => *inner,
        other => Formula::Not(Box::new(other)),
    }
}

/// A conjunction, flattened and with constants folded.
fn all(parts: Vec<Formula>) -> Formula {
    let mut kept = Vec::new();
    for part in parts {
        match part {
            Formula::Const(true) => {}
            Formula::Const(false) => return Formula::Const(false),
            Formula::And(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Formula::Const(true),
        1 => kept.pop().unwrap_or(Formula::Const(true)),
        _ => Formula::And(kept),
    }
}

/// A disjunction, flattened and with constants folded.
fn any(parts: Vec<Formula>) -> Formula {
    let mut kept = Vec::new();
    for part in parts {
        match part {
            Formula::Const(false) => {}
            Formula::Const(true) => return Formula::Const(true),
            Formula::Or(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Formula::Const(false),
        1 => kept.pop().unwrap_or(Formula::Const(false)),
        _ => Formula::Or(kept),
    }
}

/// A literal equivalent to the formula, given the clauses it adds to `clauses` with fresh
/// variables from `next_aux` for its inner conjunctions and disjunctions (Tseitin).
fn encode(formula: &Formula, next_aux: &mut u32, clauses: &mut Vec<Vec<u32>>) -> u32 {
    match formula {
        Formula::Atom(index) => (*index as u32) << 1,
        Formula::Not(inner) => encode(inner, next_aux, clauses) ^ 1,
        Formula::And(parts) | Formula::Or(parts) => {
            let literals: Vec<u32> = parts.iter().map(|part| encode(part, next_aux, clauses)).collect();
            let aux = *next_aux << 1;
            *next_aux += 1;
            // For an And: aux → each part, and all parts → aux. An Or is the dual.
            let conjunction = matches!(formula, Formula::And(_));
            let (sign, long_sign) = if conjunction { (1, 0) } else { (0, 1) };
            let mut long = vec![aux ^ long_sign];
            for &literal in &literals {
                clauses.push(vec![aux ^ sign, literal ^ long_sign]);
                long.push(literal ^ sign);
            }
            // Written out: And: (¬aux ∨ p) for each p, (aux ∨ ¬p1 ∨ … ∨ ¬pn).
            //              Or:  (aux ∨ ¬p) for each p, (¬aux ∨ p1 ∨ … ∨ pn).
            clauses.push(long);
            aux
        }
        // Constants are folded away before encoding.
        Formula::Const(_) => 0,
    }
}

/// Whether a formula holds when every variable has the given key.
fn evaluate(problem: &Problem, formula: &Formula, key: &dyn Fn(usize) -> Option<i128>) -> Option<bool> {
    Some(match formula {
        Formula::Const(value) => *value,
        Formula::Atom(index) => {
            let atom = &problem.atoms[*index];
            match &atom.linear {
                Some(linear) => {
                    for &(var, _) in &linear.terms {
                        key(var)?;
                    }
                    linear.holds(&|var| key(var).unwrap_or(0), &|var| problem.scale(var))
                }
                None => atom.set.contains(key(atom.var)?),
            }
        }
        Formula::Not(inner) => !evaluate(problem, inner, key)?,
        Formula::And(parts) => {
            for part in parts {
                if !evaluate(problem, part, key)? {
                    return Some(false);
                }
            }
            true
        }
        Formula::Or(parts) => {
            for part in parts {
                if evaluate(problem, part, key)? {
                    return Some(true);
                }
            }
            false
        }
    })
}
