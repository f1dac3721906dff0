//! The search: DPLL over the atoms' and auxiliary booleans, with two-watched-literal unit
//! propagation, domain propagation through the atoms, and chronological backtracking.
//!
//! Domain propagation is what makes the search exact without enumerating values: assigning an
//! atom narrows its variable's key set (to the atom's set, or to its complement); an empty set is
//! a conflict; and any other atom on the variable that the narrowed set decides (contained in
//! it, or disjoint from it) is implied. When every clause holds, every variable's set is non-empty
//! and any key of it is a witness: atoms still unassigned are not needed by any clause.

use std::collections::HashMap;

use super::Problem;
use super::sets::{KeySet, real_key, real_of_key};

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
}

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
}

const NOT_ATOM: u32 = u32::MAX;

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
        return Outcome::Unsat;
    }
    let mut local_bool: HashMap<u32, u32> = HashMap::new();
    let mut units = Vec::new();
    let mut clauses = Vec::new();
    for (index, holds) in all() {
        let constraint = &problem.constraints[index];
        match constraint.constant {
            Some(value) if value == holds => continue,
            Some(_) => return Outcome::Unsat,
            None => {
                let root = search.local(constraint.root, &mut local_bool, &local_var);
                units.push(if holds { root } else { root ^ 1 });
            }
        }
        for clause in &constraint.definitions {
            let clause: Vec<u32> = clause.iter().map(|&literal| search.local(literal, &mut local_bool, &local_var)).collect();
            match clause.len() {
                0 => return Outcome::Unsat,
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
        if !search.imply(local, meter) {
            return Outcome::Unsat;
        }
    }
    for unit in units {
        if !search.assign(unit) {
            return Outcome::Unsat;
        }
    }
    match search.run(meter) {
        Some(true) => {
            Outcome::Sat((0..search.domain.len()).map(|local| (search.theory_vars[local], search.pick(local, request.prefer))).collect())
        }
        Some(false) => Outcome::Unsat,
        None => Outcome::Unknown,
    }
}

impl Search<'_> {
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
        while self.head < self.trail.len() {
            let literal = self.trail[self.head];
            self.head += 1;
            if !meter.spend(1) {
                return true;
            }
            let variable = (literal >> 1) as usize;
            if self.atom_of[variable] != NOT_ATOM && !self.theory(variable, literal & 1 == 0, meter) {
                return false;
            }
            if !self.watched(literal ^ 1, meter) {
                return false;
            }
        }
        true
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
                if (global as usize) < self.problem.atoms.len() {
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
        let atom = &self.problem.atoms[self.atom_of[local] as usize];
        let var = self.theory_of[local] as usize;
        let current = &self.domain[var];
        let narrowed = if holds { current.intersection(&atom.set) } else { current.difference(&atom.set) };
        if &narrowed == current {
            return true;
        }
        let empty = narrowed.is_empty();
        let previous = std::mem::replace(&mut self.domain[var], narrowed);
        self.saved_domains.push((var, previous));
        !empty && self.imply(var, meter)
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
    }

    /// The search proper: `Some(true)` when every clause holds, `Some(false)` when no assignment
    /// makes them, `None` when the budget runs out.
    fn run(&mut self, meter: &mut Meter) -> Option<bool> {
        let mut scan = 0;
        loop {
            let consistent = self.propagate(meter);
            if meter.exhausted() {
                return None;
            }
            if !consistent {
                scan = 0;
                loop {
                    let Some(level) = self.levels.pop() else { return Some(false) };
                    self.undo(level.trail, level.domains);
                    if !level.flipped {
                        let decision = level.decision ^ 1;
                        self.levels.push(Level { decision, flipped: true, ..level });
                        self.assign(decision);
                        break;
                    }
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
            let Some(decision) = decision else { return Some(true) };
            self.levels.push(Level { trail: self.trail.len(), domains: self.saved_domains.len(), decision, flipped: false });
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
