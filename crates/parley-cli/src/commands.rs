//! One function per command: load, compute with `parley-core`, print.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use parley_core::claims::{ClaimsReport, Verdict};
use parley_core::diagnostic::{Diagnostic, Severity};
use parley_core::diff::Diff;
use parley_core::model::{Negotiation, Position};
use parley_core::scenario;
use parley_core::status::{ItemState, Status};

use crate::input::{read_source, record_of};
use crate::output::{Paint, Table, Tone, clip, counted, state_tone, write_json};
use crate::{BadInput, CheckArgs, ClaimsArgs, Common, DiffArgs, PositionsArgs, RecordArgs, StatusArgs, VerdictFilter};

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn viewed(file: Option<&Path>, common: &Common, from_db: &crate::FromDb) -> Result<parley_service::View> {
    let view = parley_service::view(record_of(file, from_db)?, &common.viewer)?;
    // Plain text shows the record's free text with its control characters escaped; JSON is exact.
    Ok(if common.json { view } else { view.escaped() })
}

// ---------------------------------------------------------------------------------------------

pub fn check(args: CheckArgs, out: &mut dyn Write) -> Result<u8> {
    let (text, name) = read_source(args.file.as_deref())?;
    let (problems, summary) = match scenario::parse(&text) {
        Ok(loaded) => {
            let negotiation = &loaded.negotiation;
            let counts = [
                counted(negotiation.parties.len(), "party", "parties"),
                counted(negotiation.issues.len(), "issue", "issues"),
                counted(negotiation.items.len(), "item", "items"),
                counted(negotiation.rounds.len(), "round", "rounds"),
                counted(negotiation.stances.len(), "stance", "stances"),
                counted(negotiation.red_lines.len(), "red line", "red lines"),
                counted(negotiation.statements.len(), "statement", "statements"),
                counted(negotiation.preferences.len(), "preference profile", "preference profiles"),
                counted(negotiation.demands.len(), "demand", "demands"),
            ];
            let mut counts = counts.to_vec();
            // Sections most records lack are counted only when present, so that the summary of a
            // file without them reads as it always has.
            if !negotiation.documents.is_empty() {
                counts.push(counted(negotiation.documents.len(), "document", "documents"));
            }
            if !negotiation.blocs.is_empty() {
                counts.push(counted(negotiation.blocs.len(), "bloc", "blocs"));
            }
            if !negotiation.deadlines.is_empty() {
                counts.push(counted(negotiation.deadlines.len(), "deadline", "deadlines"));
            }
            if !negotiation.obligations.is_empty() {
                counts.push(counted(negotiation.obligations.len(), "obligation", "obligations"));
            }
            if !negotiation.phases.is_empty() {
                counts.push(counted(negotiation.phases.len(), "phase", "phases"));
            }
            let summary = format!("{name}: ok — {}", counts.join(", "));
            let mut warnings = parley_core::warnings::scenario_warnings(&text, &loaded);
            warnings.extend(loaded.warnings);
            warnings.sort_by_key(|warning| (warning.line, warning.column));
            (warnings, Some(summary))
        }
        Err(problems) => (problems, None),
    };
    let errors = problems.iter().filter(|problem| problem.severity == Severity::Error).count();
    if args.json {
        #[derive(serde::Serialize)]
        struct Report<'a> {
            file: &'a str,
            ok: bool,
            errors: Vec<&'a Diagnostic>,
            warnings: Vec<&'a Diagnostic>,
        }
        let (errors_list, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
            problems.iter().partition(|problem| problem.severity == Severity::Error);
        write_json(out, &Report { file: &name, ok: errors == 0, errors: errors_list, warnings })?;
    } else {
        for problem in &problems {
            to_stderr!(line "{}", problem.render(&name));
        }
        match summary {
            Some(summary) => writeln!(out, "{summary}")?,
            None => to_stderr!(line "{name}: {errors} error{}", plural(errors)),
        }
    }
    Ok(if errors == 0 { 0 } else { 2 })
}

