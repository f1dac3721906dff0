//! The red-line decision procedure. Run with `cargo bench -p parley-analysis --bench redlines`.
//!
//! 120 issues of every kind and 220 red lines of one to three tests each, drawn so that a hidden
//! outcome satisfies them all; the conflicting case adds 14 red lines that plant conflicts of two
//! to four red lines, which with the others make 15 minimal conflicts. Both are decided, and all
//! minimal conflicts of at most four red lines enumerated, well under 100 ms each.

use std::collections::BTreeMap;

use parley_analysis::redlines::{Budget, ConflictOptions, Problem, Verdict};
use parley_core::expr::{Expr, rank_value};
use parley_core::model::{Issue, IssueKind, Value};

fn main() {
    divan::main();
}

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

fn names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|at| format!("{prefix}{at}")).collect()
}

/// 120 issues: 30 yes-no, 25 choices, 25 integers, 20 reals, 20 subsets.
fn issues() -> Vec<Issue> {
    let mut random = Random(7);
    (0..120)
        .map(|index| {
            let kind = match index % 24 {
                0..=5 => IssueKind::YesNo,
                6..=10 => IssueKind::Choice { options: names("o", 3 + random.below(4)), ordered: index % 2 == 0 },
                11..=15 => IssueKind::Integer { min: 0, max: 1000, step: 10 * (1 + random.below(3) as i64), unit: String::new() },
                16..=19 => IssueKind::Real { min: 0.0, max: 100.0, unit: String::new() },
                _ => IssueKind::Subset { elements: names("e", 5 + random.below(6)) },
            };
            Issue { id: format!("x{index}"), name: format!("x{index}"), description: String::new(), kind }
        })
        .collect()
}

fn test(random: &mut Random, issue: &Issue) -> String {
    let id = &issue.id;
    let op = ["==", "!=", "<", "<=", ">", ">="][random.below(6)];
    match &issue.kind {
        IssueKind::YesNo => {
            if random.below(2) == 0 {
                id.clone()
            } else {
                format!("not {id}")
            }
        }
        IssueKind::Choice { options, ordered: true } => format!("{id} {op} \"{}\"", options[random.below(options.len())]),
        IssueKind::Choice { options, .. } => {
            let listed: Vec<String> = options.iter().filter(|_| random.below(2) == 0).map(|option| format!("\"{option}\"")).collect();
            format!("{id} in [{}]", listed.join(", "))
        }
        IssueKind::Integer { .. } => format!("{id} {op} {}", random.below(1000)),
        IssueKind::Real { .. } => format!("{id} {op} {}.5", random.below(100)),
        IssueKind::Subset { elements } => {
            let element = &elements[random.below(elements.len())];
            match random.below(3) {
                0 => format!("\"{element}\" in {id}"),
                1 => format!("\"{element}\" not in {id}"),
                _ => format!("{id} superset [\"{element}\"]"),
            }
        }
    }
}

/// A random value for every issue: the outcome the generated red lines all allow.
fn hidden_outcome(issues: &[Issue], random: &mut Random) -> BTreeMap<String, Value> {
    issues
        .iter()
        .map(|issue| {
            let value = match &issue.kind {
                IssueKind::YesNo => Value::Bool(random.below(2) == 0),
                IssueKind::Choice { options, .. } => Value::Choice(options[random.below(options.len())].clone()),
                IssueKind::Integer { step, .. } => Value::Integer(random.below(1000 / *step as usize + 1) as i64 * step),
                IssueKind::Real { .. } => Value::Real(random.below(100) as f64 + 0.25),
                IssueKind::Subset { elements } => Value::Set(elements.iter().filter(|_| random.below(2) == 0).cloned().collect()),
            };
            (issue.id.clone(), value)
        })
        .collect()
}

