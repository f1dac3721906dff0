//! GENIUS XML domains and profiles, read with GENIUS 10.4's semantics (`docs/genius-format.md`).
//!
//! The caller hands in the texts (this crate does no file I/O): one domain file, whose root is
//! `<negotiation_template>`, and profile files, whose root is `<utility_space>`; [`load_folder`]
//! tells them apart. [`load`] returns a [`Problem`] whose parties are the profiles in the order given.
//!
//! ```
//! use parley_analysis::genius::{GeniusFile, LoadOptions, load};
//!
//! let domain = GeniusFile::new("d.xml", r#"<negotiation_template><utility_space>
//!   <objective index="0" name="o">
//!     <issue index="1" name="price" type="discrete"><item index="1" value="low"/><item index="2" value="high"/></issue>
//!   </objective></utility_space></negotiation_template>"#);
//! let buyer = GeniusFile::new("b.xml", r#"<utility_space><objective index="0" name="o">
//!     <issue index="1" name="price" type="discrete"><item value="low" evaluation="1"/><item value="high" evaluation="0.2"/></issue>
//!     <weight index="1" value="1"/></objective><reservation value="0.1"/></utility_space>"#);
//! let loaded = load(&domain, &[buyer], &LoadOptions::default()).unwrap();
//! assert_eq!(loaded.problem.utilities(&[1]), vec![0.2]);
//! assert_eq!(loaded.problem.parties[0].reservation, 0.1);
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use parley_core::diagnostic::LineIndex;

use crate::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Rectangle, Rectangles, Utility};
use crate::xml::escape;
use crate::xml::{self, Element};

/// A file's name (for messages) and text.
#[derive(Clone, Debug)]
pub struct GeniusFile {
    pub name: String,
    pub text: String,
}

impl GeniusFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> GeniusFile {
        GeniusFile { name: name.into(), text: text.into() }
    }
}

/// What a file holds, by its root element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Domain,
    Profile,
    /// Another root (GENIUS tournaments, Pareto reference files): not used.
    Other,
}

#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// A real-valued issue is discretised into this many evenly spaced values (bounds included).
    pub real_steps: usize,
    /// An issue with more values than this is refused as absurd.
    pub max_values_per_issue: u64,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions { real_steps: 11, max_values_per_issue: 10_000_000 }
    }
}

/// A loaded GENIUS domain: the problem, the domain's name and what was tolerated on the way.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub domain_name: String,
    pub problem: Problem,
    pub warnings: Vec<String>,
}

/// A problem in a GENIUS file: which file, where, and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct GeniusError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for GeniusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Tells a domain from a profile by the root element.
fn kind_of(root: &Element) -> FileKind {
    match root.name.as_str() {
        "negotiation_template" => FileKind::Domain,
        "utility_space" => FileKind::Profile,
        _ => FileKind::Other,
    }
}

fn parse(file: &GeniusFile) -> Result<Element, GeniusError> {
    xml::parse(&file.text).map_err(|error| {
        let (line, column) = LineIndex::new(&file.text).locate(error.offset);
        GeniusError {
            file: file.name.clone(),
            line: Some(line),
            column: Some(column),
            message: format!("malformed XML: {}", error.message),
        }
    })
}