// ---------------------------------------------------------------------------------------------

pub fn status(args: StatusArgs, out: &mut dyn Write) -> Result<u8> {
    let view = viewed(args.file.as_deref(), &args.common, &args.from_db)?;
    let negotiation = view.negotiation();
    let status = view.status(&args.as_of)?;
    if args.common.json {
        write_json(out, &status)?;
    } else {
        print_status(out, negotiation, &status, Paint::new(args.common.color))?;
    }
    Ok(0)
}

pub fn positions(args: PositionsArgs, out: &mut dyn Write) -> Result<u8> {
    let PositionsArgs { record: args, output } = args;
    let view = viewed(args.file.as_deref(), &args.common, &args.from_db)?;
    let negotiation = view.negotiation();
    let positions = view.positions(&args.as_of)?;
    if let Some(output) = &output {
        let svg = view.positions_svg(&positions);
        crate::files::write_output(output, svg.as_bytes())?;
    }
    if args.common.json {
        return write_json(out, &positions).map(|()| 0);
    }
    writeln!(out, "{} — positions as of {}", negotiation.id, positions.as_of.label)?;
    if positions.issues.is_empty() {
        writeln!(out, "No demands recorded.")?;
    }
    for issue in &positions.issues {
        let unit = if issue.unit.is_empty() { String::new() } else { format!(", {}", issue.unit) };
        writeln!(out)?;
        writeln!(out, "{} ({}{unit})", issue.name, issue.issue)?;
        for party in &issue.parties {
            let steps: Vec<String> = party.steps.iter().map(|step| format!("{} ({})", step.demand, step.at)).collect();
            writeln!(out, "  {}: {}", negotiation.party_name(&party.party), steps.join(" → "))?;
        }
        if let Some(last) = issue.gaps.last() {
            let trend = match issue.converging {
                Some(true) => format!(", down from {}: converging", issue.gaps[0].gap),
                Some(false) => format!(", from {}: not converging", issue.gaps[0].gap),
                None => String::new(),
            };
            let unit = negotiation.issue(&issue.issue).map(|known| known.kind.distance_unit(last.gap)).unwrap_or_default();
            if last.gap == 0.0 {
                writeln!(out, "  The demands overlap (since {}){trend}", last.at)?;
            } else {
                writeln!(out, "  Gap: {}{unit} (since {}){trend}", last.gap, last.at)?;
            }
        }
    }
    if let Some(output) = &output {
        writeln!(out)?;
        writeln!(out, "wrote {}", output.display())?;
    }
    Ok(0)
}

pub fn implementation(args: RecordArgs, out: &mut dyn Write) -> Result<u8> {
    let view = viewed(args.file.as_deref(), &args.common, &args.from_db)?;
    let negotiation = view.negotiation();
    let report = view.implementation(&args.as_of)?;
    let as_of = &report.as_of;
    if args.common.json {
        return write_json(out, &report).map(|()| 0);
    }
    let judged = report.judged_on.map(|day| format!(", deadlines judged on {day}")).unwrap_or_default();
    writeln!(out, "{} — implementation as of {}{judged}", negotiation.id, as_of.label)?;
    let summary = &report.summary;
    let Some(rate) = summary.rate else {
        writeln!(out, "No obligations recorded.")?;
        return Ok(0);
    };
    writeln!(
        out,
        "{}: {} complete, {} overdue; {:.0}% implemented",
        counted(summary.obligations, "obligation", "obligations"),
        summary.complete,
        summary.overdue,
        rate * 100.0
    )?;
    writeln!(out)?;
    let paint = Paint::new(args.common.color);
    let mut table = Table::new(&["Obligation", "Score", "Due", "Party", "Items", "Description"]);
    for obligation in &report.obligations {
        let tone = match obligation.points {
            3 => Some(Tone::Good),
            _ if obligation.overdue => Some(Tone::Bad),
            0 => Some(Tone::Dim),
            _ => None,
        };
        let due = match (obligation.due, obligation.overdue) {
            (Some(due), true) => format!("{due} OVERDUE"),
            (Some(due), false) => due.to_string(),
            (None, _) => "-".to_owned(),
        };
        let several = negotiation.has_several_documents();
        let items: Vec<String> =
            obligation.items.iter().map(|&number| parley_core::document::item_label(&obligation.document, number, several)).collect();
        table.row(vec![
            (obligation.id.clone(), None),
            (format!("{} {}", obligation.points, parley_core::model::Keyword::keyword(obligation.score)), tone),
            (due, obligation.overdue.then_some(Tone::Bad)),
            (obligation.party.clone().unwrap_or_else(|| "-".to_owned()), None),
            (if items.is_empty() { "-".to_owned() } else { items.join(", ") }, None),
            (clip(&obligation.description, 60), None),
        ]);
    }
    table.write(out, paint)?;
    Ok(0)
}

