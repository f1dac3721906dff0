//! The search: DPLL over the atoms' and auxiliary booleans, with two-watched-literal unit
//! propagation, domain propagation through the atoms, and chronological backtracking.
//!
//! Domain propagation is what makes the search exact without enumerating values: assigning an
//! atom narrows its variable's key set (to the atom's set, or to its complement); an empty set is
//! a conflict; and any other atom on the variable that the narrowed set decides (contained in
//! it, or disjoint from it) is implied. When every clause holds, every variable's set is non-empty
//! and any key of it is a witness: atoms still unassigned are not needed by any clause.
//!
//! Linear atoms (comparisons between issues, sums) join through bounds: an assigned one narrows
//! its variables' hulls (exact bound propagation, capped per propagation so that `a < b, b < a`
//! over reals does not creep one key at a time), one the hulls decide is implied, and one that
//! cannot hold on the hulls is a conflict. When every clause holds but an assigned linear atom is
//! not yet decided by the hulls, the search first looks for a contradiction around a cycle of
//! comparisons ([`super::linear::difference_cycle`]) and otherwise splits a variable's keys in
//! two, a decision like any other; hulls of single keys decide every atom, so this ends.

use std::collections::HashMap;

use super::linear::{LinearAtom, Scale, difference_cycle};
use super::sets::{KeySet, real_key, real_of_key};
use super::{LINEAR, Problem};

/// The search steps left.
#[derive(Debug)]
pub(crate) struct Meter {
    left: u64,
}

impl Meter {
    pub(crate) fn new(steps: u64) -> Meter {
        Meter { left: steps }
    }

    /// Spends `steps`; false once the budget is gone.
    pub(crate) fn spend(&mut self, steps: u64) -> bool {
        if self.left < steps {
            self.left = 0;
            false
        } else {
            self.left -= steps;
            true
        }
    }

    pub(crate) fn left(&self) -> u64 {
        self.left
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.left == 0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// A key for every variable of the constraints.
    Sat(Vec<(usize, i128)>),
    Unsat,
    Unknown,
}

const UNASSIGNED: i8 = -1;

struct Level {
    trail: usize,
    domains: usize,
    decision: u32,
    flipped: bool,
    /// For a split of a variable's keys: the variable and the half not yet tried.
    split: Option<(usize, KeySet)>,
}

/// What a point where every clause holds needs still.
enum Leaf {
    /// Every assigned linear atom holds on the whole box: done.
    Holds,
    /// Every assigned linear atom holds at the witness's point: done, for that point.
    AtPoint,
    /// Some cannot hold together.
    Conflict,
    /// Try this variable's lower keys, then its upper ones.
    Split(usize, KeySet, KeySet),
}

/// The most times linear atoms may narrow one variable's hull in one propagation: a chain of
/// comparisons narrows each variable once or twice, while comparisons around a cycle (`a < b`,
/// `b < a` over reals) would creep one key at a time; beyond, the search splits instead.
const MAX_NARROWINGS: u32 = 16;

struct Search<'p> {
    problem: &'p Problem,
    /// Clauses over local boolean variables (numbered for this search only).
    clauses: Vec<Vec<u32>>,
    watches: Vec<Vec<usize>>,
    value: Vec<i8>,
    /// Per local boolean: the problem's atom it is, or `NOT_ATOM`.
    atom_of: Vec<u32>,
    /// Per local boolean that is an atom: its local domain variable.
    theory_of: Vec<u32>,
    /// Per local domain variable: the problem's variable, its current keys, and the local
    /// booleans of the atoms on it.
    theory_vars: Vec<usize>,
    domain: Vec<KeySet>,
    atoms_on: Vec<Vec<u32>>,
    trail: Vec<u32>,
    head: usize,
    saved_domains: Vec<(usize, KeySet)>,
    levels: Vec<Level>,
    /// Per local domain variable: the local booleans of the linear atoms on it.
    linear_on: Vec<Vec<u32>>,
    /// Local domain variables whose hull changed and whose linear atoms are to be revisited.
    dirty: std::collections::VecDeque<usize>,
    is_dirty: Vec<bool>,
    /// The problem's variables by local number, and back.
    local_of: HashMap<usize, u32>,
    /// Per local domain variable: hull narrowings made by linear atoms in the current
    /// propagation, and the variables that have some (to reset).
    narrowings: Vec<u32>,
    narrowed: Vec<usize>,
    /// Whether the last leaf was accepted at its point rather than on its whole box.
    by_point: bool,
    /// The request's preferred keys, which the witness takes when allowed.
    prefer: Option<HashMap<usize, i128>>,
}