/// 220 red lines, each of one to three tests on issues close together (as a party's red lines
/// are), all holding at a hidden outcome.
fn red_lines(issues: &[Issue]) -> Vec<Expr> {
    let mut random = Random(11);
    let outcome = hidden_outcome(issues, &mut random);
    let kind = |id: &str| issues.iter().find(|issue| issue.id == id).map(|issue| issue.kind.clone());
    let value_of = |id: &str| rank_value(kind(id).as_ref(), outcome.get(id)?.clone());
    (0..220)
        .map(|_| {
            let base = random.below(issues.len());
            let mut tests = Vec::new();
            for _ in 0..1 + random.below(3) {
                let issue = &issues[(base + random.below(6)) % issues.len()];
                tests.push(test(&mut random, issue));
            }
            let joined = match tests.len() {
                1 => tests[0].clone(),
                2 if random.below(2) == 0 => format!("({}) implies ({})", tests[0], tests[1]),
                _ => tests.join(if random.below(3) == 0 { " and " } else { " or " }),
            };
            let expr = Expr::parse(&joined).unwrap();
            if expr.ranked(&kind).evaluate(&value_of) == Some(true) { expr } else { Expr::parse(&format!("not ({joined})")).unwrap() }
        })
        .collect()
}

/// Red lines that plant conflicts on issues the others also constrain.
fn planted() -> Vec<Expr> {
    [
        "x11 >= 700",
        "x11 < 300 or x0",
        "not x0",
        "x16 > 60.5",
        "x16 <= 20.5 or x40 > 900",
        "x40 < 100",
        "x1 implies x2",
        "x2 implies x3",
        "x1",
        "not x3",
        "x20 superset [\"e0\", \"e1\"]",
        "\"e0\" not in x20 or \"e1\" not in x20",
        "x6 == \"o0\"",
        "x6 != \"o0\"",
    ]
    .iter()
    .map(|text| Expr::parse(text).unwrap())
    .collect()
}

fn problem(conflicting: bool) -> (Problem, Vec<usize>) {
    let issues = issues();
    let mut expressions = red_lines(&issues);
    if conflicting {
        expressions.extend(planted());
    }
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let all = (0..expressions.len()).collect();
    (problem, all)
}

#[divan::bench]
fn satisfiable_220_red_lines(bencher: divan::Bencher) {
    let (problem, all) = problem(false);
    assert!(matches!(problem.check(&all, &Budget::default()), Verdict::Sat(_)));
    bencher.bench_local(|| problem.check(&all, &Budget::default()));
}

#[divan::bench]
fn satisfiable_220_red_lines_conflicts(bencher: divan::Bencher) {
    let (problem, all) = problem(false);
    let conflicts = problem.conflicts(&all, &ConflictOptions::default());
    assert!(conflicts.minimal.is_empty() && conflicts.complete);
    bencher.bench_local(|| problem.conflicts(&all, &ConflictOptions::default()));
}

#[divan::bench]
fn planted_conflicts_check(bencher: divan::Bencher) {
    let (problem, all) = problem(true);
    assert_eq!(problem.check(&all, &Budget::default()), Verdict::Unsat);
    bencher.bench_local(|| problem.check(&all, &Budget::default()));
}

#[divan::bench]
fn planted_conflicts_all_minimal(bencher: divan::Bencher) {
    let (problem, all) = problem(true);
    let conflicts = problem.conflicts(&all, &ConflictOptions::default());
    assert!(conflicts.complete, "incomplete");
    assert_eq!(conflicts.minimal.len(), 15, "{:?}", conflicts.minimal);
    bencher.bench_local(|| problem.conflicts(&all, &ConflictOptions::default()));
}