use parley_core::document::item_label as document_label;

fn position_tone(position: Position) -> Option<Tone> {
    match position {
        Position::Accepts => Some(Tone::Good),
        Position::AcceptsWithReservations => None,
        Position::Undecided => Some(Tone::Dim),
        Position::Opposes => Some(Tone::Warn),
        Position::RedLine => Some(Tone::Bad),
    }
}

fn as_of_label(point: &parley_core::timeline::Point) -> String {
    match (&point.round, point.date) {
        (Some(round), Some(date)) => format!("{round} ({date})"),
        (None, Some(date)) => {
            let period = match date.precision() {
                parley_core::date::Precision::Day => "day",
                parley_core::date::Precision::Month => "month",
                parley_core::date::Precision::Year => "year",
            };
            format!("{date} (end of {period})")
        }
        _ => point.label.clone(),
    }
}

fn print_status(out: &mut dyn Write, negotiation: &Negotiation, status: &Status, paint: Paint) -> Result<()> {
    writeln!(out, "{} — {}", status.negotiation, status.title)?;
    writeln!(out, "As of: {}", as_of_label(&status.as_of))?;
    writeln!(out, "Signatories: {}", status.signatories.join(", "))?;
    let framework = &status.framework;
    let verdict = if framework.accepted { paint.paint("ACCEPTED", Tone::Good) } else { paint.paint("NOT ACCEPTED", Tone::Bad) };
    let mut counts = if framework.items == 0 && status.documents.is_empty() {
        "no items in the framework yet".to_owned()
    } else if framework.items == 0 {
        "no item of a document in play needs agreement".to_owned()
    } else {
        format!(
            "{} of {} agreed, {} blocked, {} disputed, {} open",
            framework.agreed,
            counted(framework.items, "item", "items"),
            framework.blocked,
            framework.disputed,
            framework.open
        )
    };
    if framework.agreed_in_principle > 0 {
        counts.push_str(&format!(", {} agreed in principle", framework.agreed_in_principle));
    }
    if framework.removed > 0 {
        counts.push_str(&format!(", {} removed", framework.removed));
    }
    let overall = if status.documents.is_empty() { "Framework" } else { "Overall" };
    writeln!(out, "{overall}: {verdict} — {counts}")?;
    writeln!(out)?;
    crate::documents::print_documents(out, status, paint)?;

    let mut header = vec!["#", "Item", "Status"];
    header.extend(status.signatories.iter().map(String::as_str));
    header.push("Others");
    let mut table = Table::new(&header);
    let mut any_stale = false;
    let mut any_bloc = false;
    for item in &status.items {
        let label = document_label(&item.document, item.number, negotiation.has_several_documents());
        let mut row = vec![(label, None), (clip(&item.title, 42), None), (item.state.keyword().to_owned(), Some(state_tone(item.state)))];
        for signatory in &status.signatories {
            match item.stances.iter().find(|stance| &stance.party == signatory) {
                Some(stance) => {
                    any_stale |= stance.stale;
                    any_bloc |= stance.via.is_some();
                    let marker = if stance.stale { "*" } else { "" };
                    let bloc = stance.via.as_deref().map(|bloc| format!(" ({bloc})")).unwrap_or_default();
                    row.push((format!("{}{marker}{bloc}", stance.position), position_tone(stance.position)));
                }
                None => row.push(("—".to_owned(), Some(Tone::Dim))),
            }
        }
        let others: Vec<String> = item
            .stances
            .iter()
            .filter(|stance| !stance.signatory)
            .map(|stance| {
                any_stale |= stance.stale;
                any_bloc |= stance.via.is_some();
                let bloc = stance.via.as_deref().map(|bloc| format!(" ({bloc})")).unwrap_or_default();
                format!("{}: {}{}{bloc}", stance.party, stance.position, if stance.stale { "*" } else { "" })
            })
            .collect();
        row.push((others.join(", "), None));
        table.row(row);
    }
    table.write(out, paint)?;
    if any_stale {
        writeln!(out, "* given on an earlier version of the item")?;
    }
    if any_bloc {
        writeln!(out, "(BLOC) the stance of a bloc the party belongs to")?;
    }

    let troubled: Vec<_> = status.items.iter().filter(|item| matches!(item.state, ItemState::Blocked | ItemState::Disputed)).collect();
    if !troubled.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint("Blocked and disputed items:", Tone::Strong))?;
        for item in troubled {
            let revised = match &item.revised_in {
                Some(round) => format!(", revised in {round}"),
                None => String::new(),
            };
            let label = document_label(&item.document, item.number, negotiation.has_several_documents());
            writeln!(out, "  {label} {} (version {}{revised})", item.title, item.version)?;
            if !item.proposes.is_empty() {
                let values = crate::phases::proposed_values(negotiation, &item.proposes, &item.schedules);
                writeln!(out, "     proposes: {}", values.join(", "))?;
            }
            for reason in &item.reasons {
                writeln!(out, "     - {}", reason.describe("this item", negotiation.party_name(reason.party())))?;
            }
        }
    }
    let in_principle: Vec<_> = status.items.iter().filter(|item| item.state == ItemState::AgreedInPrinciple).collect();
    if !in_principle.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint("Agreed in principle, values missing:", Tone::Strong))?;
        for item in in_principle {
            let label = document_label(&item.document, item.number, negotiation.has_several_documents());
            writeln!(out, "  {label} {}: no value for {}", item.title, item.missing_values.join(", "))?;
        }
    }
    crate::readouts::print_readouts(out, negotiation, status, paint)?;
    if !status.red_lines.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint("Red lines in force:", Tone::Strong))?;
        let mut table = Table::new(&["Red line", "Party", "Holds", "Items", "Constraint"]);
        for check in &status.red_lines {
            let (holds, tone) = match check.holds {
                Some(true) => ("yes", Some(Tone::Good)),
                Some(false) => ("VIOLATED", Some(Tone::Bad)),
                None => ("not yet decided", Some(Tone::Dim)),
            };
            let items = check.item_labels(negotiation.has_several_documents());
            table.row(vec![
                (check.id.clone(), None),
                (check.party.clone(), None),
                (holds.to_owned(), tone),
                (items.join(", "), None),
                (clip(&check.expression, 70), None),
            ]);
        }
        table.write(out, paint)?;
    }
    crate::phases::print_status_phases(out, negotiation, status, paint)?;
    if !status.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint("Warnings:", Tone::Warn))?;
        for warning in &status.warnings {
            writeln!(out, "  - {}", warning.describe(negotiation))?;
        }
    }
    crate::deadlines::print_status_deadlines(out, status, paint)
}

