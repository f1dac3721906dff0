//! Bargaining problems and analysis of a scenario for a viewer.

use parley_analysis::frontier::{Frontier, FrontierOptions};
use parley_analysis::scenario::feasible_frontier;
use parley_analysis::scenario::{ScenarioAnalysis, ScenarioOptions, analyse};
use parley_analysis::space::Problem;
use parley_core::model::Negotiation;
use parley_core::visibility::Viewer;

use crate::ServiceError;

/// The bargaining analysis of `negotiation` (the whole record: the analysis takes the viewer's
/// view first) as of `as_of`, for `viewer`, among `parties` (all with preferences for `None`),
/// within the `frontier` budget. Its `warnings` say what was out of reach.
pub fn analysis(
    negotiation: &Negotiation,
    as_of: &str,
    viewer: &Viewer,
    parties: Option<Vec<String>>,
    frontier: FrontierOptions,
) -> Result<ScenarioAnalysis, ServiceError> {
    let point = crate::viewer::as_of_for(negotiation, viewer, as_of)?;
    check_parties(negotiation, parties.as_deref())?;
    let options = ScenarioOptions { parties, frontier, ..ScenarioOptions::default() };
    Ok(analyse(negotiation, &point, viewer, &options))
}

/// The front end a warning is worded for: each says what its user can do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontEnd {
    /// `parley analyze`, whose `--max-memory` and `--max-work` raise the frontier's budget.
    CommandLine,
    /// `parley serve`, whose budget is fixed.
    Server,
}

/// Ends each warning of a scenario analysis that the exact frontier was out of reach with what
/// `front_end`'s user can do about it: the one place that hint is worded.
pub fn hint_frontier_budget(warnings: &mut [String], front_end: FrontEnd) {
    let hint = match front_end {
        FrontEnd::CommandLine => "; raise --max-memory (MiB) or --max-work to try it",
        FrontEnd::Server => {
            "; the server's budget is fixed: run `parley analyze` with a larger --max-memory or --max-work on the record to try it"
        }
    };
    for warning in warnings.iter_mut().filter(|warning| warning.starts_with("bargaining analysis: the exact frontier is out of reach")) {
        warning.push_str(hint);
    }
}

/// A bargaining problem from a GENIUS folder or a scenario (as the viewer sees it), with the
/// current proposal's outcome when a scenario has one.
#[derive(Debug)]
pub struct ProblemSource {
    /// The scenario's id or the GENIUS domain's name.
    pub name: String,
    /// The parties, their preferences and the outcome space.
    pub problem: Problem,
    /// The current proposal's outcome, when a scenario has one.
    pub proposal: Option<Vec<u32>>,
    /// The outcomes a scenario's signatories' red lines allow (`None`: every outcome).
    pub feasible: Option<parley_analysis::scenario::Feasible>,
    /// Ids of the red lines that bound a scenario's feasible outcomes.
    pub red_lines: Vec<String>,
    /// A scenario's parties' own red lines in force (`None` for a GENIUS domain).
    pub own_red_lines: Option<parley_analysis::scenario::OwnRedLineSearch>,
    /// Reads a scenario's outcomes in its terms (`None` for a GENIUS domain).
    pub reader: Option<parley_analysis::scenario::OutcomeReader>,
}

/// What binds a simulation's agents: each party's own red lines in force with the outcomes they
/// allow, and so what each agent may offer and accept.
#[derive(Debug)]
pub struct BoundAgents {
    /// Each party's own red lines in force, with the outcomes they allow.
    pub own_red_lines: Vec<parley_analysis::scenario::OwnRedLines>,
    /// What each party's agent may offer and accept.
    pub acceptable: parley_sim::acceptable::Acceptable,
}

impl BoundAgents {
    /// Warnings for simulations: the parties whose own red lines could not be applied to their
    /// agents (the outcomes they allow take too many boxes to describe).
    pub fn unapplied_warnings(&self) -> Vec<String> {
        self.own_red_lines
            .iter()
            .filter(|own| own.out_of_reach)
            .map(|own| {
                format!(
                    "the red lines {} of {} are not applied to its agent: the outcomes they allow take more than {} boxes to describe",
                    own.red_lines.join(", "),
                    own.party,
                    ScenarioOptions::default().max_feasible_boxes
                )
            })
            .collect()
    }
}

impl ProblemSource {
    /// A GENIUS domain: every outcome open to everyone.
    pub fn genius(name: String, problem: Problem) -> ProblemSource {
        ProblemSource { name, problem, proposal: None, feasible: None, red_lines: Vec::new(), own_red_lines: None, reader: None }
    }

    /// Binds each party's agent to the outcomes its own red lines allow (nothing binds the agents
    /// of a GENIUS domain). The search runs here, when a simulation needs it.
    pub fn bind_agents(&self) -> BoundAgents {
        let own_red_lines = self.own_red_lines.as_ref().map(|search| search.run(&self.problem)).unwrap_or_default();
        let sizes = parley_sim::inverter::sizes_of(&self.problem);
        let regions = own_red_lines
            .iter()
            .map(|own| own.allowed.as_ref().map(|boxes| parley_sim::acceptable::Region::from_boxes(&sizes, boxes)))
            .collect();
        BoundAgents { own_red_lines, acceptable: parley_sim::acceptable::Acceptable::new(regions) }
    }