const NOT_ATOM: u32 = u32::MAX;

/// The `theory_of` of a linear atom's local boolean (it has several variables).
const LINEAR_LOCAL: u32 = u32::MAX - 1;

/// What to decide: the constraints `positive` all hold and `negative` all fail, with the
/// variables in `restrict` limited to the given keys. A witness takes a variable's key from
/// `prefer` when its domain allows it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Request<'a> {
    pub(crate) positive: &'a [usize],
    pub(crate) negative: &'a [usize],
    pub(crate) restrict: &'a [(usize, KeySet)],
    pub(crate) prefer: Option<&'a HashMap<usize, i128>>,
}

/// Decides a request.
pub(crate) fn solve(problem: &Problem, request: &Request<'_>, meter: &mut Meter) -> Outcome {
    solve_region(problem, request, meter, None).0
}

/// Decides a request and, when it holds and `region_of` names a variable, gives that variable's
/// keys at the point found: every one of them satisfies the request with the witness's other
/// values (every clause holds, and every linear atom assigned holds on the whole box).
pub(crate) fn solve_region(
    problem: &Problem,
    request: &Request<'_>,
    meter: &mut Meter,
    region_of: Option<usize>,
) -> (Outcome, Option<KeySet>) {
    let outcome = |outcome: Outcome| (outcome, None);
    let mut search = Search {
        problem,
        clauses: Vec::new(),
        watches: Vec::new(),
        value: Vec::new(),
        atom_of: Vec::new(),
        theory_of: Vec::new(),
        theory_vars: Vec::new(),
        domain: Vec::new(),
        atoms_on: Vec::new(),
        trail: Vec::new(),
        head: 0,
        saved_domains: Vec::new(),
        levels: Vec::new(),
        linear_on: Vec::new(),
        dirty: std::collections::VecDeque::new(),
        is_dirty: Vec::new(),
        local_of: HashMap::new(),
        narrowings: Vec::new(),
        narrowed: Vec::new(),
        by_point: false,
        prefer: request.prefer.cloned(),
    };
    let mut local_var: HashMap<usize, u32> = HashMap::new();
    let all = || request.positive.iter().map(|&index| (index, true)).chain(request.negative.iter().map(|&index| (index, false)));
    for (index, _) in all() {
        for &var in &problem.constraints[index].vars {
            local_var.entry(var).or_insert_with(|| {
                search.theory_vars.push(var);
                search.domain.push(problem.vars[var].domain.clone());
                search.atoms_on.push(Vec::new());
                (search.theory_vars.len() - 1) as u32
            });
        }
    }
    for (var, keys) in request.restrict {
        if let Some(&local) = local_var.get(var) {
            let domain = &mut search.domain[local as usize];
            *domain = domain.intersection(keys);
        }
    }
    if search.domain.iter().any(KeySet::is_empty) {
        return outcome(Outcome::Unsat);
    }
    search.linear_on = vec![Vec::new(); search.domain.len()];
    search.is_dirty = vec![false; search.domain.len()];
    search.narrowings = vec![0; search.domain.len()];
    search.local_of = local_var.clone();
    let mut local_bool: HashMap<u32, u32> = HashMap::new();
    let mut units = Vec::new();
    let mut clauses = Vec::new();
    for (index, holds) in all() {
        let constraint = &problem.constraints[index];
        match constraint.constant {
            Some(value) if value == holds => continue,
            Some(_) => return outcome(Outcome::Unsat),
            None => {
                let root = search.local(constraint.root, &mut local_bool, &local_var);
                units.push(if holds { root } else { root ^ 1 });
            }
        }
        for clause in &constraint.definitions {
            let clause: Vec<u32> = clause.iter().map(|&literal| search.local(literal, &mut local_bool, &local_var)).collect();
            match clause.len() {
                0 => return outcome(Outcome::Unsat),
                1 => units.push(clause[0]),
                _ => clauses.push(clause),
            }
        }
    }
    search.watches = vec![Vec::new(); search.value.len() * 2];
    for (position, clause) in clauses.iter().enumerate() {
        search.watches[clause[0] as usize].push(position);
        search.watches[clause[1] as usize].push(position);
    }
    search.clauses = clauses;
    // What the (possibly restricted) domains already decide.
    for local in 0..search.domain.len() {
        search.mark_dirty(local);
        if !search.imply(local, meter) {
            return outcome(Outcome::Unsat);
        }
    }
    for unit in units {
        if !search.assign(unit) {
            return outcome(Outcome::Unsat);
        }
    }
    match search.run(meter) {
        Some(true) => {
            let keys: Vec<(usize, i128)> =
                (0..search.domain.len()).map(|local| (search.theory_vars[local], search.pick(local, request.prefer))).collect();
            let region = region_of.and_then(|var| local_var.get(&var)).map(|&local| {
                // A leaf accepted at its point proves that point only; one decided on its box, the box.
                let proven = if search.by_point {
                    KeySet::single(search.pick(local as usize, request.prefer))
                } else {
                    search.domain[local as usize].clone()
                };
                proven.union(&search.linear_reach(local as usize, &keys))
            });
            (Outcome::Sat(keys), region)
        }
        Some(false) => outcome(Outcome::Unsat),
        None => outcome(Outcome::Unknown),
    }
}