// ---------------------------------------------------------------------------------------------

pub fn diff(args: DiffArgs, out: &mut dyn Write) -> Result<u8> {
    let (file, from, to) = match args.arguments.as_slice() {
        [file, from, to] => (Some(Path::new(file)), from, to),
        [from, to] => (None, from, to),
        _ => return Err(BadInput("expected [FILE] FROM TO".to_owned()).into()),
    };
    let view = viewed(file, &args.common, &args.from_db)?;
    let negotiation = view.negotiation();
    let diff = view.diff(from, to)?;
    if args.common.json {
        write_json(out, &diff)?;
    } else {
        print_diff(out, negotiation, &diff, Paint::new(args.common.color))?;
    }
    Ok(0)
}

fn print_diff(out: &mut dyn Write, negotiation: &Negotiation, diff: &Diff, paint: Paint) -> Result<()> {
    writeln!(out, "{} — changes after {} up to {}", negotiation.id, as_of_label(&diff.from), as_of_label(&diff.to))?;
    let accepted = |accepted: bool| if accepted { "accepted" } else { "not accepted" };
    let several = negotiation.has_several_documents();
    let overall = if negotiation.documents.is_empty() { "Framework" } else { "Overall" };
    writeln!(out, "{overall}: {} → {}", accepted(diff.accepted_before), accepted(diff.accepted_after))?;
    let section = |out: &mut dyn Write, title: &str, count: usize| -> std::io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{}", paint.paint(&format!("{title} ({count}):"), Tone::Strong))
    };
    if !diff.introduced.is_empty() {
        section(out, "Items introduced", diff.introduced.len())?;
        for item in &diff.introduced {
            writeln!(out, "  {} {}", document_label(&item.document, item.number, several), item.title)?;
        }
    }
    section(out, "Revisions", diff.revisions.len())?;
    for revision in &diff.revisions {
        let by = revision.by.as_deref().map(|by| format!(" by {by}")).unwrap_or_default();
        let mut changes = Vec::new();
        for change in &revision.values {
            let after = crate::phases::bracketed(negotiation, &change.after, &change.after_schedule);
            match &change.before {
                Some(before) => {
                    let before = crate::phases::bracketed(negotiation, before, &change.before_schedule);
                    changes.push(format!("{} {before} → {after}", change.issue))
                }
                None => changes.push(format!("{} = {after}", change.issue)),
            }
        }
        for withdrawal in &revision.withdrawn {
            match &withdrawal.before {
                Some(before) => changes.push(format!("{} {before} withdrawn", withdrawal.issue)),
                None => changes.push(format!("{} withdrawn", withdrawal.issue)),
            }
        }
        if revision.new_title.is_some() {
            changes.push("title".to_owned());
        }
        if revision.new_text.is_some() {
            changes.push("text".to_owned());
        }
        if revision.removed {
            changes.push("removed from the framework".to_owned());
        }
        if revision.restored {
            changes.push("restored to the framework".to_owned());
        }
        let item = document_label(&revision.document, revision.item, several);
        writeln!(out, "  item {item} → version {} in {}{by}: {}", revision.version, revision.round, changes.join("; "))?;
        if !revision.note.is_empty() {
            writeln!(out, "     {}", revision.note)?;
        }
    }
    section(out, "Stance changes", diff.stance_changes.len())?;
    for change in &diff.stance_changes {
        let before = change.before.map_or("—".to_owned(), |position| position.to_string());
        let how = if change.restated { " (restated on the new version)" } else { "" };
        let item = document_label(&change.document, change.item, several);
        writeln!(out, "  item {item} {}: {before} → {} ({}){how}", change.party, change.after, change.at)?;
    }
    section(out, "Status changes", diff.status_changes.len())?;
    for change in &diff.status_changes {
        let before = change.before.map_or("—", ItemState::keyword);
        writeln!(
            out,
            "  item {} {}: {before} → {}",
            document_label(&change.document, change.item, several),
            clip(&change.title, 50),
            paint.paint(change.after.keyword(), state_tone(change.after))
        )?;
    }
    crate::documents::print_document_changes(out, diff, several, paint)?;
    if !diff.red_lines_drawn.is_empty() || !diff.red_lines_dropped.is_empty() {
        section(out, "Red lines", diff.red_lines_drawn.len() + diff.red_lines_dropped.len())?;
        for id in &diff.red_lines_drawn {
            writeln!(out, "  drawn: {id}")?;
        }
        for id in &diff.red_lines_dropped {
            writeln!(out, "  dropped: {id}")?;
        }
    }
    section(out, "Statements", diff.statements.len())?;
    for id in &diff.statements {
        if let Some(statement) = negotiation.statements.iter().find(|statement| &statement.id == id) {
            writeln!(
                out,
                "  {} {} ({}): \"{}\"",
                statement.date,
                statement.speaker,
                statement.party.as_deref().unwrap_or("—"),
                clip(&statement.quote, 70)
            )?;
        }
    }
    crate::deadlines::print_diff_deadlines(out, diff, paint)?;
    crate::happened::print_timeline(out, diff, several, paint)
}