    /// The frontier of the outcomes the source allows: every outcome of a GENIUS domain, those a
    /// scenario's signatories' red lines allow; out of the `options` budget, bad input.
    pub fn frontier(&self, options: &FrontierOptions) -> Result<Frontier, ServiceError> {
        feasible_frontier(&self.problem, self.feasible.as_ref(), options).map_err(crate::frontier_refusal)
    }

    /// The utility space as SVG (a sample of outcomes, the frontier, the bargaining solutions, the
    /// proposal), with the frontier drawn.
    pub fn plot(&self, options: &FrontierOptions) -> Result<(String, Frontier), ServiceError> {
        let problem = &self.problem;
        let frontier = self.frontier(options)?;
        let solutions = parley_analysis::solutions::solve(&frontier, &problem.reservations());
        let sample = parley_analysis::plot::sample_utilities(problem, 4000);
        let proposal = self.proposal.as_ref().map(|outcome| problem.utilities(outcome));
        let input = parley_analysis::plot::PlotInput { title: &self.name, sample: &sample, proposal: proposal.as_deref() };
        let svg = parley_analysis::plot::svg(problem, &frontier, &solutions, &input);
        Ok((svg, frontier))
    }

    /// A warning for the commands that work on the whole outcome space (GENIUS export), when red
    /// lines rule some of it out: the signatories' and the problem's parties' own.
    pub fn unconstrained_warning(&self, what: &str) -> Option<String> {
        let mut ids: Vec<String> = self.red_lines.clone();
        if let Some(search) = &self.own_red_lines {
            for id in self.problem.parties.iter().flat_map(|party| search.ids_of(&party.name)) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        (!ids.is_empty()).then(|| format!("{what} every outcome: the red lines {} are not applied", ids.join(", ")))
    }
}

/// Every name given to `--parties` must be a party of the scenario (a typo is not a party with no
/// preferences).
pub fn check_parties(negotiation: &Negotiation, parties: Option<&[String]>) -> Result<(), ServiceError> {
    check_distinct_parties(parties)?;
    match parties.unwrap_or_default().iter().find(|party| negotiation.party(party).is_none()) {
        Some(party) => {
            let known: Vec<&str> = negotiation.parties.iter().map(|party| party.id.as_str()).collect();
            Err(ServiceError::BadInput(format!("unknown party `{party}` in --parties (parties: {})", known.join(", "))))
        }
        None => Ok(()),
    }
}

/// `--parties` must name at least two parties, each once: one party, or one party twice, is no
/// negotiation (its frontier is a line and its bargaining points meaningless).
pub fn check_distinct_parties(parties: Option<&[String]>) -> Result<(), ServiceError> {
    let Some(parties) = parties else { return Ok(()) };
    if let Some((_, party)) = parties.iter().enumerate().find(|(position, party)| parties[..*position].contains(party)) {
        return Err(ServiceError::BadInput(format!("the party `{party}` is named twice in --parties (expected distinct parties)")));
    }
    if parties.len() < 2 {
        return Err(ServiceError::BadInput(format!("--parties {}: a negotiation needs at least two parties", parties.join(","))));
    }
    Ok(())
}

/// The bargaining problem of a scenario as of a point, for a viewer, with the warnings of its
/// reading (preferences a viewer may not see, red lines out of reach).
pub fn scenario_problem(
    negotiation: &Negotiation,
    as_of: &str,
    viewer: &str,
    parties: Option<Vec<String>>,
) -> Result<(ProblemSource, Vec<String>), ServiceError> {
    let viewer = crate::viewer(negotiation, viewer)?;
    let point = crate::viewer::as_of_for(negotiation, &viewer, as_of)?;
    check_parties(negotiation, parties.as_deref())?;
    let options = ScenarioOptions { parties, ..Default::default() };
    let parley_analysis::scenario::ViewerProblem { problem, proposal, feasible, red_lines, warnings, own_red_lines, reader } =
        parley_analysis::scenario::viewer_problem(negotiation, &point, &viewer, &options);
    if problem.parties.len() < 2 {
        return Err(ServiceError::BadInput(format!(
            "{}: fewer than two parties with preferences visible to viewer `{viewer}` (a frontier needs [[preferences]] of at least two parties)",
            negotiation.id
        )));
    }
    let source = ProblemSource {
        name: negotiation.id.clone(),
        problem,
        proposal,
        feasible,
        red_lines,
        own_red_lines: Some(own_red_lines),
        reader: Some(reader),
    };
    Ok((source, warnings))
}

#[cfg(test)]
mod tests {
    use super::{FrontEnd, hint_frontier_budget};

    #[test]
    fn only_the_out_of_reach_warning_gets_the_front_ends_hint() {
        let warning = "bargaining analysis: the exact frontier is out of reach: combining issue 3 of 9 would hold 10 partial outcomes";
        for (front_end, hint) in
            [(FrontEnd::CommandLine, "raise --max-memory (MiB) or --max-work"), (FrontEnd::Server, "the server's budget is fixed")]
        {
            let mut warnings = vec![warning.to_owned(), "preferences of RU are hidden".to_owned()];
            hint_frontier_budget(&mut warnings, front_end);
            assert!(warnings[0].starts_with(warning) && warnings[0].contains(hint), "{}", warnings[0]);
            assert_eq!(warnings[1], "preferences of RU are hidden");
        }
    }
}
