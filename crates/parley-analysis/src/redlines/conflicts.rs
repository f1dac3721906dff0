//! Minimal conflicts (minimal unsatisfiable subsets) and projections onto one issue.

use std::collections::{HashMap, HashSet};

use parley_core::model::{IssueKind, Value};

use super::search::{self, Meter, Outcome, Request};
use super::sets::{KeySet, real_of_key};
use super::{Budget, Formula, Problem, ProblemError, Verdict, evaluate};

/// The steps charged for each candidate set remembered (a few hundred bytes at most), so that
/// the budget bounds memory too.
const SET_COST: u64 = 16;

/// Keys for some variables, by variable.
type Keys = Vec<(usize, i128)>;

/// How [`Problem::conflicts`] looks for minimal conflicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConflictOptions {
    /// The largest conflict looked for (default 4).
    pub max_size: usize,
    /// For the whole call: at most half goes to deciding all the constraints together, the rest
    /// (and whatever that left) to enumerating conflicts.
    pub budget: Budget,
}

impl Default for ConflictOptions {
    fn default() -> ConflictOptions {
        ConflictOptions { max_size: 4, budget: Budget::default() }
    }
}

/// What [`Problem::conflicts`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflicts {
    /// Whether the constraints can all hold. A conflict found proves [`Verdict::Unsat`] even when
    /// deciding them all together ran out of budget.
    pub verdict: Verdict,
    /// Minimal sets of constraint indices that cannot all hold (every proper subset can), each
    /// sorted; by size, then in lexicographic order.
    pub minimal: Vec<Vec<usize>>,
    /// Whether `minimal` is every minimal conflict of at most `max_size` constraints (false when
    /// the budget ran out first).
    pub complete: bool,
}

/// The values of one issue under which a set of constraints can all hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// The issue's id.
    pub issue: String,
    /// Its possible values.
    pub values: ProjectedValues,
    /// False when the budget ran out: `values` then holds only values proven possible.
    pub complete: bool,
}

/// A projection's values, by the issue's kind.
#[derive(Clone, Debug, PartialEq)]
pub enum ProjectedValues {
    /// Options of a choice issue, in the issue's order.
    Options(Vec<String>),
    /// A yes-no issue's possible values, `false` before `true`.
    Flags(Vec<bool>),
    /// Closed ranges of an integer issue (each holding the values on its step grid), in order.
    Integers(Vec<(i64, i64)>),
    /// Intervals of a real issue, in order.
    Reals(Vec<RealInterval>),
}

/// An interval of reals; an open end excludes its bound (`x > 3` starts open at 3). Every `f64`
/// within it is a possible value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RealInterval {
    /// The lower bound, excluded when `low_open`.
    pub low: f64,
    pub low_open: bool,
    /// The upper bound, excluded when `high_open`.
    pub high: f64,
    pub high_open: bool,
}

impl Projection {
    /// Whether no value of the issue lets the constraints hold.
    pub fn is_empty(&self) -> bool {
        match &self.values {
            ProjectedValues::Options(options) => options.is_empty(),
            ProjectedValues::Flags(flags) => flags.is_empty(),
            ProjectedValues::Integers(ranges) => ranges.is_empty(),
            ProjectedValues::Reals(intervals) => intervals.is_empty(),
        }
    }

    /// The lowest and highest possible values (options by their position; for reals, the
    /// interval ends, which may be open).
    pub fn hull(&self) -> Option<(Value, Value)> {
        match &self.values {
            ProjectedValues::Options(options) => Some((Value::Choice(options.first()?.clone()), Value::Choice(options.last()?.clone()))),
            ProjectedValues::Flags(flags) => Some((Value::Bool(*flags.first()?), Value::Bool(*flags.last()?))),
            ProjectedValues::Integers(ranges) => Some((Value::Integer(ranges.first()?.0), Value::Integer(ranges.last()?.1))),
            ProjectedValues::Reals(intervals) => Some((Value::Real(intervals.first()?.low), Value::Real(intervals.last()?.high))),
        }
    }
}

