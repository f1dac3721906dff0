//! The `parley` command line: reads negotiation records and prints what they say.
//!
//! Exit codes (documented in `docs/cli.md`): 0 success, 1 failure (an unexpected I/O problem),
//! 2 bad input (arguments, an unreadable or invalid scenario, an unknown round). A closed output
//! pipe (`parley status f.toml | head`) is not an error.

/// Writes to standard error like `eprintln!`/`eprint!`, but ignores a failed write: a closed or
/// full standard error must not turn a warning or a progress bar into a crash.
macro_rules! to_stderr {
    (line $($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
    (inline $($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod analysis;
mod claims;
mod commands;
mod deadlines;
mod documents;
mod files;
mod happened;
mod input;
mod keys;
mod limits;
mod logs;
mod output;
mod phases;
mod push;
mod readouts;
mod record;
mod serve;
mod simulation;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

// The server allocates and frees per request on several threads; mimalloc does both in less time
// than glibc there, and in a one-shot command its start-up costs less than it saves (ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exact records of multi-party negotiations: status at any date, diffs between rounds, and public
/// claims checked against the record.
#[derive(Debug, Parser)]
#[command(name = "parley", version, propagate_version = true, after_help = MAIN_EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const MAIN_EXAMPLES: &str = "\
Examples:
  parley status                      the bundled example: the 2025 peace-plan talks
  parley check scenarios/ukraine-2025.toml
  parley status scenarios/ukraine-2025.toml --as-of geneva
  parley diff scenarios/ukraine-2025.toml kyiv-delivery geneva
  parley claims scenarios/ukraine-2025.toml --viewer public
  parley import scenarios/ukraine-2025.toml && parley status --db parley.db && parley verify

Exit codes: 0 success, 1 failure, 2 bad input, 3 a chain that does not verify. See docs/cli.md.";

// Deferred: a command's arguments are built only when it runs (or its help is shown), not the
// whole tree's at every start (a third of a millisecond, in a command that takes a few).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
enum Command {
    /// Validate a scenario file and report every problem with its line and column.
    #[command(after_help = "\
Examples:
  parley check scenarios/ukraine-2025.toml
  parley check my-talks.toml --json

Each problem is printed as FILE:LINE:COLUMN: FIELD: MESSAGE (EXPECTED).
Exits 2 when the file has errors; warnings alone exit 0.")]
    Check(CheckArgs),
    /// Where the talks stand: each item's version, every party's stance, what blocks agreement.
    #[command(after_help = "\
Examples:
  parley status scenarios/ukraine-2025.toml
  parley status scenarios/ukraine-2025.toml --as-of geneva
  parley status scenarios/ukraine-2025.toml --as-of 2025-11-24 --viewer public --json

An item is agreed when every signatory accepts its current version; blocked when a signatory holds a
red line on it or its proposed values break a signatory's red line; disputed when a signatory opposes
it; open otherwise. Accepted by every signatory while an issue it settles has no value, it is agreed
in principle only. The framework is accepted only when every item is agreed. See docs/status.md.")]
    Status(StatusArgs),
    /// What changed between two rounds or dates: revisions, stances, item states, statements.
    #[command(
        override_usage = "parley diff [OPTIONS] [FILE] <FROM> <TO>",
        after_help = "\
Examples:
  parley diff geneva abu-dhabi
  parley diff scenarios/ukraine-2025.toml kyiv-delivery geneva
  parley diff scenarios/ukraine-2025.toml start 2025-11-30 --json

FROM and TO are round ids, dates (YYYY-MM-DD, YYYY-MM or YYYY), `start` or `now`. Events after FROM up to and
including TO are reported."
    )]
    Diff(DiffArgs),
    /// Check each public statement's claims against the record as of the day it was made.
    #[command(after_help = "\
Examples:
  parley claims scenarios/ukraine-2025.toml
  parley claims scenarios/ukraine-2025.toml --only contradicted --json
  parley claims scenarios/ukraine-2025.toml --hindsight

Verdicts: consistent, contradicted, unverifiable, each with the items, stances and red lines that
decide it. A claim about a party made by someone not speaking for it is marked third-party. Each
claim is also judged against the final record (`now`): `hindsight: VERDICT` when that differs,
`--hindsight` for its finding and evidence throughout.")]
    Claims(ClaimsArgs),
    /// Each party's demands over time on each issue, and whether the parties converge.
    #[command(after_help = "\
Examples:
  parley positions scenarios/dockworkers-2026.toml
  parley positions scenarios/ukraine-2025.toml --as-of geneva --viewer public --json
  parley positions my-talks.toml -o positions.svg

A demand holds from its round or date until the party's next demand on the issue. On ordered issues
(numbers, ordered options) the gap is how far apart the parties' demands stand after each change
(0 when they overlap); they converge when the last gap is smaller than the first. See
docs/status.md.")]
    Positions(PositionsArgs),
    /// Implementation after signature: each obligation's score (0–3) as of a date, what is overdue.
    #[command(after_help = "\
Examples:
  parley implementation my-accord.toml
  parley implementation my-accord.toml --as-of 2018-12-31 --json

Scores follow the Peace Accords Matrix: 0 not initiated, 1 minimal, 2 intermediate, 3 complete. An
obligation's score is its latest assessment at or before the point; it is overdue when its due date
has passed and it is not complete. The rate is points scored over points possible. See
docs/status.md.")]
    Implementation(RecordArgs),
    /// Bargaining analysis: red-line conflicts, zones of agreement, Pareto frontier, Nash,
    /// Kalai–Smorodinsky, egalitarian and utilitarian points, the proposal's skew.
    #[command(after_help = "\
Examples:
  parley analyze                                   the bundled 2025 talks
  parley analyze scenarios/ukraine-2025.toml --as-of geneva --viewer public
  parley analyze ../shared/data/genius/Laptop
  parley analyze path/to/EnergyDomain --json
  parley analyze path/to/domain --parties buyer,seller

PATH is a scenario file or a folder holding one GENIUS domain file (root <negotiation_template>)
and profile files (root <utility_space>); a folder's parties are its profiles in file-name order,
named by file name without .xml, unless --parties names them. Additive utilities are solved exactly
without enumerating the outcome space; see docs/analysis.md.")]
    Analyze(AnalyzeArgs),
    /// List the Pareto frontier: each point's utilities and an outcome attaining it.
    #[command(after_help = "\
Examples:
  parley frontier ../shared/data/genius/Laptop --csv
  parley frontier scenarios/dockworkers-2026.toml --json

PATH is a GENIUS folder or a scenario file (then over its open issues, with the preferences the
viewer may see).")]
    Frontier(FrontierArgs),
    /// Draw the utility space as SVG: outcomes, frontier, solutions, reservation values, proposal.
    #[command(after_help = "\
Examples:
  parley plot ../shared/data/genius/Laptop -o laptop.svg
  parley plot scenarios/ukraine-2025.toml --as-of abu-dhabi -o talks.svg

With more than two parties, one panel per pair of parties.")]
    Plot(PlotArgs),
    /// Write a bargaining problem as GENIUS XML: a domain file and one profile per party.
    #[command(
        name = "to-genius",
        after_help = "\
Examples:
  parley to-genius scenarios/dockworkers-2026.toml -o dockworkers-genius
  parley to-genius ../shared/data/genius/Laptop -o laptop-copy

Every issue is written as a discrete issue; reading the files back gives the same utilities.
For a scenario, the open issues and the preferences the viewer may see are written."
    )]
    ToGenius(ToGeniusArgs),
    /// Run one automated negotiation between agents and report its outcome and quality.
    #[command(after_help = "\
Examples:
  parley simulate ../shared/data/genius/Laptop --agents boulware,conceder
  parley simulate scenarios/dockworkers-2026.toml --agents micro,tit-for-tat --rounds 200 --trace trace.csv
  parley simulate path/to/3-party-domain --agents boulware,linear,conceder --protocol single-text --json

Agents: boulware, linear, conceder, tit-for-tat, aspiration, hardliner, random, micro (one per party,
in party order). Protocols: alternating (NegMAS's SAO; any number of parties) and single-text (a
mediator revises one text). See docs/simulation.md.")]
    Simulate(SimulateArgs),
    /// Run a tournament: agents × scenarios × repetitions, in parallel, with a ranking.
    #[command(after_help = "\
Examples:
  parley tournament --agents boulware,conceder,tit-for-tat,micro --scenarios dir1 dir2 --reps 2 -o out
  parley tournament --agents boulware,micro --scenarios dir1 --shard 0/4 -o shard0

Every assignment of agents to parties is run (with self-play unless --no-self-play) in every
rotation of the profiles (unless --no-rotate), --reps times, each with its own seed derived from
--seed: results are the same whatever the number of threads. --shard I/N runs one slice; `parley
merge` combines the slices into exactly the result of one run. Writes results.json, results.csv and
ranking.txt into the output folder.")]
    Tournament(TournamentArgs),
    /// Combine the shards of a tournament into the result of one run.
    Merge(MergeArgs),
    /// Draw a trace written by `parley simulate --trace` as SVG.
    #[command(name = "plot-trace")]
    PlotTrace(PlotTraceArgs),
    /// Record a scenario file in a database as events; re-importing appends only the differences.
    #[command(after_help = "\
Examples:
  parley import scenarios/ukraine-2025.toml                 into ./parley.db (created if absent)
  parley import my-talks.toml --db talks.db
  parley import my-talks.toml --sign UA=ua.key              UA's own changes signed with its key

Each party, issue, round, item, stance, red line, statement, preference and demand that is new or
changed becomes an event; one that disappeared from the file becomes a deletion. Events are chained
by SHA-256 and the import is one atomic append: if someone else appended meanwhile, nothing is
written and the command exits 1 with a message to retry. See docs/store.md.")]
    Import(ImportArgs),
    /// List a negotiation's events: sequence, time, actor, change, signature.
    #[command(after_help = "\
Examples:
  parley log
  parley log --db talks.db --negotiation ukraine-2025 --kind stance --json
  parley log --viewer public")]
    Log(LogArgs),
    /// Write a recorded negotiation back as a scenario file (TOML) that `parley import` reads.
    #[command(after_help = "\
Examples:
  parley export ukraine-2025 -o ukraine.toml             the whole record, from ./parley.db
  parley export --db talks.db --viewer public -o public.toml
  parley export ukraine-2025 --up-to 120                 as it stood after event #120, to stdout

The file holds every party, issue, round, item with its revisions, stance, red line, statement,
demand and preference, with every field written out; reading it back (`parley check`, `parley
import`) gives the same record, so importing it into the database it came from appends nothing.
With --viewer, what that viewer may not see is left out, as in every other command; such a file
(or one --up-to an earlier event) is partial, and importing it back would record the removal of
what it leaves out. The file is written through a temporary file and a rename: an interrupted
export never leaves half a file.")]
    Export(ExportArgs),
    /// Check every chain and signature in a database; names the first bad event.
    #[command(after_help = "\
Examples:
  parley verify
  parley verify --db talks.db --json
  parley verify --against head-212.json                  also: does the log still hold this head?

Exits 0 when every chain verifies, 3 when one does not (the first bad event is named) or does not
hold the head of --against, 2 when the database or the head statement cannot be read.")]
    Verify(VerifyArgs),
    /// Make an ed25519 key for a party: the secret goes to a file only its holder should read.
    #[command(after_help = "\
Examples:
  parley keygen UA -o ua.key
  parley import talks.toml --sign UA=ua.key

The file holds the 32-byte secret in hex, readable by its owner only. The public key is recorded
in the chain the first time the party signs (`parley import --sign`); from then on every change of
the party must be signed by its current key (`parley key rotate` replaces it).")]
    Keygen(KeygenArgs),
    /// Rotate or revoke a party's signing key, by an event signed with its current key.
    #[command(after_help = "\
Examples:
  parley key rotate UA --old ua.key --new ua-2027.key   UA's events are signed by the new key from now on
  parley key revoke UA --key ua-2027.key                nothing more can be recorded as UA's own

A rotation is signed by the old key and names the new one; a revocation is signed by the current
key and is final: no later event may be attributed to the party. See docs/store.md.")]
    Key(KeyArgs),
    /// Sign (or countersign) a statement of a negotiation's head, to check a copy against later.
    #[command(after_help = "\
Examples:
  parley head --sign UA=ua.key -o head-212.json          UA signs the current head
  parley head --countersign head-212.json --sign W=w.key -o head-212.json
  parley verify --against head-212.json                  exits 3 if the log no longer holds it

The statement names the negotiation, the head event's number and hash; every signer signs the
JSON array [\"parley-head/1\", negotiation, seq, hash]. See docs/store.md, \"Head statements\".")]
    Head(HeadArgs),
    /// Serve the record over HTTP (JSON API under /api/v1, each token seeing what its viewer may).
    #[command(after_help = "\
Examples:
  parley serve --demo                        a temporary database with the bundled scenario and a token per role
  parley serve --db parley.db --bind 127.0.0.1:7878
  parley serve --db postgres://parley:secret@db/parley --bind 0.0.0.0:7878
  parley serve --db parley.db --domains genius-domains --public-url https://parley.example.org

Tokens come from `parley token create`. Stops on SIGINT or SIGTERM after the requests in flight.
See docs/server.md and docs/api.md.")]
    Serve(ServeArgs),
    /// Create, list and revoke the server's access tokens.
    #[command(after_help = "\
Examples:
  parley token create --negotiation ukraine-2025 --as UA --write --label \"UA delegation\"
  parley token list --negotiation ukraine-2025
  parley token revoke 3f2a9c0e1b7d4a65

A token is shown once, when created; the database keeps only its SHA-256 hash. See docs/security.md.")]
    Token(TokenArgs),
    /// Send a write to a server, signed with the party's key when it has one.
    #[command(after_help = "\
Examples:
  parley push --server http://127.0.0.1:7878 --token parley_… --key ua.key stances stance.json

The token names the negotiation and the party. With --key, the server first prepares the events
the write would append; they are checked (hashes, links, kind, party, a time within 10 minutes of
this machine's clock) and signed here, and the write is sent again with the signatures: the key
never leaves this machine. A party that registered a key can write through the server only this
way. Prints the server's answer (the new head). See docs/security.md, \"Signed writes\".")]
    Push(PushArgs),
}

#[derive(Debug, Args)]
struct PushArgs {
    /// The server, `http://HOST:PORT`.
    #[arg(long, value_name = "URL")]
    server: String,
    /// The bearer token of the party (or any writer).
    #[arg(long, value_name = "TOKEN")]
    token: String,
    /// The party's secret key file (`parley keygen`); without it the write is sent unsigned.
    #[arg(long, value_name = "KEYFILE")]
    key: Option<PathBuf>,
    /// The write route: stances, statements, red-lines, demands or preferences.
    route: String,
    /// The body, a JSON file.
    body: PathBuf,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The database: a SQLite file (created if absent) or a PostgreSQL URL.
    #[arg(long, value_name = "PATH|URL", default_value = record::DEFAULT_DB, conflicts_with = "demo")]
    db: String,
    /// The address to listen on (port 0: any free port; the URL printed says which).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    bind: String,
    /// Serve a fresh temporary database holding the bundled scenario, and print a token per role.
    #[arg(long)]
    demo: bool,
    /// A directory of GENIUS domains (one folder of domain and profile XML files each) that
    /// simulations may run on; repeatable. `--demo` adds the bundled ones.
    #[arg(long, value_name = "DIR")]
    domains: Vec<PathBuf>,
    /// The address browsers use, behind a proxy (`https://parley.example.org`): workbench forms
    /// must come from it, and an https address makes the session cookie Secure.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Believe the proxy's X-Forwarded-Proto (https makes the session cookie Secure). Only behind
    /// a proxy that always sets it.
    #[arg(long)]
    trust_proxy: bool,
}

#[derive(Debug, Args)]
struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token and print it (alone, once) on standard output.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// The negotiation the token belongs to.
        #[arg(long, value_name = "ID")]
        negotiation: String,
        /// Whose view it reads: admin, mediator, public or a party id.
        #[arg(long = "as", value_name = "VIEWER")]
        viewer: String,
        /// The token may write (within its role); otherwise it only reads.
        #[arg(long)]
        write: bool,
        /// Who holds it (default: the viewer).
        #[arg(long, value_name = "TEXT")]
        label: Option<String>,
        /// Print {"token", "id"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this negotiation's.
        #[arg(long, value_name = "ID")]
        negotiation: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id (effective on the next request).
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// The token's id, as `parley token list` shows it.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

// Where a recorded negotiation lives: a database written by `parley import`. (Plain comments on
// the argument structs: a doc comment would become the about of every deferred command that
// flattens them.)
#[derive(Debug, Args)]
struct StoreArgs {
    /// The database: a SQLite file, created on first import (default `parley.db` in the working
    /// directory), or a PostgreSQL URL `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    #[arg(long, value_name = "PATH|URL", default_value = record::DEFAULT_DB)]
    db: String,
}

// Reading a negotiation from a database instead of a file.
#[derive(Debug, Args)]
struct FromDb {
    /// Read the negotiation from this database (a SQLite file or a `postgres://` URL, see `parley
    /// import`) instead of a scenario file.
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// Which negotiation in the database (needed only when it holds several).
    #[arg(long, value_name = "ID", requires = "db")]
    negotiation: Option<String>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The scenario file (TOML); `-` reads standard input.
    file: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
    /// Sign PARTY's own events with the key in KEYFILE (from `parley keygen`).
    #[arg(long, value_name = "PARTY=KEYFILE")]
    sign: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct LogArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Which negotiation (needed only when the database holds several).
    #[arg(long, value_name = "ID")]
    negotiation: Option<String>,
    /// Only events of this kind (party, issue, round, item, stance, red-line, statement, ...).
    #[arg(long)]
    kind: Option<String>,
    /// Whose view: `all` (default, the database holder), `public`, `mediator`, or a party id. The
    /// content and key of a stance, red line, preference or demand the viewer may not see are
    /// replaced by `hidden`, and so are the hashes and signatures from that event on (they would
    /// confirm a guess of the content); its place in the chain stays visible.
    #[arg(long, default_value = "all", value_name = "VIEWER")]
    viewer: String,
    /// Print the events as JSON lines.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The negotiation's id (needed only when the database holds several).
    negotiation: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
    /// Write the scenario to this file (replaced atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE.toml")]
    output: Option<PathBuf>,
    /// Whose view: `all` (default, the database holder), `public`, `mediator`, or a party id.
    /// Stances, red lines, preferences and demands the viewer may not see are left out.
    #[arg(long, default_value = "all", value_name = "VIEWER")]
    viewer: String,
    /// The negotiation as it stood after this event (see `parley log`); default: the latest.
    #[arg(long, value_name = "SEQ")]
    up_to: Option<u64>,
    /// Print a summary as JSON (with --output; without it the scenario itself is the output).
    #[arg(long, requires = "output")]
    json: bool,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Also check that the log holds the head this signed statement names (`parley head`).
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct KeyArgs {
    #[command(subcommand)]
    action: KeyAction,
    #[command(flatten)]
    store: StoreArgs,
    /// Which negotiation (needed only when the database holds several).
    #[arg(long, value_name = "ID", global = true)]
    negotiation: Option<String>,
    /// Print the appended event as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum KeyAction {
    /// Replace PARTY's key: an event naming the new key, signed by the old one.
    Rotate {
        party: String,
        /// The current secret key (from `parley keygen`).
        #[arg(long, value_name = "KEYFILE")]
        old: PathBuf,
        /// The new secret key (from `parley keygen`).
        #[arg(long, value_name = "KEYFILE")]
        new: PathBuf,
    },
    /// End PARTY's key for good: nothing more may be recorded as its own.
    Revoke {
        party: String,
        /// The current secret key.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
    },
}

#[derive(Debug, Args)]
struct HeadArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Which negotiation (needed only when the database holds several).
    #[arg(long, value_name = "ID")]
    negotiation: Option<String>,
    /// Who signs, and with which secret key: a party, or any name of a witness.
    #[arg(long, value_name = "SIGNER=KEYFILE")]
    sign: String,
    /// Add a countersignature to this head statement instead of signing the database's head.
    #[arg(long, value_name = "FILE")]
    countersign: Option<PathBuf>,
    /// Write the statement to this file (replaced atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct KeygenArgs {
    /// The party the key is for.
    party: String,
    /// Where to write the secret key (refuses to overwrite).
    #[arg(short, long, value_name = "KEYFILE")]
    output: PathBuf,
    /// Print the public key as JSON.
    #[arg(long)]
    json: bool,
}

// How each negotiation runs (shared by `simulate` and `tournament`).
#[derive(Debug, Args)]
struct SessionArgs {
    /// The protocol: `alternating` (offers in turn) or `single-text` (a mediator's text).
    #[arg(long, default_value = "alternating", value_parser = simulation::parse_protocol)]
    protocol: parley_sim::session::Protocol,
    /// The deadline, in rounds (1 to 100,000: a session keeps every offer, docs/cli.md, Limits).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=parley_service::MAX_SESSION_ROUNDS as i64))]
    rounds: u32,
    /// A wall-clock deadline in seconds besides the rounds (results then depend on speed).
    #[arg(long, value_name = "SECONDS", value_parser = simulation::parse_time_limit)]
    time_limit: Option<std::time::Duration>,
    /// Seed for agents that draw random numbers (a tournament derives one per negotiation).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    #[command(flatten)]
    problem: ProblemArgs,
    /// One agent per party, in party order (comma-separated).
    #[arg(long, value_delimiter = ',', required = true)]
    agents: Vec<String>,
    #[command(flatten)]
    session: SessionArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Write every offer to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    trace: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct TournamentArgs {
    /// The agent types taking part (comma-separated).
    #[arg(long, value_delimiter = ',', required = true)]
    agents: Vec<String>,
    /// GENIUS folders or scenario files.
    #[arg(long, num_args = 1.., required = true)]
    scenarios: Vec<PathBuf>,
    /// Repetitions of every assignment.
    #[arg(long, default_value_t = 1)]
    reps: u32,
    #[command(flatten)]
    session: SessionArgs,
    /// Do not let an agent type negotiate against itself.
    #[arg(long)]
    no_self_play: bool,
    /// Do not rotate the profiles among the agents.
    #[arg(long)]
    no_rotate: bool,
    /// Run only slice I of N (0-based), e.g. 2/8.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// The folder for results.json, results.csv and ranking.txt.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Shard result folders (or their results.json files).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct PlotTraceArgs {
    /// A trace CSV from `parley simulate --trace`.
    trace: PathBuf,
    #[arg(short, long, value_name = "FILE.svg")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct ToGeniusArgs {
    #[command(flatten)]
    problem: ProblemArgs,
    /// The folder to write into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct ProblemArgs {
    /// A GENIUS folder or a scenario file; without it, the bundled 2025 talks.
    path: Option<PathBuf>,
    /// For a scenario: as of this round or date.
    #[arg(long, value_name = "ROUND|DATE", default_value = "now")]
    as_of: String,
    /// For a scenario: whose view (`all`, `public`, `mediator` or a party id).
    #[arg(long, default_value = "all", value_name = "VIEWER")]
    viewer: String,
    /// The parties to use, in order (comma-separated): profile names for a GENIUS folder, party
    /// ids for a scenario.
    #[arg(long, value_delimiter = ',')]
    parties: Option<Vec<String>>,
    #[command(flatten)]
    from_db: FromDb,
    /// The most memory, in MiB, an exact frontier may take; larger ones are refused with an
    /// estimate (docs/cli.md, Limits).
    #[arg(long, value_name = "MIB", default_value_t = limits::DEFAULT_MAX_MEMORY_MIB)]
    max_memory: u64,
    /// The most dominance comparisons or hyper-rectangle tests an exact frontier may take.
    #[arg(long, value_name = "N", default_value_t = parley_analysis::frontier::DEFAULT_MAX_WORK)]
    max_work: u64,
}

impl ProblemArgs {
    /// The problem these flags name: a GENIUS folder, or a scenario (a file or a database) as of a
    /// point for a viewer.
    fn load(&self) -> anyhow::Result<parley_service::ProblemSource> {
        self.set_budget();
        match &self.from_db.db {
            Some(_) => {
                let negotiation = self.negotiation()?;
                analysis::scenario_problem(&negotiation, &self.as_of, &self.viewer, self.parties.clone())
            }
            None => analysis::load_problem(self.path.as_deref(), &self.as_of, &self.viewer, self.parties.clone()),
        }
    }

    /// Makes `--max-memory` and `--max-work` the budget of every frontier this run computes.
    fn set_budget(&self) {
        limits::set_frontier_budget(self.max_memory, self.max_work);
    }

    /// The scenario these flags name, from a file or a database (not a GENIUS folder).
    fn negotiation(&self) -> anyhow::Result<parley_core::model::Negotiation> {
        input::record_of(self.path.as_deref(), &self.from_db)
    }
}

#[derive(Debug, Args)]
struct FrontierArgs {
    #[command(flatten)]
    problem: ProblemArgs,
    /// Print CSV: one column per party's utility, then one per issue.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct PlotArgs {
    #[command(flatten)]
    problem: ProblemArgs,
    /// The SVG file to write.
    #[arg(short, long, value_name = "FILE.svg")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    problem: ProblemArgs,
    /// Print JSON for machines instead of tables (see docs/json-output.md).
    #[arg(long)]
    json: bool,
    /// Accepted like every record command's, for scripts that pass it to all; analysis prints no
    /// colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, hide = true)]
    color: ColorChoice,
}

#[derive(Debug, Args)]
struct Common {
    /// Print JSON for machines instead of tables (see docs/json-output.md).
    #[arg(long)]
    json: bool,
    /// Whose view: `all` (default, the file holder), `public`, `mediator`, or a party id. Stances
    /// and red lines the viewer may not see are left out before anything is computed.
    #[arg(long, default_value = "all", value_name = "VIEWER")]
    viewer: String,
    /// When to colour output: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Without a FILE, commands read the bundled example: the 2025 peace-plan talks.
const FILE_HELP: &str = "The scenario file (TOML); `-` reads standard input; without it, the bundled 2025 peace-plan talks";

#[derive(Debug, Args)]
struct CheckArgs {
    #[arg(help = FILE_HELP)]
    file: Option<PathBuf>,
    /// Print the problems as JSON.
    #[arg(long)]
    json: bool,
    /// Accepted for symmetry with the other commands; `check` prints no colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, hide = true)]
    color: ColorChoice,
}

#[derive(Debug, Args)]
struct StatusArgs {
    #[arg(help = FILE_HELP)]
    file: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    from_db: FromDb,
    /// A round id, a date (YYYY-MM-DD, YYYY-MM or YYYY: the end of it), `start` or `now` (the default).
    #[arg(long, value_name = "ROUND|DATE", default_value = "now")]
    as_of: String,
}

// A record (file or database) as of a point, for a viewer.
#[derive(Debug, Args)]
struct RecordArgs {
    #[arg(help = FILE_HELP)]
    file: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    from_db: FromDb,
    /// A round id, a date (YYYY-MM-DD), `start` or `now` (the default).
    #[arg(long, value_name = "ROUND|DATE", default_value = "now")]
    as_of: String,
}

#[derive(Debug, Args)]
struct PositionsArgs {
    #[command(flatten)]
    record: RecordArgs,
    /// Also draw the trajectories as SVG into this file.
    #[arg(short, long, value_name = "FILE.svg")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct DiffArgs {
    /// [FILE] FROM TO: the scenario (optional, as for the other commands), the earlier point (a
    /// round id, a date or `start`) and the later point (a round id, a date or `now`).
    #[arg(required = true, num_args = 2..=3, value_name = "FILE|POINT")]
    arguments: Vec<String>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    from_db: FromDb,
}

#[derive(Debug, Args)]
struct ClaimsArgs {
    #[arg(help = FILE_HELP)]
    file: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    from_db: FromDb,
    /// Show only claims with this verdict.
    #[arg(long, value_enum)]
    only: Option<VerdictFilter>,
    /// Show each claim's verdict against the final record in full (finding and evidence), not
    /// only where it differs.
    #[arg(long)]
    hindsight: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VerdictFilter {
    Consistent,
    Contradicted,
    Unverifiable,
}

/// An error that is the user's input, not parley's failure: exit code 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Runs one command: each command module parses nothing and imports no other.
fn run(command: Command, out: &mut dyn Write) -> anyhow::Result<u8> {
    match command {
        Command::Check(args) => commands::check(args, out),
        Command::Import(args) => record::import(args, out),
        Command::Log(args) => record::log(args, out),
        Command::Verify(args) => record::verify(args, out),
        Command::Export(args) => record::export(args, out),
        Command::Keygen(args) => record::keygen(args, out),
        Command::Key(args) => keys::key(args, out),
        Command::Head(args) => keys::head(args, out),
        Command::Serve(args) => serve::serve(args, out),
        Command::Token(args) => serve::token(args, out),
        Command::Push(args) => {
            let options = push::PushOptions {
                server: &args.server,
                token: &args.token,
                key: args.key.as_deref(),
                route: &args.route,
                body: &args.body,
            };
            push::push(&options, out)
        }
        Command::Status(args) => commands::status(args, out),
        Command::Diff(args) => commands::diff(args, out),
        Command::Claims(args) => commands::claims(args, out),
        Command::Positions(args) => commands::positions(args, out),
        Command::Implementation(args) => commands::implementation(args, out),
        Command::Analyze(args) => {
            let problem = args.problem;
            problem.set_budget();
            match &problem.path {
                Some(path) if path.is_dir() => {
                    let source = analysis::load_genius_folder(path, problem.parties.as_deref())?;
                    analysis::analyze_command(&source, args.json, out)?;
                }
                _ => {
                    let negotiation = problem.negotiation()?;
                    let negotiation = if args.json { negotiation } else { parley_service::escaped(negotiation) };
                    let viewer = input::viewer_of(&negotiation, &problem.viewer)?;
                    analysis::scenario_command(&negotiation, &problem.as_of, &viewer, problem.parties, args.json, out)?;
                }
            }
            Ok(0)
        }
        Command::Frontier(args) => {
            let source = args.problem.load()?;
            let format = if args.csv {
                analysis::FrontierFormat::Csv
            } else if args.json {
                analysis::FrontierFormat::Json
            } else {
                analysis::FrontierFormat::Table
            };
            analysis::frontier_command(&source, format, out)?;
            Ok(0)
        }
        Command::Plot(args) => {
            let source = args.problem.load()?;
            analysis::plot_command(&source, &args.output, out)?;
            Ok(0)
        }
        Command::Simulate(args) => {
            let source = args.problem.load()?;
            let options = simulation::SimulateOptions {
                agents: simulation::parse_agents(&args.agents)?,
                protocol: args.session.protocol,
                rounds: args.session.rounds,
                time_limit: args.session.time_limit,
                seed: args.session.seed,
                json: args.json,
                trace: args.trace,
            };
            simulation::simulate_command(&source, &options, out)?;
            Ok(0)
        }
        Command::Tournament(args) => {
            let agents = simulation::parse_agents(&args.agents)?;
            let shard = match &args.shard {
                None => None,
                Some(text) => {
                    let parsed =
                        text.split_once('/').and_then(|(index, count)| Some((index.parse::<usize>().ok()?, count.parse::<usize>().ok()?)));
                    match parsed {
                        Some((index, count)) if count > 0 && index < count => Some((index, count)),
                        _ => return Err(BadInput(format!("--shard {text}: expected I/N with 0 <= I < N")).into()),
                    }
                }
            };
            let mut sources = Vec::new();
            for path in &args.scenarios {
                sources.push(analysis::load_problem(Some(path), "now", "all", None)?);
            }
            let settings = parley_sim::tournament::Settings {
                repetitions: args.reps,
                rounds: args.session.rounds,
                time_limit: args.session.time_limit,
                protocol: args.session.protocol,
                self_play: !args.no_self_play,
                rotate: !args.no_rotate,
                seed: args.session.seed,
            };
            let config = parley_sim::tournament::TournamentConfig { agents, settings, shard };
            let options = simulation::TournamentOptions { config, output: args.output, threads: args.threads };
            simulation::tournament_command(sources, options, out)?;
            Ok(0)
        }
        Command::Merge(args) => {
            simulation::merge_command(&args.inputs, &args.output, out)?;
            Ok(0)
        }
        Command::PlotTrace(args) => {
            simulation::plot_trace_command(&args.trace, &args.output, out)?;
            Ok(0)
        }
        Command::ToGenius(args) => {
            let source = args.problem.load()?;
            analysis::to_genius_command(&source, &args.output, out)?;
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            // Help and version go to stdout: a closed pipe there is fine, any other failure to
            // write them (a full disk, `> /dev/full`) is not.
            if let Err(failure) = error.print().and_then(|()| io::stdout().flush()) {
                if failure.kind() != io::ErrorKind::BrokenPipe {
                    let _ = writeln!(io::stderr(), "error: writing the help: {failure}");
                    return ExitCode::from(1);
                }
            }
            return ExitCode::from(code);
        }
    };
    let mut stdout = io::stdout().lock();
    let result = run(cli.command, &mut stdout).and_then(|code| {
        stdout.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            let code = if is_bad_input(&error) { 2 } else { 1 };
            let message = format!("{error:#}");
            let _ = writeln!(io::stderr(), "error: {}", parley_core::display::escape_controls(&message));
            ExitCode::from(code)
        }
    }
}

/// The caller's mistakes, raised here or by the service, exit with 2.
fn is_bad_input(error: &anyhow::Error) -> bool {
    error.downcast_ref::<BadInput>().is_some()
        || error.downcast_ref::<parley_service::ServiceError>().is_some_and(parley_service::ServiceError::is_bad_input)
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own checks of the whole tree: the deferred commands are built here, where a start
    /// that runs one command never builds the others.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }

    /// A deferred command's arguments are added after its own description: a doc comment on an
    /// argument struct it flattens would replace that description in its help.
    #[test]
    fn each_command_keeps_its_own_description_once_built() {
        let texts = |command: &clap::Command| {
            let text = |styled: Option<&clap::builder::StyledStr>| styled.map(ToString::to_string);
            [text(command.get_about()), text(command.get_long_about()), text(command.get_after_help()), text(command.get_after_long_help())]
        };
        let mut cli = super::Cli::command();
        let listed: Vec<_> = cli.get_subcommands().map(|command| (command.get_name().to_owned(), texts(command))).collect();
        cli.build();
        for (name, before) in listed {
            let built = cli.find_subcommand(&name).expect("a listed command");
            assert_eq!(texts(built), before, "`parley {name} --help` describes another thing");
            assert!(built.get_about().is_some(), "`parley {name}` has no description");
        }
    }
}
