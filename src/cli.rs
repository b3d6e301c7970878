//! The command line: `serve` (default), `migrate`, `openapi`, `user create`, `import`,
//! `generate`, `backup`.

mod backup;
mod generate;
mod import;
mod progress;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::auth::passwords;
use crate::config::Config;
use crate::domain::account::{self, AccountSpec, Role};
use crate::error::{Error, FieldError};
use crate::storage::audit::Actor;
use crate::storage::users::{self, UserFields};
use crate::storage::{self, organizations, write_transaction, Database};

#[derive(Debug, Parser)]
#[command(
    name = "provincial-kpi",
    version,
    about = "Provincial KPI evaluation service (REST/JSON, OpenAPI)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default). Applies pending migrations first.
    Serve {
        /// Fill an empty database with demo data from the seed documents (Yasothon FY 2565)
        /// and allow running without a signing key.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) the code declares.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Import monthly figures from a CSV file into an evaluation.
    ///
    /// The import of POST /api/v1/submissions/batch with a CSV body, as the system account
    /// `import` with an admin's rights (submitted_at may be backfilled), in one transaction.
    /// Applies pending migrations first. Rejected rows are written to
    /// FILE.rejected.csv with their reasons in a last `error` column: fix them there and import
    /// that file.
    #[command(after_help = import::EXIT_STATUS)]
    Import(import::ImportArgs),
    /// Fill an EMPTY database with one national fiscal year, for benchmarks and demonstrations.
    ///
    /// Provinces (ISO 3166-2:TH) with their provincial offices and agencies, one active
    /// evaluation per province with the same framework shape and the same two rounds, accounts
    /// (admin; per province PROVINCE.admin and PROVINCE.supervisor; per agency AGENCY.officer,
    /// all with the password of KPI_PASSWORD), and a year of reports with late, missing, draft
    /// and returned ones, written through the batch intake. Deterministic from --seed. Applies
    /// pending migrations first; refuses a database that holds organizations.
    Generate(generate::GenerateArgs),
    /// Write a consistent copy of the SQLite database to a new FILE while the server serves.
    ///
    /// SQLite's VACUUM INTO: one snapshot of every committed transaction, synced to disk; an
    /// existing FILE is refused. On PostgreSQL use pg_dump -Fc / pg_restore (README, "Backup and
    /// restore").
    #[command(after_help = backup::EXIT_STATUS)]
    Backup(backup::BackupArgs),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password comes from KPI_PASSWORD, else from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// admin, province_admin, supervisor, agency_officer, viewer or integration.
        #[arg(long)]
        role: String,
        /// The organization's code (required for province_admin, supervisor, agency_officer).
        #[arg(long)]
        org: Option<String>,
        /// Display name (default: the username).
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Openapi { output } => {
            let json = openapi_json()?;
            match output {
                Some(path) => std::fs::write(&path, json)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{json}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { demo } => {
            let config = Config::from_env()?;
            crate::telemetry::init(config.log_format);
            actix_web::rt::System::new().block_on(crate::startup::serve(config, demo))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = Config::from_env()?;
            crate::telemetry::init(config.log_format);
            let applied = storage::run_migrations(&config.database_url)?;
            println!(
                "{applied} migration(s) applied to {}",
                config.database_url.redacted()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            action:
                UserCommand::Create {
                    username,
                    role,
                    org,
                    name,
                },
        } => {
            let config = Config::from_env()?;
            create_user(&config, &username, &role, org.as_deref(), name.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => import::run(&Config::from_env()?, &args),
        Command::Generate(args) => generate::run(&Config::from_env()?, &args),
        Command::Backup(args) => backup::run(&Config::from_env()?, &args),
    }
}

/// The committed `openapi/openapi.json` is exactly this text (a test compares them).
pub fn openapi_json() -> anyhow::Result<String> {
    let mut json = crate::http::openapi()
        .to_pretty_json()
        .context("serializing the OpenAPI document")?;
    json.push('\n');
    Ok(json)
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("KPI_PASSWORD") {
        return Ok(password);
    }
    password_from_stdin()
}

/// One line of standard input, without its line ending (`user create`, `generate`).
fn password_from_stdin() -> anyhow::Result<String> {
    eprintln!("password (from standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// The option of `user create` that gives each field the account rules name.
fn option_of(field: &str) -> &str {
    match field {
        "username" => "--username",
        "display_name" => "--name",
        "password" => "the password (KPI_PASSWORD or standard input)",
        "organization_id" => "--org",
        other => other,
    }
}

/// A refused account as one line naming the options to fix.
fn refusal(problems: &[FieldError]) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        problems
            .iter()
            .map(|problem| format!("{}: {}", option_of(&problem.field), problem.message))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

/// `user create`: the account rules of the API (domain::account), then one hash, then one
/// write transaction.
fn create_user(
    config: &Config,
    username: &str,
    role: &str,
    org: Option<&str>,
    name: Option<&str>,
) -> anyhow::Result<()> {
    let role = Role::parse(role).with_context(|| {
        format!("--role: `{role}` is not one of admin, province_admin, supervisor, agency_officer, viewer, integration")
    })?;
    let password = read_password()?;
    let display_name = name.unwrap_or(username);
    let problems = AccountSpec {
        username: Some(username),
        display_name,
        password: Some(&password),
        role,
        has_organization: org.is_some(),
    }
    .problems();
    if !problems.is_empty() {
        return Err(refusal(&problems));
    }
    let password_hash = passwords::hash_now(&password)?;
    storage::run_migrations(&config.database_url)?;
    let mut conn = storage::ConnectionManager::new(config.database_url.clone())
        .establish()
        .context("connecting to the database")?;
    let created = write_transaction(&mut conn, |conn| {
        let organization = match org {
            Some(code) => Some(organizations::find_by_code(conn, code)?.ok_or_else(|| {
                Error::invalid_field(
                    "organization_id",
                    format!("no organization has the code {code}"),
                )
            })?),
            None => None,
        };
        let fields = UserFields {
            username: username.to_owned(),
            display_name: account::display_name(display_name),
            password_hash,
            role,
            organization_id: organization.as_ref().map(|o| o.id),
            disabled: false,
        };
        users::create(
            conn,
            &Actor::system("cli"),
            &fields,
            organization.and_then(|o| o.province_id),
        )
    })
    .map_err(|e| match e {
        Error::Validation { errors } => refusal(&errors),
        Error::Conflict { errors, .. } if !errors.is_empty() => refusal(&errors),
        other => anyhow::anyhow!("{other}"),
    })?;
    println!(
        "created user {} (id {}, role {})",
        created.user.username,
        created.user.id,
        role.as_str()
    );
    Ok(())
}

/// `serve --demo`: fills an empty database, leaves a filled one alone and says so. `address`
/// is where the server listens (after binding, so port 0 shows the port it got).
pub async fn seed_demo(db: &Database, address: std::net::SocketAddr) -> anyhow::Result<()> {
    let report = db
        .write(crate::demo::seed_if_empty)
        .await
        .map_err(|e| anyhow::anyhow!("seeding demo data: {e}"))?;
    match report {
        None => {
            tracing::warn!("the database already has data: starting without reseeding the demo");
            eprintln!(
                "Listening on http://{address}/ (Swagger UI at http://{address}/swagger-ui/)"
            );
        }
        Some(seeded) => {
            let accounts = &seeded.accounts;
            eprintln!("\nDemo data loaded (Yasothon, FY 2565). Log in with POST /api/v1/auth/token, e.g.:");
            eprintln!(
                "  curl -s -X POST http://{address}/api/v1/auth/token -H 'Content-Type: application/json' -d '{{\"username\":\"{}\",\"password\":\"{}\"}}'",
                accounts[0].0,
                crate::demo::DEMO_PASSWORD
            );
            eprintln!(
                "Accounts (password `{}` for all):",
                crate::demo::DEMO_PASSWORD
            );
            for (username, role, org) in accounts {
                eprintln!(
                    "  {username:<22} {role:<15} {}",
                    org.as_deref().unwrap_or("(national)")
                );
            }
            let as_of = crate::demo::DEMO_AS_OF;
            eprintln!(
                "{} reports of the year up to {as_of}: see the year as it was then with ?as_of={as_of}, \
                 e.g. the energy office's work list (as energy.officer): \
                 GET http://{address}/api/v1/organizations/{}/due?as_of={as_of}",
                seeded.reports, seeded.energy_office_id
            );
            eprintln!("Round summaries as of then (as yasothon.governor, or any account that reads Yasothon; an indicator's drill-down is GET http://{address}/api/v1/rounds/ID/indicators/INDICATOR_ID?as_of={as_of}):");
            for (id, name) in &seeded.rounds {
                eprintln!(
                    "  {name}: GET http://{address}/api/v1/rounds/{id}/summary?as_of={as_of}"
                );
            }
            eprintln!("Swagger UI: http://{address}/swagger-ui/");
            eprintln!();
        }
    }
    Ok(())
}