impl Problem {
    /// Every minimal conflict of at most `options.max_size` among the constraints `indices`, and
    /// whether they can all hold. Constraints are first split into groups sharing no issue (a
    /// minimal conflict lies within one); a group that can hold has no conflict. In the others,
    /// connected sets grow one constraint at a time from satisfiable ones, and a grown set is
    /// often shown satisfiable by its parent's witness alone, without a search.
    pub fn conflicts(&self, indices: &[usize], options: &ConflictOptions) -> Conflicts {
        let mut meter = Meter::new(options.budget.steps / 2);
        let mut keys = Vec::new();
        let (mut unsat, mut unknown) = (false, false);
        let mut to_explain = Vec::new();
        for component in self.components(indices) {
            match search::solve(self, &Request { positive: &component, ..Default::default() }, &mut meter) {
                Outcome::Sat(found) => keys.extend(found),
                Outcome::Unsat => {
                    unsat = true;
                    to_explain.push(component);
                }
                Outcome::Unknown => {
                    unknown = true;
                    to_explain.push(component);
                }
            }
        }
        let mut meter = Meter::new(options.budget.steps - options.budget.steps / 2 + meter.left());
        let mut minimal = Vec::new();
        let mut complete = true;
        for component in &to_explain {
            complete &= self.enumerate(component, options.max_size, &mut meter, &mut minimal);
        }
        minimal.sort_by(|a: &Vec<usize>, b: &Vec<usize>| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        let verdict = if unsat || !minimal.is_empty() {
            Verdict::Unsat
        } else if unknown {
            Verdict::Unknown
        } else {
            Verdict::Sat(self.witness(indices, &keys))
        };
        Conflicts { verdict, minimal, complete }
    }

    /// The minimal conflicts of one connected group, into `found`; false if the budget ran out.
    ///
    /// Sets grow level by level from satisfiable ones, and only by a constraint that the set's
    /// witness violates, the witness being completed by `defaults` (the keys of a large
    /// satisfiable subset, found greedily) for the variables the set does not name. That loses
    /// no minimal conflict: a proper subset of one is satisfiable, and its completed witness must
    /// violate some other member. A set in which one member follows from the others is dropped
    /// too: no minimal conflict contains it.
    fn enumerate(&self, component: &[usize], max_size: usize, meter: &mut Meter, found: &mut Vec<Vec<usize>>) -> bool {
        if max_size == 0 {
            return true;
        }
        // The defaults only steer the enumeration: their search gets a tenth of what is left,
        // and stops without failing when that runs out.
        let mut greedy_meter = Meter::new(meter.left() / 10);
        let defaults = self.greedy_keys(component, &mut greedy_meter);
        meter.spend(meter.left() / 10 - greedy_meter.left());
        let default_of = |var: usize| defaults.get(&var).copied().or_else(|| self.vars[var].domain.min());
        let mut by_member: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut implications: HashMap<(usize, usize), bool> = HashMap::new();
        // Known conflicts of two, by their sorted pair; larger ones by member.
        let mut pairs: HashSet<(usize, usize)> = HashSet::new();
        // Sets that hold, with keys for their variables.
        let mut level: Vec<(Vec<usize>, Keys)> = Vec::new();
        for &index in component {
            if !meter.spend(1) {
                return false;
            }
            let request = Request { positive: &[index], prefer: Some(&defaults), ..Default::default() };
            match search::solve(self, &request, meter) {
                Outcome::Sat(keys) => {
                    if max_size > 1 {
                        // A constraint that always holds is in no minimal conflict.
                        match search::solve(self, &Request { negative: &[index], ..Default::default() }, meter) {
                            Outcome::Unsat => continue,
                            Outcome::Sat(_) => level.push((vec![index], keys)),
                            Outcome::Unknown => return false,
                        }
                    }
                }
                // Unsatisfiable alone: a conflict, and (not being in the level) never grown.
                Outcome::Unsat => found.push(vec![index]),
                Outcome::Unknown => return false,
            }
        }
        let alone_unsat: HashSet<usize> = found.iter().filter(|conflict| conflict.len() == 1).map(|conflict| conflict[0]).collect();
        for size in 2..=max_size.min(component.len()) {
            let held: HashSet<Vec<usize>> = level.iter().map(|(set, _)| set.clone()).collect();
            let mut seen: HashSet<Vec<usize>> = HashSet::new();
            let mut next = Vec::new();
            for (set, keys) in &level {
                let key_of = |var: usize| keys.iter().find(|&&(known, _)| known == var).map(|&(_, key)| key).or_else(|| default_of(var));
                for &candidate in component {
                    if set.contains(&candidate) || alone_unsat.contains(&candidate) {
                        continue;
                    }
                    if !meter.spend(1) {
                        return false;
                    }
                    if evaluate(self, &self.constraints[candidate].formula, &key_of) != Some(false) {
                        continue;
                    }
                    // A member that the candidate implies makes the grown set useless: neither it
                    // nor any set containing it is a minimal conflict.
                    let mut implied = false;
                    for &member in set {
                        match self.implies(candidate, member, &mut implications, meter) {
                            Some(true) => implied = true,
                            Some(false) => {}
                            None => return false,
                        }
                    }
                    if implied {
                        continue;
                    }
                    // The set itself holds, so a known conflict inside the grown one has the
                    // candidate: a known pair, or a larger one.
                    if set.iter().any(|&member| pairs.contains(&(member.min(candidate), member.max(candidate)))) {
                        continue;
                    }
                    let inside = |member: &usize| *member == candidate || set.contains(member);
                    let known = by_member.get(&candidate).map_or(&[][..], Vec::as_slice);
                    if known.iter().any(|&at| found[at].iter().all(inside)) {
                        continue;
                    }
                    let mut grown = set.clone();
                    grown.push(candidate);
                    grown.sort_unstable();
                    if !seen.insert(grown.clone()) {
                        continue;
                    }
                    // A set kept costs memory: charging for it bounds memory by the budget.
                    if !meter.spend(SET_COST) {
                        return false;
                    }
                    match search::solve(self, &Request { positive: &grown, prefer: Some(&defaults), ..Default::default() }, meter) {
                        Outcome::Sat(keys) => {
                            if size < max_size {
                                next.push((grown, keys));
                            }
                        }
                        Outcome::Unsat => match self.proper_subsets_hold(&grown, &held, meter) {
                            Some(true) => {
                                if let [first, second] = grown[..] {
                                    pairs.insert((first, second));
                                } else {
                                    for &member in &grown {
                                        by_member.entry(member).or_default().push(found.len());
                                    }
                                }
                                found.push(grown);
                            }
                            Some(false) => {}
                            None => return false,
                        },
                        Outcome::Unknown => return false,
                    }
                }
            }
            level = next;
        }
        true
    }

    /// Keys of a large satisfiable subset of `component`, chosen greedily: each constraint joins
    /// when the keys so far satisfy it, or when a search finds keys for it and all before; what
    /// was found when the budget runs out.
    fn greedy_keys(&self, component: &[usize], meter: &mut Meter) -> HashMap<usize, i128> {
        let mut members: Vec<usize> = Vec::new();
        let mut keys: HashMap<usize, i128> = HashMap::new();
        for &index in component {
            if !meter.spend(1) {
                break;
            }
            let key_of = |var: usize| keys.get(&var).copied().or_else(|| self.vars[var].domain.min());
            if evaluate(self, &self.constraints[index].formula, &key_of) == Some(true) {
                let chosen: Vec<(usize, i128)> =
                    self.constraints[index].vars.iter().filter_map(|&var| key_of(var).map(|key| (var, key))).collect();
                keys.extend(chosen);
                members.push(index);
                continue;
            }
            members.push(index);
            match search::solve(self, &Request { positive: &members, prefer: Some(&keys), ..Default::default() }, meter) {
                Outcome::Sat(found) => keys.extend(found),
                Outcome::Unsat => {
                    members.pop();
                }
                Outcome::Unknown => break,
            }
        }
        keys
    }

    /// Whether constraint `premise` implies constraint `conclusion` (`None` when the budget ran
    /// out), remembered in `known`. Constraints sharing no variable imply each other only when
    /// one always fails or the other always holds, which the first level has already set aside.
    fn implies(&self, premise: usize, conclusion: usize, known: &mut HashMap<(usize, usize), bool>, meter: &mut Meter) -> Option<bool> {
        if let Some(&answer) = known.get(&(premise, conclusion)) {
            return Some(answer);
        }
        let shared = self.constraints[premise].vars.iter().any(|var| self.constraints[conclusion].vars.contains(var));
        let answer = shared
            && match (self.literal_set(premise), self.literal_set(conclusion)) {
                // Two tests on one variable: set inclusion decides.
                (Some((var, premise_set)), Some((other, conclusion_set))) if var == other => {
                    meter.spend(1);
                    premise_set.is_subset(&conclusion_set)
                }
                _ => match search::solve(self, &Request { positive: &[premise], negative: &[conclusion], ..Default::default() }, meter) {
                    Outcome::Unsat => true,
                    Outcome::Sat(_) => false,
                    Outcome::Unknown => return None,
                },
            };
        known.insert((premise, conclusion), answer);
        Some(answer)
    }

    /// The keys where a constraint holds, when it is one test (or its negation) on one variable.
    fn literal_set(&self, index: usize) -> Option<(usize, KeySet)> {
        let (atom, negated) = match &self.constraints[index].formula {
            Formula::Atom(atom) => (*atom, false),
            Formula::Not(inner) => match inner.as_ref() {
                Formula::Atom(atom) => (*atom, true),
                _ => return None,
            },
            _ => return None,
        };
        let atom = &self.atoms[atom];
        if atom.linear.is_some() {
            return None;
        }
        let domain = &self.vars[atom.var].domain;
        Some((atom.var, if negated { domain.difference(&atom.set) } else { domain.intersection(&atom.set) }))
    }

    /// Whether every set of `set` less one member holds (`None` when the budget ran out).
    fn proper_subsets_hold(&self, set: &[usize], held: &HashSet<Vec<usize>>, meter: &mut Meter) -> Option<bool> {
        for skip in 0..set.len() {
            let rest: Vec<usize> = set.iter().enumerate().filter(|&(at, _)| at != skip).map(|(_, &index)| index).collect();
            if held.contains(&rest) {
                continue;
            }
            match self.solve_split(&rest, &[], meter) {
                Outcome::Sat(_) => {}
                Outcome::Unsat => return Some(false),
                Outcome::Unknown => return None,
            }
        }
        Some(true)
    }

    /// The values of `issue` under which the constraints `indices` can all hold, exactly: a
    /// search finds one value, the whole region of values on which every test of the issue
    /// agrees with it joins the result, and the search repeats without that region. A subset
    /// issue has no projection; a fixed issue's is its value, when the constraints can hold.
    pub fn projection(&self, issue: &str, indices: &[usize], budget: &Budget) -> Result<Projection, ProblemError> {
        let error = |message: String| ProblemError { constraint: None, message };
        let position = self.issues.iter().position(|known| known.id == issue).ok_or_else(|| error(format!("unknown issue `{issue}`")))?;
        let kind = &self.issues[position].kind;
        if matches!(kind, IssueKind::Subset { .. }) {
            return Err(error(format!("`{issue}` is a subset issue: it has no projection")));
        }
        let mut meter = Meter::new(budget.steps);
        let Some(&var) = self.issue_vars[position].first() else {
            // Fixed: its value, if the constraints can hold with it.
            let verdict = self.check(indices, budget);
            let keys = match (&verdict, self.fixed_key(position)) {
                (Verdict::Sat(_), Some(key)) => KeySet::single(key),
                _ => KeySet::default(),
            };
            let values = self.projected(position, &keys, self.fixed_value(position));
            return Ok(Projection { issue: issue.to_owned(), values, complete: verdict != Verdict::Unknown });
        };
        let mut found = KeySet::default();
        let mut complete = true;
        let components = self.components(indices);
        let (with, others): (Vec<&Vec<usize>>, Vec<&Vec<usize>>) =
            components.iter().partition(|component| component.iter().any(|&index| self.constraints[index].vars.contains(&var)));
        let mut others_hold = true;
        for component in others {
            match search::solve(self, &Request { positive: component, ..Default::default() }, &mut meter) {
                Outcome::Sat(_) => {}
                Outcome::Unsat => others_hold = false,
                Outcome::Unknown => complete = false,
            }
        }
        if others_hold && complete {
            match with.first() {
                None => found = self.vars[var].domain.clone(),
                Some(component) => {
                    let atoms: Vec<usize> = (0..self.atoms.len()).filter(|&atom| self.atoms[atom].var == var).collect();
                    // A variable compared with others by linear atoms: its region is the keys it
                    // had where the search stopped, on all of which every atom holds.
                    let linear = self
                        .atoms
                        .iter()
                        .any(|atom| atom.linear.as_ref().is_some_and(|linear| linear.terms.iter().any(|&(known, _)| known == var)));
                    let mut remaining = self.vars[var].domain.clone();
                    while !remaining.is_empty() {
                        let restrict = [(var, remaining.clone())];
                        let request = Request { positive: component, restrict: &restrict, ..Default::default() };
                        let (outcome, keys_left) = search::solve_region(self, &request, &mut meter, Some(var));
                        match outcome {
                            Outcome::Sat(keys) => {
                                let key = keys.iter().find(|&&(known, _)| known == var).map_or(0, |&(_, key)| key);
                                let mut region = remaining.clone();
                                for &atom in &atoms {
                                    let set = &self.atoms[atom].set;
                                    region = if set.contains(key) { region.intersection(set) } else { region.difference(set) };
                                }
                                if linear {
                                    region = region.intersection(&keys_left.unwrap_or_else(|| KeySet::single(key)));
                                }
                                found = found.union(&region);
                                remaining = remaining.difference(&region);
                            }
                            Outcome::Unsat => break,
                            Outcome::Unknown => {
                                complete = false;
                                break;
                            }
                        }
                    }
                }
            }
        }
        let values = self.projected(position, &found, None);
        Ok(Projection { issue: issue.to_owned(), values, complete })
    }

    /// A fixed issue's value as a key, when it is one of its domain's (any fixed value of a
    /// choice or yes-no issue is; a number is shown as itself).
    fn fixed_key(&self, position: usize) -> Option<i128> {
        match (&self.issues[position].kind, self.fixed_value(position)?) {
            (IssueKind::Choice { options, .. }, Value::Choice(option)) => {
                options.iter().position(|known| *known == option).map(|at| at as i128)
            }
            (IssueKind::YesNo, Value::Bool(flag)) => Some(i128::from(flag)),
            (_, Value::Integer(_) | Value::Real(_)) => Some(0),
            _ => None,
        }
    }

    fn fixed_value(&self, position: usize) -> Option<Value> {
        self.fixed.get(&self.issues[position].id).cloned()
    }

    fn projected(&self, position: usize, keys: &KeySet, fixed: Option<Value>) -> ProjectedValues {
        let kind = &self.issues[position].kind;
        let each = || keys.ranges().iter().flat_map(|&(low, high)| low..=high);
        match (kind, fixed) {
            (_, Some(Value::Integer(number))) if !keys.is_empty() => ProjectedValues::Integers(vec![(number, number)]),
            (_, Some(Value::Integer(_))) => ProjectedValues::Integers(Vec::new()),
            (_, Some(Value::Real(number))) if !keys.is_empty() => {
                ProjectedValues::Reals(vec![RealInterval { low: number, low_open: false, high: number, high_open: false }])
            }
            (_, Some(Value::Real(_))) => ProjectedValues::Reals(Vec::new()),
            (IssueKind::Choice { options, .. }, _) => {
                ProjectedValues::Options(each().filter_map(|key| options.get(key as usize).cloned()).collect())
            }
            (IssueKind::YesNo, _) => ProjectedValues::Flags(each().map(|key| key == 1).collect()),
            (IssueKind::Integer { min, step, .. }, _) => {
                let value = |key: i128| (i128::from(*min) + key * i128::from(*step)) as i64;
                ProjectedValues::Integers(keys.ranges().iter().map(|&(low, high)| (value(low), value(high))).collect())
            }
            (IssueKind::Real { .. }, _) => {
                let Some(&var) = self.issue_vars[position].first() else { return ProjectedValues::Reals(Vec::new()) };
                let variable = &self.vars[var];
                let (domain_low, domain_high) = (variable.domain.min().unwrap_or(0), variable.domain.max().unwrap_or(0));
                let intervals = keys
                    .ranges()
                    .iter()
                    .map(|&(low, high)| {
                        // Show `x > 3` as open at 3 rather than closed at the next f64.
                        let low_open = low > domain_low && variable.literals.contains(&(low - 1));
                        let high_open = high < domain_high && variable.literals.contains(&(high + 1));
                        RealInterval {
                            low: real_of_key(if low_open { low - 1 } else { low }),
                            low_open,
                            high: real_of_key(if high_open { high + 1 } else { high }),
                            high_open,
                        }
                    })
                    .collect();
                ProjectedValues::Reals(intervals)
            }
            (IssueKind::Subset { .. }, _) => ProjectedValues::Options(Vec::new()),
        }
    }
}