impl<'p> Search<'p> {
    fn literal_value(&self, literal: u32) -> i8 {
        match self.value[(literal >> 1) as usize] {
            UNASSIGNED => UNASSIGNED,
            value => value ^ (literal & 1) as i8,
        }
    }

    /// Makes `literal` true; false when it is already false.
    fn assign(&mut self, literal: u32) -> bool {
        match self.literal_value(literal) {
            1 => true,
            0 => false,
            _ => {
                self.value[(literal >> 1) as usize] = 1 ^ (literal & 1) as i8;
                self.trail.push(literal);
                true
            }
        }
    }

    /// Propagates every assignment not yet propagated; false on a conflict.
    fn propagate(&mut self, meter: &mut Meter) -> bool {
        loop {
            while self.head < self.trail.len() {
                let literal = self.trail[self.head];
                self.head += 1;
                if !meter.spend(1) {
                    return true;
                }
                let variable = (literal >> 1) as usize;
                if self.theory_of[variable] == LINEAR_LOCAL {
                    // Its variables' hulls are narrowed when they are revisited, below.
                    for &(var, _) in &self.linear(variable).terms {
                        self.mark_dirty(self.local_of[&var] as usize);
                    }
                } else if self.atom_of[variable] != NOT_ATOM && !self.theory(variable, literal & 1 == 0, meter) {
                    return false;
                }
                if !self.watched(literal ^ 1, meter) {
                    return false;
                }
            }
            // Linear atoms, once the clauses have settled; what they imply goes round again.
            if !self.revisit(meter) {
                return false;
            }
            if self.head == self.trail.len() || meter.exhausted() {
                return true;
            }
        }
    }

    fn mark_dirty(&mut self, var: usize) {
        if !self.linear_on[var].is_empty() && !self.is_dirty[var] {
            self.is_dirty[var] = true;
            // First in, first out: a chain of comparisons is followed once along its length.
            self.dirty.push_back(var);
        }
    }