/// Reads a folder's files: skips `*pareto.xml` reference files and files of other roots, finds the
/// one domain, and takes the profiles in file-name order — or those named in `parties`, in that
/// order. Parties are named by file name without `.xml`.
pub fn load_folder(
    folder: &str,
    mut files: Vec<GeniusFile>,
    parties: Option<&[String]>,
    options: &LoadOptions,
) -> Result<Loaded, GeniusError> {
    let folder_error = |message: String| GeniusError { file: folder.to_owned(), line: None, column: None, message };
    files.retain(|file| !file_name(&file.name).to_ascii_lowercase().ends_with("pareto.xml"));
    files.sort_by(|a, b| a.name.cmp(&b.name));
    // Each file with its parsed root: parsed once, to classify and to read.
    let mut domains = Vec::new();
    let mut profiles = Vec::new();
    for file in files {
        let root = parse(&file)?;
        match kind_of(&root) {
            FileKind::Domain => domains.push((file, root)),
            FileKind::Profile => profiles.push((file, root)),
            FileKind::Other => {}
        }
    }
    let domain = match domains.len() {
        1 => domains.remove(0),
        0 => return Err(folder_error("no GENIUS domain file (root <negotiation_template>)".to_owned())),
        _ => {
            let names: Vec<String> = domains.iter().map(|(domain, _)| file_name(&domain.name)).collect();
            return Err(folder_error(format!("several domain files ({}); expected one", names.join(", "))));
        }
    };
    if let Some(wanted) = parties {
        let mut chosen = Vec::new();
        for (position, name) in wanted.iter().enumerate() {
            if wanted[..position].contains(name) {
                // One profile as two parties negotiates with itself; its analysis is meaningless.
                return Err(folder_error(format!("the party `{name}` is named twice in --parties (expected distinct profiles)")));
            }
            match profiles.iter().find(|(profile, _)| party_name(&profile.name) == *name || file_name(&profile.name) == *name) {
                Some(profile) => chosen.push(profile.clone()),
                None => {
                    let known: Vec<String> = profiles.iter().map(|(profile, _)| party_name(&profile.name)).collect();
                    return Err(folder_error(format!("no profile `{name}` (profiles: {})", known.join(", "))));
                }
            }
        }
        profiles = chosen;
    }
    if profiles.is_empty() {
        return Err(folder_error("no profile files (root <utility_space>)".to_owned()));
    }
    if profiles.len() < 2 {
        let name = party_name(&profiles[0].0.name);
        return Err(folder_error(format!("only one profile ({name}): a negotiation needs at least two parties")));
    }
    let roots = profiles.iter().map(|(profile, root)| (profile, Ok(Cow::Borrowed(root))));
    let mut loaded = load_roots(&domain.0, &domain.1, roots, options)?;
    for party in &mut loaded.problem.parties {
        party.name = party_name(&party.name);
    }
    if loaded.domain_name.is_empty() {
        loaded.domain_name = file_name(folder);
    }
    Ok(loaded)
}

fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_owned()
}

/// A profile's party name: its file name without `.xml`.
fn party_name(path: &str) -> String {
    let name = file_name(path);
    name.strip_suffix(".xml").or_else(|| name.strip_suffix(".XML")).map_or(name.clone(), str::to_owned)
}

/// Reads a domain and its profiles.
pub fn load(domain: &GeniusFile, profiles: &[GeniusFile], options: &LoadOptions) -> Result<Loaded, GeniusError> {
    let domain_root = parse(domain)?;
    // Each profile parsed when its turn comes: errors are reported in the order they always were.
    load_roots(domain, &domain_root, profiles.iter().map(|profile| (profile, parse(profile).map(Cow::Owned))), options)
}

/// Reads a domain and its profiles, given their parsed roots (a profile's, or why it did not parse).
fn load_roots<'f>(
    domain: &GeniusFile,
    domain_root: &Element,
    profiles: impl ExactSizeIterator<Item = (&'f GeniusFile, Result<Cow<'f, Element>, GeniusError>)>,
    options: &LoadOptions,
) -> Result<Loaded, GeniusError> {
    let mut warnings = Vec::new();
    let mut reader = Reader::new(domain);
    if domain_root.name != "negotiation_template" {
        return Err(
            reader.error(domain_root, format!("root element is <{}> (expected <negotiation_template> for a domain)", domain_root.name))
        );
    }
    let (domain_name, issues) = read_domain(&mut reader, domain_root, options, &mut warnings)?;
    let space = OutcomeSpace { issues: issues.iter().map(|issue| issue.space.clone()).collect() };
    let mut parties = Vec::new();
    let no_profiles = profiles.len() == 0;
    for (profile, root) in profiles {
        let root = root?;
        let mut reader = Reader::new(profile);
        if root.name != "utility_space" {
            return Err(reader.error(&root, format!("root element is <{}> (expected <utility_space> for a profile)", root.name)));
        }
        parties.push(read_profile(&mut reader, &root, &issues, &domain.name, &mut warnings)?);
    }
    if no_profiles {
        warnings.push("no profiles: the domain has no parties".to_owned());
    }
    Ok(Loaded { domain_name, problem: Problem { space, parties }, warnings })
}

