//! Command line: `champion serve` (default), `migrate`, `token`, `employees import`,
//! `export postcards`, `seed`, `digest preview|run`, `leaderboard verify|rebuild`.

mod bulk_seed;
mod demo_postcards;
mod digest;
pub mod seed;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::auth::jwt::parse_ttl;
use crate::auth::TokenKeys;
use crate::boards::{recount, scoreboard};
use crate::domain::email::Email;
use crate::domain::period;
use crate::services::{directory, export, widget_tokens};
use crate::settings::{Settings, Sources};
use crate::startup::{prepare_database, Application};

#[derive(Debug, Parser)]
#[command(
    name = "champion",
    version,
    about = "Customer Champion: peer recognition for customer-focused behaviour"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve {
        /// First load the demo organisation (as `seed --demo`) and print an admin token.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a signed access token for an email, and nothing else.
    Token {
        #[arg(long)]
        email: String,
        /// Lifetime such as 30m, 1h or 7d (default: auth.token_ttl_minutes).
        #[arg(long)]
        ttl: Option<String>,
    },
    /// Mint a read-only widget token and print it (only it) on stdout; it is shown once.
    WidgetToken {
        /// Where the widget runs, e.g. "Lobby screen".
        #[arg(long)]
        name: String,
    },
    /// Mint a SCIM token for a provisioning client and print it (only it); it is shown once.
    ScimToken {
        /// The client it is for, e.g. "okta".
        #[arg(long)]
        name: String,
    },
    /// Directory management.
    Employees {
        #[command(subcommand)]
        command: EmployeesCommand,
    },
    /// Leaderboard totals: check them against a recount, or rebuild them.
    Leaderboard {
        #[command(subcommand)]
        command: LeaderboardCommand,
    },
    /// The weekly manager digest: preview one, or queue a week's now.
    Digest {
        #[command(subcommand)]
        command: DigestCommand,
    },
    /// Write data out, for spreadsheets and other tools.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Fill the database: a demo organisation, or a large one for benchmarks.
    Seed {
        /// A believable demo org of about 50 people with four weeks of postcards; prints an admin token.
        #[arg(long)]
        demo: bool,
        /// A large org of N people (into an empty database), with --postcards.
        #[arg(long, conflicts_with = "demo", requires = "postcards")]
        employees: Option<usize>,
        /// How many postcards to spread over --weeks (they keep the sending rules).
        #[arg(long, requires = "employees")]
        postcards: Option<usize>,
        #[arg(long, default_value_t = 52)]
        weeks: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum EmployeesCommand {
    /// Upsert employees from a CSV file (email,name,department,manager_email,timezone,active).
    Import {
        file: PathBuf,
        /// Report what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LeaderboardCommand {
    /// Recount every total from the postcards and compare; exits non-zero on any difference.
    Verify,
    /// Replace the totals with a recount (after changing org.timezone, org.week_starts or scoring).
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Print a manager's digest (HTML on stdout, the subject on stderr).
    Preview {
        /// The manager's email.
        #[arg(long)]
        manager: String,
        /// A finished week such as 2026-W47 (default: the last one).
        #[arg(long)]
        week: Option<String>,
        /// Plain text instead of HTML.
        #[arg(long)]
        text: bool,
    },
    /// Queue the digests of a week for every manager who has them on; never twice.
    Run {
        /// A finished week such as 2026-W47 (default: the last one).
        #[arg(long)]
        week: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every postcard as CSV on stdout (the columns of GET /admin/export/postcards.csv).
    Postcards {
        /// From this date (local midnight in org.timezone) or RFC 3339 timestamp on.
        #[arg(long)]
        since: Option<String>,
    },
}

fn load_settings() -> anyhow::Result<Settings> {
    Ok(Settings::load(&Sources::from_process_env())?)
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = load_settings()?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let mut settings = settings;
            if demo {
                seed::demo(&settings)?;
                // A demo needs no mail catcher to sign in: links go to the log as well.
                settings.auth.log_sign_in_links = true;
                println!(
                    "  sign in by email at {}/ : the link is printed here too",
                    settings.server.public_url.trim_end_matches('/')
                );
            }
            serve(settings)
        }
        Command::Migrate => {
            crate::telemetry::init(&settings.log);
            prepare_database(&settings)?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Token { email, ttl } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let ttl = ttl
                .map(|t| parse_ttl(&t))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--ttl: {e}"))?;
            let keys = TokenKeys::from_settings(&settings.auth)?;
            println!("{}", keys.issue(&email, ttl)?);
            Ok(())
        }
        Command::Employees {
            command: EmployeesCommand::Import { file, dry_run },
        } => import(settings, &file, dry_run),
        Command::WidgetToken { name } => mint_token(settings, &name, widget_tokens::TokenKind::Widget),
        Command::ScimToken { name } => mint_token(settings, &name, widget_tokens::TokenKind::Scim),
        Command::Leaderboard { command } => leaderboard(settings, command),
        Command::Digest {
            command: DigestCommand::Preview { manager, week, text },
        } => digest::preview(&settings, &manager, week.as_deref(), text),
        Command::Digest {
            command: DigestCommand::Run { week },
        } => digest::run(&settings, week.as_deref()),
        Command::Export {
            command: ExportCommand::Postcards { since },
        } => export_postcards(settings, since.as_deref()),
        Command::Seed {
            demo,
            employees,
            postcards,
            weeks,
        } => match (demo, employees, postcards) {
            (true, _, _) => seed::demo(&settings),
            (false, Some(n), Some(m)) => bulk_seed::run(&settings, n, m, weeks),
            _ => anyhow::bail!("say what to seed: --demo, or --employees N --postcards M"),
        },
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    crate::telemetry::init(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let app = Application::build(settings).await?;
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn import(settings: Settings, file: &PathBuf, dry_run: bool) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let pool = prepare_database(&settings)?;
    let mut conn = pool.get()?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} employees written")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = directory::import_csv(&mut conn, "cli", &text, dry_run, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    for e in &report.errors {
        eprintln!("line {}: {}", e.line, e.message);
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// Every postcard as CSV on stdout. A failure part-way exits non-zero (the output is then
/// incomplete); a reader that closes the pipe early (`| head`) is a normal end.
fn export_postcards(settings: Settings, since: Option<&str>) -> anyhow::Result<()> {
    use std::io::Write;
    let since = since
        .map(|s| period::parse_instant(s, settings.org_timezone()))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let pool = prepare_database(&settings)?;
    let mut conn = pool.get()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut cursor = export::ExportCursor::new(since);
    let batch = settings.export.batch_rows;
    while let Some(chunk) = export::next_batch(&mut conn, &mut cursor, batch).map_err(|e| {
        anyhow::Error::new(e).context(format!("the export stopped after {} postcards", cursor.rows_written))
    })? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    eprintln!("{} postcards exported", cursor.rows_written);
    Ok(())
}

fn leaderboard(settings: Settings, command: LeaderboardCommand) -> anyhow::Result<()> {
    let pool = prepare_database(&settings)?;
    let mut conn = pool.get()?;
    crate::store::db::prepare_for_bulk_writes(&mut conn)?;
    let cfg = scoreboard::BoardConfig::from_settings(&settings);
    let failed = |e: crate::error::AppError| anyhow::anyhow!("{e}");
    match command {
        LeaderboardCommand::Verify => {
            let report = recount::verify(&mut conn, &cfg).map_err(failed)?;
            for ((period, behaviour, employee), stored, recounted) in report.totals.iter().take(20) {
                eprintln!("{period} {behaviour:?} {employee}: stored {stored:?}, recounted {recounted:?}");
            }
            for employee in report.standings.iter().take(20) {
                eprintln!("{employee}: department or standing on the boards is out of date");
            }
            for line in report.departments.iter().take(20) {
                eprintln!("department figures {line}");
            }
            if !report.is_clean() {
                anyhow::bail!(
                    "{} leaderboard totals differ from a recount, {} employees are out of date and \
                     {} department figures are wrong (run `champion leaderboard rebuild`)",
                    report.totals.len(),
                    report.standings.len(),
                    report.departments.len()
                );
            }
            println!("leaderboard totals match a recount of every postcard");
            Ok(())
        }
        LeaderboardCommand::Rebuild => {
            let n = recount::rebuild(&mut conn, &cfg, recount::Readers::Live, &|_, _| {}).map_err(failed)?;
            println!("leaderboard totals rebuilt from {n} visible postcards");
            Ok(())
        }
    }
}

/// Mints a token, prints it alone on stdout (for scripts) and says what it was on stderr.
fn mint_token(settings: Settings, name: &str, kind: widget_tokens::TokenKind) -> anyhow::Result<()> {
    let pool = prepare_database(&settings)?;
    let mut conn = pool.get()?;
    let minted = widget_tokens::mint_kind(&mut conn, "cli", name, kind).map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "{} token {} ({}) created; it is not shown again",
        kind.as_str(),
        minted.info.id,
        minted.info.name
    );
    println!("{}", minted.token);
    Ok(())
}