#[divan::bench]
fn two_hundred_bounds_on_one_integer_conflicts(bencher: divan::Bencher) {
    let issues = vec![Issue {
        id: "x".into(),
        name: "x".into(),
        description: String::new(),
        kind: IssueKind::Integer { min: i64::MIN, max: i64::MAX, step: 1, unit: String::new() },
    }];
    let mut texts: Vec<String> = (0..100).map(|at| format!("x >= {}", at * 1000)).collect();
    texts.extend((0..100).map(|at| format!("x <= {}", at * 1000 + 500)));
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let all: Vec<usize> = (0..200).collect();
    bencher.bench_local(|| problem.conflicts(&all, &ConflictOptions::default()));
}

/// 100 integer and 20 real issues tied by 200 linear red lines: a ladder `x(i+1) >= x(i) + 5`,
/// sums of three issues within bounds, and real ratios. Satisfiable, and with a cycle closing the
/// ladder (`x0 >= x99 - 100`) not, found through the comparisons around it.
fn linear_problem(cycle: bool) -> (Problem, Vec<usize>) {
    let mut issues: Vec<Issue> = (0..100)
        .map(|index| Issue {
            id: format!("n{index}"),
            name: String::new(),
            description: String::new(),
            kind: IssueKind::Integer { min: 0, max: 100_000, step: 1, unit: "t".into() },
        })
        .collect();
    issues.extend((0..20).map(|index| Issue {
        id: format!("r{index}"),
        name: String::new(),
        description: String::new(),
        kind: IssueKind::Real { min: 0.0, max: 1000.0, unit: "%".into() },
    }));
    let mut texts: Vec<String> = (0..99).map(|at| format!("n{} >= n{at} + 5", at + 1)).collect();
    texts.extend((0..81).map(|at| format!("n{at} + n{} + n{} <= {}", at + 9, at + 18, 3 * 5 * at + 300)));
    texts.extend((0..19).map(|at| format!("r{} >= 0.5 * r{at} + 1", at + 1)));
    texts.push("r0 >= 2".into());
    if cycle {
        texts.push("n0 >= n99 - 100".into());
    }
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let all = (0..expressions.len()).collect();
    (problem, all)
}

#[divan::bench]
fn linear_200_red_lines_over_120_issues(bencher: divan::Bencher) {
    let (problem, all) = linear_problem(false);
    let verdict = problem.check(&all, &Budget::default());
    assert!(matches!(verdict, Verdict::Sat(_)), "{verdict:?}");
    bencher.bench_local(|| problem.check(&all, &Budget::default()));
}

#[divan::bench]
fn linear_200_red_lines_with_a_cycle(bencher: divan::Bencher) {
    let (problem, all) = linear_problem(true);
    assert_eq!(problem.check(&all, &Budget::default()), Verdict::Unsat);
    bencher.bench_local(|| problem.check(&all, &Budget::default()));
}

/// How long the default budget lasts when it runs out: 11 pigeons in 10 holes as yes-no issues,
/// which a search without clause learning cannot refute within it.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn default_budget_spent_on_pigeonhole(bencher: divan::Bencher) {
    let (pigeons, holes) = (11, 10);
    let issues: Vec<Issue> = (0..pigeons)
        .flat_map(|p| {
            (0..holes).map(move |h| Issue {
                id: format!("p{p}h{h}"),
                name: String::new(),
                description: String::new(),
                kind: IssueKind::YesNo,
            })
        })
        .collect();
    let mut texts: Vec<String> = (0..pigeons).map(|p| (0..holes).map(|h| format!("p{p}h{h}")).collect::<Vec<_>>().join(" or ")).collect();
    for h in 0..holes {
        for p in 0..pigeons {
            for q in p + 1..pigeons {
                texts.push(format!("not (p{p}h{h} and p{q}h{h})"));
            }
        }
    }
    let expressions: Vec<Expr> = texts.iter().map(|text| Expr::parse(text).unwrap()).collect();
    let problem = Problem::new(&issues, &BTreeMap::new(), &expressions).unwrap();
    let all: Vec<usize> = (0..texts.len()).collect();
    bencher.bench_local(|| assert_eq!(problem.check(&all, &Budget::default()), Verdict::Unknown));
}