    /// The linear atom a local boolean is.
    /// Borrowed from the problem, not from the search, so that the search can change meanwhile.
    fn linear(&self, local: usize) -> &'p LinearAtom {
        let problem: &'p Problem = self.problem;
        match &problem.atoms[self.atom_of[local] as usize].linear {
            Some(atom) => atom,
            None => unreachable!("a local boolean marked linear is a linear atom"),
        }
    }

    fn hull(&self, var: usize) -> (i128, i128) {
        let domain = &self.domain[self.local_of[&var] as usize];
        (domain.min().unwrap_or(0), domain.max().unwrap_or(0))
    }

    fn scale_of(&self, var: usize) -> Scale {
        self.problem.scale(var)
    }

    /// The keys of local variable `local` on which every assigned linear atom on it holds with
    /// every other variable at its witness key (`keys`): an interval that, with the others held
    /// there, satisfies the request as the witness does (its set atoms are the caller's to agree
    /// on). Empty when no linear atom is assigned on it.
    fn linear_reach(&self, local: usize, keys: &[(usize, i128)]) -> KeySet {
        let var = self.theory_vars[local];
        let witness: HashMap<usize, i128> = keys.iter().copied().collect();
        let problem = self.problem;
        let scale = |other: usize| problem.scale(other);
        let full = &problem.vars[var].domain;
        let Some((low, high)) = full.min().zip(full.max()) else { return KeySet::default() };
        let hull = |other: usize| if other == var { (low, high) } else { witness.get(&other).map_or((0, 0), |&key| (key, key)) };
        let mut reach: Option<(i128, i128)> = None;
        for &atom_local in &self.linear_on[local] {
            let atom = self.linear(atom_local as usize);
            let effective = match self.value[atom_local as usize] {
                UNASSIGNED => continue,
                1 => std::borrow::Cow::Borrowed(atom),
                _ => std::borrow::Cow::Owned(atom.negated()),
            };
            let Some(term) = effective.terms.iter().position(|&(known, _)| known == var) else { continue };
            let Some((from, to)) = effective.bound(term, &hull, &scale) else { return KeySet::default() };
            reach = Some(reach.map_or((from, to), |(known_from, known_to)| (known_from.max(from), known_to.min(to))));
        }
        match reach {
            Some((from, to)) if from <= to => KeySet::range(from, to).intersection(full),
            _ => KeySet::default(),
        }
    }

    /// Revisits the linear atoms of every variable whose hull changed: implies the undecided ones
    /// the hulls decide, refutes, and narrows hulls by the assigned ones. False on a conflict.
    fn revisit(&mut self, meter: &mut Meter) -> bool {
        while let Some(var) = self.dirty.pop_front() {
            self.is_dirty[var] = false;
            for position in 0..self.linear_on[var].len() {
                let local = self.linear_on[var][position] as usize;
                let atom = self.linear(local);
                // An exact comparison of a sum costs about ten steps per term.
                if !meter.spend(20 * atom.terms.len() as u64) {
                    return true;
                }
                let problem = self.problem;
                let scale = |var: usize| problem.scale(var);
                let hull = |var: usize| self.hull(var);
                let effective = match self.value[local] {
                    UNASSIGNED => {
                        let implied = if atom.entailed(&hull, &scale) {
                            (local as u32) << 1
                        } else if atom.refuted(&hull, &scale) {
                            ((local as u32) << 1) | 1
                        } else {
                            continue;
                        };
                        if !self.assign(implied) {
                            return false;
                        }
                        continue;
                    }
                    1 => std::borrow::Cow::Borrowed(atom),
                    _ => std::borrow::Cow::Owned(atom.negated()),
                };
                if effective.refuted(&hull, &scale) {
                    return false;
                }
                for term in 0..effective.terms.len() {
                    let target = self.local_of[&effective.terms[term].0] as usize;
                    if self.narrowings[target] >= MAX_NARROWINGS {
                        continue;
                    }
                    if !meter.spend(10 * effective.terms.len() as u64) {
                        return true;
                    }
                    let hull = |var: usize| self.hull(var);
                    let Some((low, high)) = effective.bound(term, &hull, &scale) else { return false };
                    if (low, high) != self.hull(effective.terms[term].0) {
                        // A binary search over the keys found the new bound.
                        meter.spend(10 * 64 * effective.terms.len() as u64);
                        if self.narrowings[target] == 0 {
                            self.narrowed.push(target);
                        }
                        self.narrowings[target] += 1;
                        if !self.narrow(target, &KeySet::range(low, high), meter) {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// Limits a local domain variable to `keys`; false when nothing is left.
    fn narrow(&mut self, var: usize, keys: &KeySet, meter: &mut Meter) -> bool {
        let narrowed = self.domain[var].intersection(keys);
        self.replace_domain(var, narrowed, meter)
    }

    /// Makes `narrowed` (a subset of it) the domain of local variable `var`, saving the old one
    /// for backtracking, and propagates: the atoms it decides, and its linear atoms later. False
    /// when nothing is left.
    fn replace_domain(&mut self, var: usize, narrowed: KeySet, meter: &mut Meter) -> bool {
        if narrowed == self.domain[var] {
            return true;
        }
        let empty = narrowed.is_empty();
        let previous = std::mem::replace(&mut self.domain[var], narrowed);
        self.saved_domains.push((var, previous));
        if empty {
            return false;
        }
        self.mark_dirty(var);
        self.imply(var, meter)
    }

    /// Every clause holds: whether the assigned linear atoms hold on the whole box, cannot, or
    /// need a variable split.
    fn leaf(&mut self, meter: &mut Meter) -> Leaf {
        let mut active = Vec::new();
        for local in 0..self.value.len() {
            if self.theory_of[local] == LINEAR_LOCAL && self.value[local] != UNASSIGNED {
                let atom = self.linear(local);
                active.push(if self.value[local] == 1 { atom.clone() } else { atom.negated() });
            }
        }
        let hull = |var: usize| self.hull(var);
        let scale = |var: usize| self.scale_of(var);
        meter.spend(active.len() as u64 * 8);
        let open: Vec<&LinearAtom> = active.iter().filter(|atom| !atom.entailed(&hull, &scale)).collect();
        if open.is_empty() {
            return Leaf::Holds;
        }
        if open.iter().any(|atom| atom.refuted(&hull, &scale)) {
            return Leaf::Conflict;
        }
        // The point the witness would take (each variable's picked key) may satisfy them already.
        let point: HashMap<usize, i128> =
            (0..self.domain.len()).map(|local| (self.theory_vars[local], self.pick(local, self.prefer.as_ref()))).collect();
        meter.spend(open.len() as u64 * 4);
        if open.iter().all(|atom| atom.holds(&|var| point[&var], &scale)) {
            return Leaf::AtPoint;
        }
        let integral = |var: usize| matches!(self.scale_of(var), Scale::Grid { .. });
        meter.spend((active.len() as u64).pow(2));
        if difference_cycle(&active, &integral) {
            return Leaf::Conflict;
        }
        // Split the widest variable of the first undecided atom.
        let widest = open[0].terms.iter().map(|&(var, _)| var).max_by_key(|&var| {
            let (low, high) = self.hull(var);
            high - low
        });
        let Some(var) = widest else { return Leaf::Conflict };
        let (low, high) = self.hull(var);
        if low == high {
            // Single keys decide every atom: an open one here cannot be.
            return Leaf::Conflict;
        }
        let middle = low + (high - low) / 2;
        let local = self.local_of[&var] as usize;
        Leaf::Split(local, KeySet::range(low, middle), KeySet::range(middle + 1, high))
    }

    /// Visits the clauses watching `falsified`, which has just become false.
    fn watched(&mut self, falsified: u32, meter: &mut Meter) -> bool {
        let mut watching = std::mem::take(&mut self.watches[falsified as usize]);
        meter.spend(watching.len() as u64 / 8);
        let mut position = 0;
        let mut ok = true;
        while position < watching.len() {
            let clause_index = watching[position];
            let clause = &mut self.clauses[clause_index];
            if clause[0] == falsified {
                clause.swap(0, 1);
            }
            let other = clause[0];
            let other_value = match self.value[(other >> 1) as usize] {
                UNASSIGNED => UNASSIGNED,
                value => value ^ (other & 1) as i8,
            };
            if other_value == 1 {
                position += 1;
                continue;
            }
            let mut moved = false;
            for candidate in 2..clause.len() {
                let literal = clause[candidate];
                let value = match self.value[(literal >> 1) as usize] {
                    UNASSIGNED => UNASSIGNED,
                    value => value ^ (literal & 1) as i8,
                };
                if value != 0 {
                    clause.swap(1, candidate);
                    self.watches[literal as usize].push(clause_index);
                    watching.swap_remove(position);
                    moved = true;
                    break;
                }
            }
            if moved {
                continue;
            }
            position += 1;
            if other_value == 0 || !self.assign(other) {
                ok = false;
                break;
            }
        }
        self.watches[falsified as usize] = watching;
        ok
    }

    /// The local boolean of a problem literal, numbered on first sight.
    fn local(&mut self, literal: u32, local_bool: &mut HashMap<u32, u32>, local_var: &HashMap<usize, u32>) -> u32 {
        let global = literal >> 1;
        let local = match local_bool.get(&global) {
            Some(&local) => local,
            None => {
                let local = self.value.len() as u32;
                local_bool.insert(global, local);
                self.value.push(UNASSIGNED);
                if (global as usize) < self.problem.atoms.len() && self.problem.atoms[global as usize].var == LINEAR {
                    self.atom_of.push(global);
                    self.theory_of.push(LINEAR_LOCAL);
                    if let Some(atom) = &self.problem.atoms[global as usize].linear {
                        for (var, _) in &atom.terms {
                            let var = local_var[var] as usize;
                            if !self.linear_on[var].contains(&local) {
                                self.linear_on[var].push(local);
                            }
                        }
                    }
                } else if (global as usize) < self.problem.atoms.len() {
                    let var = local_var[&self.problem.atoms[global as usize].var];
                    self.atom_of.push(global);
                    self.theory_of.push(var);
                    self.atoms_on[var as usize].push(local);
                } else {
                    self.atom_of.push(NOT_ATOM);
                    self.theory_of.push(NOT_ATOM);
                }
                local
            }
        };
        (local << 1) | (literal & 1)
    }

    /// Narrows an atom's variable after the atom (a local boolean) is assigned; false on an
    /// empty domain.
    fn theory(&mut self, local: usize, holds: bool, meter: &mut Meter) -> bool {
        let problem: &'p Problem = self.problem;
        let atom = &problem.atoms[self.atom_of[local] as usize];
        let var = self.theory_of[local] as usize;
        let current = &self.domain[var];
        let narrowed = if holds { current.intersection(&atom.set) } else { current.difference(&atom.set) };
        self.replace_domain(var, narrowed, meter)
    }

    /// Assigns every unassigned atom on the local domain variable `var` that its domain decides.
    fn imply(&mut self, var: usize, meter: &mut Meter) -> bool {
        // Each check walks the domain's intervals.
        meter.spend(self.atoms_on[var].len() as u64 * (1 + self.domain[var].ranges().len() as u64 / 16));
        for position in 0..self.atoms_on[var].len() {
            let local = self.atoms_on[var][position];
            if self.value[local as usize] != UNASSIGNED {
                continue;
            }
            let domain = &self.domain[var];
            let set = &self.problem.atoms[self.atom_of[local as usize] as usize].set;
            let implied = if domain.is_subset(set) {
                local << 1
            } else if domain.is_disjoint(set) {
                (local << 1) | 1
            } else {
                continue;
            };
            if !self.assign(implied) {
                return false;
            }
        }
        true
    }

    /// Undoes everything after `level`'s start.
    fn undo(&mut self, trail: usize, domains: usize) {
        for &literal in &self.trail[trail..] {
            self.value[(literal >> 1) as usize] = UNASSIGNED;
        }
        self.trail.truncate(trail);
        self.head = trail;
        while self.saved_domains.len() > domains {
            if let Some((var, keys)) = self.saved_domains.pop() {
                self.domain[var] = keys;
            }
        }
        for var in self.dirty.drain(..) {
            self.is_dirty[var] = false;
        }
        self.reset_narrowings();
    }

    fn reset_narrowings(&mut self) {
        for var in self.narrowed.drain(..) {
            self.narrowings[var] = 0;
        }
    }

    /// Undoes decisions back to the newest one not yet flipped and takes its other branch:
    /// `None` when every branch is spent (no assignment works), else whether the new branch is
    /// consistent so far.
    fn backtrack(&mut self, meter: &mut Meter) -> Option<bool> {
        loop {
            let level = self.levels.pop()?;
            self.undo(level.trail, level.domains);
            if level.flipped {
                continue;
            }
            return Some(match level.split.clone() {
                Some((var, other)) => {
                    self.levels.push(Level { flipped: true, split: None, ..level });
                    self.narrow(var, &other, meter)
                }
                None => {
                    let decision = level.decision ^ 1;
                    self.levels.push(Level { decision, flipped: true, ..level });
                    self.assign(decision)
                }
            });
        }
    }

    /// The search proper: `Some(true)` when every clause holds, `Some(false)` when no assignment
    /// makes them, `None` when the budget runs out.
    fn run(&mut self, meter: &mut Meter) -> Option<bool> {
        let mut scan = 0;
        let mut consistent = true;
        loop {
            if consistent {
                self.reset_narrowings();
                consistent = self.propagate(meter);
            }
            if meter.exhausted() {
                return None;
            }
            if !consistent {
                scan = 0;
                // A branch that fails at once leaves `consistent` false: backtrack further.
                match self.backtrack(meter) {
                    None => return Some(false),
                    Some(ok) => consistent = ok,
                }
                continue;
            }
            if !meter.spend(1) {
                return None;
            }
            // The first clause not yet satisfied, and in it the first unassigned literal.
            let mut decision = None;
            let scan_start = scan;
            while scan < self.clauses.len() {
                let clause = &self.clauses[scan];
                if clause.iter().any(|&literal| self.literal_value(literal) == 1) {
                    scan += 1;
                    continue;
                }
                decision = clause.iter().copied().find(|&literal| self.literal_value(literal) == UNASSIGNED);
                break;
            }
            meter.spend((scan - scan_start) as u64 / 8);
            let Some(decision) = decision else {
                match self.leaf(meter) {
                    Leaf::Holds => return Some(true),
                    Leaf::AtPoint => {
                        self.by_point = true;
                        return Some(true);
                    }
                    Leaf::Conflict => consistent = false,
                    Leaf::Split(var, lower, upper) => {
                        let level = Level {
                            trail: self.trail.len(),
                            domains: self.saved_domains.len(),
                            decision: 0,
                            flipped: false,
                            split: Some((var, upper)),
                        };
                        self.levels.push(level);
                        consistent = self.narrow(var, &lower, meter);
                    }
                }
                continue;
            };
            self.levels.push(Level { trail: self.trail.len(), domains: self.saved_domains.len(), decision, flipped: false, split: None });
            self.assign(decision);
        }
    }

    /// A key of the variable's domain: the preferred one if allowed, else the smallest, or for a
    /// real issue the first whole number its first interval holds.
    fn pick(&self, local: usize, prefer: Option<&HashMap<usize, i128>>) -> i128 {
        let domain = &self.domain[local];
        let var = self.theory_vars[local];
        if let Some(&key) = prefer.and_then(|keys| keys.get(&var)) {
            if domain.contains(key) {
                return key;
            }
        }
        let Some(&(low, high)) = domain.ranges().first() else { return 0 };
        if matches!(self.problem.issues[self.problem.vars[var].issue].kind, parley_core::model::IssueKind::Real { .. }) {
            let whole = real_of_key(low).ceil();
            if whole.is_finite() && real_key(whole) <= high {
                return real_key(whole);
            }
        }
        low
    }
}