// ---------------------------------------------------------------------------------------------

pub fn claims(args: ClaimsArgs, out: &mut dyn Write) -> Result<u8> {
    let view = viewed(args.file.as_deref(), &args.common, &args.from_db)?;
    let negotiation = view.negotiation();
    let only = args.only.map(|only| match only {
        VerdictFilter::Consistent => Verdict::Consistent,
        VerdictFilter::Contradicted => Verdict::Contradicted,
        VerdictFilter::Unverifiable => Verdict::Unverifiable,
    });
    let report = view.claims(only);
    if args.common.json {
        write_json(out, &report)?;
    } else {
        print_claims(out, negotiation, &report, Paint::new(args.common.color), args.hindsight)?;
    }
    Ok(0)
}

fn print_claims(out: &mut dyn Write, negotiation: &Negotiation, report: &ClaimsReport, paint: Paint, hindsight: bool) -> Result<()> {
    writeln!(
        out,
        "{} — claims checked against the record: {} contradicted, {} consistent, {} unverifiable",
        report.negotiation, report.contradicted, report.consistent, report.unverifiable
    )?;
    for statement in &report.statements {
        writeln!(out)?;
        let speaking_for = match (&statement.body, &statement.member) {
            (Some(body), _) => format!(" {body}"),
            (None, Some(member)) => format!(" {member}"),
            (None, None) => String::new(),
        };
        let party = statement.party.as_deref().map(|party| format!(", {party}{speaking_for}")).unwrap_or_default();
        let anonymous = match statement.attribution {
            parley_core::model::Attribution::Anonymous => ", anonymous",
            parley_core::model::Attribution::Named => "",
        };
        let outlet = if statement.outlet.is_empty() { String::new() } else { format!(" via {}", statement.outlet) };
        let round = statement.round.as_deref().map(|round| format!(" [{round}]")).unwrap_or_default();
        writeln!(out, "{}{round} {} ({}{party}{anonymous}){outlet}", statement.date, statement.speaker, statement.id)?;
        let rendering = match statement.quote_kind {
            parley_core::model::QuoteKind::Verbatim => "",
            parley_core::model::QuoteKind::Paraphrase => " (paraphrase)",
            parley_core::model::QuoteKind::Translation => " (translation)",
        };
        writeln!(out, "  \"{}\"{rendering}", statement.quote)?;
        if !statement.source.is_empty() {
            writeln!(out, "  source: {}", negotiation.source_label(&statement.source))?;
        }
        for claim in &statement.claims {
            let (word, tone) = crate::claims::verdict_word(claim.verdict);
            let third = if claim.third_party { " [third-party claim]" } else { "" };
            writeln!(out, "  {} {}{third}", paint.paint(&format!("{word:<12}"), tone), claim.claim)?;
            writeln!(out, "               {}", claim.finding)?;
            for evidence in &claim.evidence {
                writeln!(out, "               - {}", evidence.fact)?;
            }
            crate::claims::print_hindsight(out, claim, paint, hindsight)?;
        }
    }
    Ok(())
}
