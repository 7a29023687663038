//! Command line: `champion serve` (default), `migrate`, `token`, `employees import`, `seed`.

pub mod seed;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::auth::jwt::parse_ttl;
use crate::auth::TokenKeys;
use crate::domain::email::Email;
use crate::services::directory;
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
    /// Directory management.
    Employees {
        #[command(subcommand)]
        command: EmployeesCommand,
    },
    /// Fill the database with a demo organisation.
    Seed {
        /// A believable demo org of about 50 people; prints an admin token.
        #[arg(long)]
        demo: bool,
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

fn load_settings() -> anyhow::Result<Settings> {
    Ok(Settings::load(&Sources::from_process_env())?)
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = load_settings()?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            if demo {
                seed::demo(&settings)?;
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
        Command::Seed { demo } => {
            if !demo {
                anyhow::bail!("say what to seed: --demo");
            }
            seed::demo(&settings)
        }
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