/// Locates errors in one file.
struct Reader<'f> {
    file: &'f GeniusFile,
    lines: LineIndex<'f>,
}

impl<'f> Reader<'f> {
    fn new(file: &'f GeniusFile) -> Reader<'f> {
        Reader { file, lines: LineIndex::new(&file.text) }
    }

    fn error(&self, element: &Element, message: String) -> GeniusError {
        let (line, column) = self.lines.locate(element.offset);
        GeniusError { file: self.file.name.clone(), line: Some(line), column: Some(column), message }
    }

    fn number(&self, element: &Element, attribute: &str) -> Result<Option<f64>, GeniusError> {
        let Some(text) = element.attribute(attribute) else { return Ok(None) };
        match text.trim().parse::<f64>() {
            Ok(number) if number.is_finite() => Ok(Some(number)),
            Ok(_) => Err(self.error(element, format!("<{}> {attribute}=\"{text}\" is not a finite number", element.name))),
            Err(_) => Err(self.error(element, format!("<{}> {attribute}=\"{text}\" is not a number", element.name))),
        }
    }

    fn required_number(&self, element: &Element, attribute: &str) -> Result<f64, GeniusError> {
        self.number(element, attribute)?.ok_or_else(|| self.error(element, format!("<{}> has no `{attribute}` attribute", element.name)))
    }

    fn integer(&self, element: &Element, attribute: &str) -> Result<Option<i64>, GeniusError> {
        let Some(text) = element.attribute(attribute) else { return Ok(None) };
        let trimmed = text.trim();
        // Some files write integer bounds as "10.0".
        match trimmed.parse::<i64>() {
            Ok(number) => Ok(Some(number)),
            Err(_) => match trimmed.parse::<f64>() {
                Ok(number) if number.fract() == 0.0 && number.abs() < 9.0e15 => Ok(Some(number as i64)),
                _ => Err(self.error(element, format!("<{}> {attribute}=\"{text}\" is not an integer", element.name))),
            },
        }
    }
}

/// A domain issue: its GENIUS index, name, kind and values.
#[derive(Clone, Debug)]
struct DomainIssue {
    index: i64,
    kind: IssueType,
    space: IssueSpace,
    /// For integer issues, the lower bound (value index 0).
    lower: i64,
    /// For real issues, the bounds before discretisation.
    real_bounds: (f64, f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IssueType {
    Discrete,
    Integer,
    Real,
}

fn issue_type(element: &Element) -> Option<&str> {
    element.attribute("type").or_else(|| element.attribute("etype")).or_else(|| element.attribute("vtype"))
}

/// Every `<issue>` below the element, wherever objectives nest them.
fn issues_of(root: &Element) -> Vec<&Element> {
    let mut issues = Vec::new();
    root.descendants_named("issue", &mut issues);
    issues
}

fn read_domain(
    reader: &mut Reader<'_>,
    root: &Element,
    options: &LoadOptions,
    warnings: &mut Vec<String>,
) -> Result<(String, Vec<DomainIssue>), GeniusError> {
    let utility_space =
        root.child("utility_space").ok_or_else(|| reader.error(root, "the domain has no <utility_space> element".to_owned()))?;
    let mut objectives = Vec::new();
    utility_space.descendants_named("objective", &mut objectives);
    let objective = objectives.first().ok_or_else(|| reader.error(utility_space, "the domain has no <objective> element".to_owned()))?;
    let name = objective.attribute("name").unwrap_or("").to_owned();
    let mut issues: Vec<DomainIssue> = Vec::new();
    for element in issues_of(utility_space) {
        let index = reader.integer(element, "index")?.ok_or_else(|| reader.error(element, "<issue> has no `index`".to_owned()))?;
        let issue_name = element.attribute("name").unwrap_or("").to_owned();
        if let Some(other) = issues.iter().find(|issue| issue.index == index) {
            return Err(
                reader.error(element, format!("issue index {index} (`{issue_name}`) is used twice (also by `{}`)", other.space.name))
            );
        }
        let kind = match issue_type(element) {
            Some("discrete") => IssueType::Discrete,
            Some("integer") => IssueType::Integer,
            Some("real") => IssueType::Real,
            None if element.child("item").is_some() => IssueType::Discrete,
            other => {
                return Err(reader.error(element, format!("issue `{issue_name}` has type {other:?} (expected discrete, integer or real)")));
            }
        };
        let (values, lower, real_bounds) = match kind {
            IssueType::Discrete => {
                let mut values: Vec<Label> = Vec::new();
                for item in element.children_named("item") {
                    let value = item.attribute("value").ok_or_else(|| reader.error(item, "<item> has no `value`".to_owned()))?;
                    if values.iter().any(|known| matches!(known, Label::Text(text) if text == value)) {
                        return Err(reader.error(item, format!("issue `{issue_name}` lists the value `{value}` twice")));
                    }
                    values.push(Label::Text(value.to_owned()));
                }
                if values.is_empty() {
                    return Err(reader.error(element, format!("discrete issue `{issue_name}` has no <item> values")));
                }
                (values, 0, (0.0, 0.0))
            }
            IssueType::Integer => {
                let range = element.child("range").unwrap_or(element);
                let low = reader.integer(range, "lowerbound")?;
                let high = reader.integer(range, "upperbound")?;
                let (Some(low), Some(high)) = (low, high) else {
                    return Err(reader.error(element, format!("integer issue `{issue_name}` needs `lowerbound` and `upperbound`")));
                };
                if high < low {
                    return Err(reader.error(element, format!("integer issue `{issue_name}`: upperbound {high} is below lowerbound {low}")));
                }
                let size = (i128::from(high) - i128::from(low) + 1) as u128;
                if size > u128::from(options.max_values_per_issue) {
                    return Err(reader.error(
                        element,
                        format!(
                            "integer issue `{issue_name}` has {size} values (more than {}): too large to analyse",
                            options.max_values_per_issue
                        ),
                    ));
                }
                ((low..=high).map(Label::Integer).collect(), low, (0.0, 0.0))
            }
            IssueType::Real => {
                let range = element.child("range").unwrap_or(element);
                let low = reader.required_number(range, "lowerbound")?;
                let high = reader.required_number(range, "upperbound")?;
                if high < low {
                    return Err(reader.error(element, format!("real issue `{issue_name}`: upperbound {high} is below lowerbound {low}")));
                }
                if !(high - low).is_finite() {
                    // Its evenly spaced values would be NaN and infinite.
                    return Err(
                        reader.error(element, format!("real issue `{issue_name}`: the range {low:e} to {high:e} is too wide to divide"))
                    );
                }
                let steps = options.real_steps.max(2);
                warnings.push(format!("real issue `{issue_name}` is discretised into {steps} evenly spaced values from {low} to {high}"));
                let values = (0..steps).map(|step| Label::Real(low + (high - low) * step as f64 / (steps - 1) as f64)).collect();
                (values, 0, (low, high))
            }
        };
        issues.push(DomainIssue { index, kind, space: IssueSpace { name: issue_name, values }, lower, real_bounds });
    }
    if issues.is_empty() {
        return Err(reader.error(objective, "the domain has no issues".to_owned()));
    }
    Ok((name, issues))
}

fn read_profile(
    reader: &mut Reader<'_>,
    root: &Element,
    issues: &[DomainIssue],
    domain_file: &str,
    warnings: &mut Vec<String>,
) -> Result<Party, GeniusError> {
    let name = reader.file.name.clone();
    let discount = reader.number_of_child(root, "discount_factor")?.filter(|&factor| factor > 0.0 && factor < 1.0);
    let reservation = reader.number_of_child(root, "reservation")?.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&reservation) {
        // GENIUS reservation values are utilities on the 0..1 scale. A real ANAC profile
        // (ItexvsCypress) has one slightly below 0; it is kept as written, every comparison with it
        // still finite, and said.
        let element = root.child("reservation").unwrap_or(root);
        let located = reader.error(element, format!("reservation value {reservation} is outside [0, 1]; it is used as written"));
        warnings.push(located.to_string());
    }
    let position_of: HashMap<i64, usize> = issues.iter().enumerate().map(|(position, issue)| (issue.index, position)).collect();

    // Every issue a profile describes must be the domain's issue of that index and name.
    let described = issues_of(root);
    for element in &described {
        let index = reader.integer(element, "index")?.ok_or_else(|| reader.error(element, "<issue> has no `index`".to_owned()))?;
        let issue_name = element.attribute("name").unwrap_or("");
        match position_of.get(&index) {
            None => {
                return Err(reader.error(element, format!("issue {index} `{issue_name}` is not in the domain {domain_file}")));
            }
            // GENIUS matches issues by index; a differing name is only a label, but worth saying.
            Some(&position) if !issue_name.is_empty() && issue_name != issues[position].space.name => {
                let (line, _) = reader.lines.locate(element.offset);
                warnings.push(format!(
                    "{}:{line}: issue {index} is named `{issue_name}` here but `{}` in the domain; matched by index",
                    reader.file.name, issues[position].space.name
                ));
            }
            Some(_) => {}
        }
    }

    let mut utility_elements = Vec::new();
    root.descendants_named("utility", &mut utility_elements);
    let utility = if root.attribute("type") == Some("nonlinear") || !utility_elements.is_empty() {
        Utility::Rectangles(read_rectangles(reader, root, issues, &position_of)?)
    } else {
        Utility::Additive(read_additive(reader, root, issues, &described, &position_of, warnings)?)
    };
    if !utility.is_finite() {
        return Err(reader.error(root, "some outcome's utility overflows to infinity (weights or utilities too large)".to_owned()));
    }
    Ok(Party { name, utility, reservation, discount })
}

impl Reader<'_> {
    fn number_of_child(&self, root: &Element, child: &str) -> Result<Option<f64>, GeniusError> {
        match root.child(child) {
            Some(element) => self.number(element, "value"),
            None => Ok(None),
        }
    }
}

fn read_additive(
    reader: &Reader<'_>,
    root: &Element,
    issues: &[DomainIssue],
    described: &[&Element],
    position_of: &HashMap<i64, usize>,
    warnings: &mut Vec<String>,
) -> Result<Additive, GeniusError> {
    let file = &reader.file.name;
    // Weights, by issue index.
    let mut weights: Vec<Option<f64>> = vec![None; issues.len()];
    // Weights sit in the objective or, in some files, directly under the root.
    let mut weight_elements = Vec::new();
    root.descendants_named("weight", &mut weight_elements);
    for element in weight_elements {
        let index = reader.integer(element, "index")?.ok_or_else(|| reader.error(element, "<weight> has no `index`".to_owned()))?;
        let value = reader.required_number(element, "value")?;
        if value < 0.0 {
            return Err(reader.error(element, format!("weight of issue {index} is negative ({value})")));
        }
        // The objective itself may carry a weight (index 0 or the objective's index): not an issue.
        if let Some(&position) = position_of.get(&index) {
            weights[position] = Some(value);
        }
    }

    let mut tables = Vec::with_capacity(issues.len());
    for (position, issue) in issues.iter().enumerate() {
        let element = described.iter().find(|element| reader.integer(element, "index").ok().flatten() == Some(issue.index));
        let Some(element) = element else {
            warnings.push(format!("{file}: issue `{}` is not described; it counts 0 for this party", issue.space.name));
            tables.push(vec![0.0; issue.space.values.len()]);
            continue;
        };
        let weight = match weights[position] {
            Some(weight) => weight,
            None => return Err(reader.error(element, format!("issue {} `{}` has no <weight>", issue.index, issue.space.name))),
        };
        let evaluations = evaluations(reader, element, issue, warnings)?;
        tables.push(evaluations.into_iter().map(|evaluation| weight * evaluation).collect());
    }
    if tables.iter().all(|table| table.iter().all(|&contribution| contribution == 0.0)) {
        return Err(reader.error(
            root,
            "every outcome has utility 0: all weights or all evaluations are zero (expected a profile that prefers something)".to_owned(),
        ));
    }
    Ok(Additive { tables })
}

/// The evaluation (0..1 scale) of each of the issue's values.
fn evaluations(reader: &Reader<'_>, element: &Element, issue: &DomainIssue, warnings: &mut Vec<String>) -> Result<Vec<f64>, GeniusError> {
    let file = &reader.file.name;
    let name = &issue.space.name;
    match issue.kind {
        IssueType::Discrete => {
            let mut raw: Vec<Option<f64>> = vec![None; issue.space.values.len()];
            for item in element.children_named("item") {
                let value = item.attribute("value").ok_or_else(|| reader.error(item, "<item> has no `value`".to_owned()))?;
                let Some(position) = issue.space.values.iter().position(|label| matches!(label, Label::Text(text) if text == value)) else {
                    return Err(reader.error(item, format!("issue `{name}` has no value `{value}` in the domain")));
                };
                let evaluation = reader.required_number(item, "evaluation")?;
                if evaluation < 0.0 {
                    return Err(reader.error(item, format!("issue `{name}`, value `{value}`: negative evaluation {evaluation}")));
                }
                if raw[position].is_some() {
                    warnings.push(format!("{file}: issue `{name}` evaluates `{value}` twice; the last one counts"));
                }
                raw[position] = Some(evaluation);
            }
            for (position, evaluation) in raw.iter().enumerate() {
                if evaluation.is_none() {
                    warnings
                        .push(format!("{file}: issue `{name}`: value `{}` has no evaluation; it counts 0", issue.space.values[position]));
                }
            }
            let raw: Vec<f64> = raw.into_iter().map(|evaluation| evaluation.unwrap_or(0.0)).collect();
            let largest = raw.iter().copied().fold(0.0, f64::max);
            if largest == 0.0 {
                warnings.push(format!("{file}: issue `{name}`: every evaluation is 0, so the issue does not matter to this party"));
            }
            // GENIUS (since 2014): with M = round(max), values are round(e)/M when M > 1, else e.
            let maximum = largest.round();
            Ok(if maximum > 1.0 { raw.iter().map(|evaluation| evaluation.round() / maximum).collect() } else { raw })
        }
        IssueType::Integer => {
            let evaluator =
                element.child("evaluator").ok_or_else(|| reader.error(element, format!("integer issue `{name}` has no <evaluator>")))?;
            let offset = match reader.number(evaluator, "offset")? {
                Some(offset) => offset,
                None => reader.number(evaluator, "parameter0")?.unwrap_or(0.0),
            };
            let slope = match reader.number(evaluator, "slope")? {
                Some(slope) => slope,
                None => reader.number(evaluator, "parameter1")?.unwrap_or(0.0),
            };
            let lower = issue.lower;
            Ok(issue
                .space
                .values
                .iter()
                .map(|label| match label {
                    Label::Integer(x) => (offset + slope * (x - lower) as f64).clamp(0.0, 1.0),
                    _ => 0.0,
                })
                .collect())
        }
        IssueType::Real => {
            let evaluator =
                element.child("evaluator").ok_or_else(|| reader.error(element, format!("real issue `{name}` has no <evaluator>")))?;
            let parameter = |index: usize| reader.number(evaluator, &format!("parameter{index}"));
            let function: Box<dyn Fn(f64) -> f64> = match evaluator.attribute("ftype").unwrap_or("linear") {
                "linear" => {
                    let (offset, slope) = (parameter(0)?.unwrap_or(0.0), parameter(1)?.unwrap_or(0.0));
                    Box::new(move |x| offset + slope * x)
                }
                "constant" => {
                    let constant = parameter(0)?.unwrap_or(0.0);
                    Box::new(move |_| constant)
                }
                "triangular" => {
                    let (low, high) = issue.real_bounds;
                    let top = parameter(2)?.or(parameter(0)?).unwrap_or((low + high) / 2.0);
                    Box::new(move |x: f64| {
                        if x <= top {
                            if top > low { (x - low) / (top - low) } else { 1.0 }
                        } else if high > top {
                            (high - x) / (high - top)
                        } else {
                            1.0
                        }
                    })
                }
                other => return Err(reader.error(evaluator, format!("real issue `{name}`: unknown evaluator ftype `{other}`"))),
            };
            issue
                .space
                .values
                .iter()
                .map(|label| match label {
                    Label::Real(x) => function(*x).clamp(0.0, 1.0),
                    _ => 0.0,
                })
                .map(|evaluation| {
                    // Extreme parameters can make an evaluation 0/0 or ∞ − ∞.
                    if evaluation.is_nan() {
                        Err(reader.error(evaluator, format!("real issue `{name}`: the evaluator's parameters give no number")))
                    } else {
                        Ok(evaluation)
                    }
                })
                .collect::<Result<Vec<f64>, GeniusError>>()
        }
    }
}

fn read_rectangles(
    reader: &Reader<'_>,
    root: &Element,
    issues: &[DomainIssue],
    position_of: &HashMap<i64, usize>,
) -> Result<Rectangles, GeniusError> {
    let mut found = Vec::new();
    root.descendants_named("utility", &mut found);
    let utility = found.first().ok_or_else(|| reader.error(root, "nonlinear profile without a <utility> element".to_owned()))?;
    let max_utility = reader.number(utility, "maxutility")?.unwrap_or(1.0);
    if max_utility <= 0.0 {
        return Err(reader.error(utility, format!("maxutility {max_utility} is not positive")));
    }
    let mut rectangles = Vec::new();
    for ufun in utility.children_named("ufun") {
        if let Some(aggregation) = ufun.attribute("aggregation") {
            if aggregation != "sum" {
                return Err(reader.error(ufun, format!("aggregation `{aggregation}` is not supported (expected sum)")));
            }
        }
        let weight = reader.number(ufun, "weight")?.unwrap_or(1.0);
        for element in ufun.children_named("hyperRectangle") {
            let bonus = reader.required_number(element, "utility")? * weight;
            let bounds = |tag: &str| -> Result<Vec<(usize, u32, u32)>, GeniusError> {
                let mut ranges = Vec::new();
                for bound in element.children_named(tag) {
                    let index = reader.integer(bound, "index")?.ok_or_else(|| reader.error(bound, format!("<{tag}> has no `index`")))?;
                    let &position = position_of
                        .get(&index)
                        .ok_or_else(|| reader.error(bound, format!("<{tag}> names issue {index}, which the domain lacks")))?;
                    let issue = &issues[position];
                    if issue.kind != IssueType::Integer {
                        return Err(reader.error(bound, format!("<{tag}> on issue `{}`, which is not an integer issue", issue.space.name)));
                    }
                    let low = reader.integer(bound, "min")?.unwrap_or(issue.lower);
                    let high = reader.integer(bound, "max")?.unwrap_or(issue.lower + issue.space.values.len() as i64 - 1);
                    let last = issue.space.values.len() as i64 - 1;
                    let (low, high) = ((low - issue.lower).clamp(0, last.max(0)), (high - issue.lower).clamp(-1, last));
                    if high >= low {
                        ranges.push((position, low as u32, high as u32));
                    } else if tag == "INCLUDES" {
                        // An empty INCLUDES range can never be met.
                        ranges.push((position, 1, 0));
                    }
                }
                Ok(ranges)
            };
            let includes = bounds("INCLUDES")?;
            let excludes = bounds("EXCLUDES")?;
            rectangles.push(Rectangle { bonus, includes, excludes });
        }
    }
    if rectangles.is_empty() {
        return Err(reader.error(utility, "nonlinear profile with no <hyperRectangle>: every outcome would have utility 0".to_owned()));
    }
    Ok(Rectangles { rectangles, max_utility, weight: 1.0 })
}

/// A problem written as GENIUS files: the domain text and one profile text per party.
#[derive(Clone, Debug)]
pub struct Exported {
    pub domain: String,
    pub profiles: Vec<(String, String)>,
}

/// Why a problem cannot be written as GENIUS files.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExportError(pub String);

/// Writes an additive problem as a GENIUS domain and linear-additive profiles.
///
/// Every issue is written as a discrete issue whose items are the values' labels, and every value's
/// weighted contribution is written so that GENIUS's reading gives it back exactly: with weight 1
/// and the contribution as the evaluation when contributions are at most 1 (GENIUS then uses raw
/// evaluations), else with the largest contribution as weight.
pub fn export(problem: &Problem, domain_name: &str) -> Result<Exported, ExportError> {
    let mut domain = String::new();
    domain.push_str("<negotiation_template>\n<utility_space number_of_issues=\"");
    domain.push_str(&problem.space.issues.len().to_string());
    domain.push_str("\">\n");
    domain.push_str(&format!(
        "<objective index=\"0\" etype=\"objective\" type=\"objective\" description=\"\" name=\"{}\">\n",
        escape(domain_name)
    ));
    for (position, issue) in problem.space.issues.iter().enumerate() {
        let mut seen = std::collections::HashSet::new();
        for label in &issue.values {
            if !seen.insert(label.to_string()) {
                return Err(ExportError(format!("issue `{}` has two values written `{label}`", issue.name)));
            }
        }
        domain.push_str(&format!(
            "  <issue index=\"{}\" etype=\"discrete\" type=\"discrete\" vtype=\"discrete\" name=\"{}\">\n",
            position + 1,
            escape(&issue.name)
        ));
        for (index, label) in issue.values.iter().enumerate() {
            domain.push_str(&format!("    <item index=\"{}\" value=\"{}\"/>\n", index + 1, escape(&label.to_string())));
        }
        domain.push_str("  </issue>\n");
    }
    domain.push_str("</objective>\n</utility_space>\n</negotiation_template>\n");

    let mut profiles = Vec::new();
    for party in &problem.parties {
        let Some(additive) = party.utility.as_additive() else {
            return Err(ExportError(format!("{}: only additive profiles can be written (this one is hyper-rectangle)", party.name)));
        };
        let mut text = String::from("<utility_space>\n");
        text.push_str(&format!(
            "<objective index=\"0\" etype=\"objective\" type=\"objective\" description=\"\" name=\"{}\">\n",
            escape(domain_name)
        ));
        let mut weights = Vec::new();
        for (position, (issue, table)) in problem.space.issues.iter().zip(&additive.tables).enumerate() {
            let largest = table.iter().copied().fold(0.0, f64::max);
            if table.iter().any(|value| *value < 0.0 || !value.is_finite()) {
                return Err(ExportError(format!("{}: issue `{}` has negative or non-finite contributions", party.name, issue.name)));
            }
            // Raw evaluations are used as written when round(max) <= 1.
            let (weight, scale) = if largest <= 1.0 { (1.0, 1.0) } else { (largest, largest) };
            weights.push(weight);
            text.push_str(&format!(
                "  <issue index=\"{}\" etype=\"discrete\" type=\"discrete\" vtype=\"discrete\" name=\"{}\">\n",
                position + 1,
                escape(&issue.name)
            ));
            for (label, value) in issue.values.iter().zip(table) {
                text.push_str(&format!("    <item value=\"{}\" evaluation=\"{:?}\"/>\n", escape(&label.to_string()), value / scale));
            }
            text.push_str("  </issue>\n");
        }
        for (position, weight) in weights.iter().enumerate() {
            text.push_str(&format!("  <weight index=\"{}\" value=\"{weight:?}\"/>\n", position + 1));
        }
        text.push_str("</objective>\n");
        if let Some(discount) = party.discount {
            text.push_str(&format!("<discount_factor value=\"{discount:?}\"/>\n"));
        }
        text.push_str(&format!("<reservation value=\"{:?}\"/>\n", party.reservation));
        text.push_str("</utility_space>\n");
        profiles.push((party.name.clone(), text));
    }
    Ok(Exported { domain, profiles })
}
