//! `generate`: fills an empty database with one national fiscal year, for benchmarks and
//! demonstrations at national size (issue 14): provinces (`places`), each with its provincial
//! office and agencies, one active evaluation per province with the same framework shape
//! (`framework`), the same two rounds, and a year of reports (`reports`, drawn from `dice`).
//! `write` stores them through the API's storage functions: the reports through the batch
//! intake of `POST /submissions/batch` (`storage::batch`, as `import` uses it: the system
//! account with an admin's rights backfills `submitted_at`), one evaluation (at most `BATCH`
//! items) per transaction, then the supervisors' returns through the single-report workflow.
//! Everything is decided by `--seed`; nothing happens after now. This file: the options, the
//! run with its progress, the summary and the manifest.

mod dice;
mod framework;
mod places;
mod reports;
mod write;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use self::places::officer_username;
use self::reports::Year;
use self::write::{
    evaluation, failed, file_reports, organizations_and_accounts, span, Counts, Stored,
    DEADLINE_DAY, SUBJECT,
};
use super::progress::Progress;
use crate::auth::passwords;
use crate::config::Config;
use crate::domain::account;
use crate::domain::period::{FiscalYear, Period};
use crate::policy::Visibility;
use crate::storage::organizations::{self, OrganizationFilter};
use crate::storage::pagination::PageRequest;
use crate::storage::{self, submissions, write_transaction, ConnectionManager};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Provinces, in the order of the seed documents and then of their ISO 3166-2:TH codes
    /// (77 is every province and Bangkok).
    #[arg(long, default_value_t = 77, value_parser = clap::value_parser!(u32).range(1..=77))]
    pub provinces: u32,
    /// Reporting agencies per province, besides its provincial office.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub agencies: u32,
    /// Indicators per evaluation (monthly, every agency reports each).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub indicators: u32,
    /// Months of the year reported, from October (2–12; the rounds are the first half and all).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(2..=12))]
    pub months: u32,
    /// The fiscal year (Buddhist Era), by default the demo's.
    #[arg(long, default_value_t = 2565)]
    pub fiscal_year: i32,
    /// Decides every name, figure and fate: the same seed, the same year.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Read the accounts' password from standard input instead of KPI_PASSWORD.
    #[arg(long)]
    pub password_stdin: bool,
    /// Write what a benchmark needs (accounts, ids, a sample report, counts) as JSON here.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

/// The manifest's evaluation: the first province's.
struct Sample {
    evaluation_id: i64,
    rounds: Vec<(i64, String)>,
    report_id: Option<i64>,
    period: Option<Period>,
}

fn password(args: &GenerateArgs) -> anyhow::Result<String> {
    if args.password_stdin {
        return super::password_from_stdin();
    }
    std::env::var("KPI_PASSWORD").map_err(|_| {
        anyhow::anyhow!(
            "set KPI_PASSWORD to the password of the generated accounts (or pass --password-stdin)"
        )
    })
}

pub fn run(config: &Config, args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let fiscal_year = FiscalYear(args.fiscal_year);
    let periods = span(fiscal_year, args.months);
    if !fiscal_year.is_supported() || periods.is_empty() {
        anyhow::bail!(
            "--fiscal-year: must be a Buddhist-Era year between {} and {}",
            FiscalYear::MIN,
            FiscalYear::MAX
        );
    }
    let password = password(args)?;
    if let Err(message) = account::check_password(&password) {
        anyhow::bail!("the password (KPI_PASSWORD or standard input) {message}");
    }
    storage::run_migrations(&config.database_url)?;
    let mut conn = ConnectionManager::new(config.database_url.clone())
        .establish()
        .context("connecting to the database")?;
    let any = organizations::list(
        &mut conn,
        Visibility::All,
        &OrganizationFilter::default(),
        PageRequest {
            limit: 1,
            after: None,
        },
    )
    .map_err(|e| failed("reading the organizations", e))?;
    if !any.items.is_empty() {
        anyhow::bail!(
            "{} already holds organizations: generate fills an empty database only (start from a \
             new SQLite file or an empty PostgreSQL database)",
            config.database_url.redacted()
        );
    }

    let provinces = places::provinces(args.provinces as usize);
    let (agencies, indicator_count) = (args.agencies as usize, args.indicators as usize);
    let mut progress = Progress::quiet(SUBJECT, ("reports", "written"));
    progress.phase(format!(
        "{} provinces with their provincial offices and {agencies} agencies each, and their accounts",
        provinces.len()
    ));
    // One deliberate slow argon2 hash, its PHC string reused for every account: thousands of
    // accounts would otherwise take thousands of hashes (minutes), for one password anyway.
    let password_hash = passwords::hash_now(&password).map_err(|e| failed("hashing", e))?;
    let mut counts = Counts::default();
    let stored = write_transaction(&mut conn, |conn| {
        organizations_and_accounts(conn, &provinces, agencies, &password_hash, &mut counts)
    })
    .map_err(|e| failed("creating the organizations and accounts", e))?;
    progress.finish(&format!(
        "created {} organizations and {} accounts",
        counts.organizations, counts.accounts
    ));

    let indicators = framework::indicators(indicator_count);
    let places = (stored.len() * agencies * indicator_count * periods.len()) as u64;
    progress.count(
        places,
        &format!(
            "{} evaluations of FY {}, up to {places} reports",
            stored.len(),
            fiscal_year.0
        ),
    );
    let now = storage::now();
    let mut sample = None;
    for (done, province) in stored.iter().enumerate() {
        let year = Year {
            seed: args.seed,
            province: province.province.index,
            agencies: &province
                .agencies
                .iter()
                .map(|(_, code)| code.clone())
                .collect::<Vec<_>>(),
            indicators: &indicators,
            baselines: &reports::baselines(
                args.seed,
                province.province.index,
                agencies,
                &indicators,
            ),
            periods: &periods,
            deadline_day: DEADLINE_DAY,
            now: storage::to_utc(now),
        };
        let made = evaluation(&mut conn, province, &year, fiscal_year, &mut counts)?;
        let planned = year.plan();
        let report_sample = planned.sample;
        let before = places_done(done, agencies, indicator_count, periods.len());
        let (indicator_ids, returned) = file_reports(
            &mut conn,
            province,
            &made,
            planned,
            &mut counts,
            &mut |reports, sent| progress.advance(reports, before + sent as u64),
        )?;
        counts.returned += returned;
        if sample.is_none() {
            let report = match report_sample {
                Some((i, period)) => {
                    let found = submissions::find_by_place(
                        &mut conn,
                        indicator_ids[i],
                        province.agencies[0].0,
                        period,
                    )
                    .map_err(|e| failed("finding the sample report", e))?;
                    found.map(|id| (id, period))
                }
                None => None,
            };
            sample = Some(Sample {
                evaluation_id: made.0,
                rounds: made.1.clone(),
                report_id: report.map(|r| r.0),
                period: report.map(|r| r.1),
            });
        }
        progress.advance(
            counts.reports,
            places_done(done + 1, agencies, indicator_count, periods.len()),
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.finish(&format!(
        "wrote {} reports ({} returned) into {} evaluations",
        counts.reports,
        counts.returned,
        stored.len()
    ));
    drop(progress);

    let engine = config.database_url.engine();
    let rate = counts.reports as f64 / seconds.max(1e-9);
    println!(
        "FY {} on {engine}: {} organizations, {} accounts, {} indicators, {} assignments, {} reports \
         in {seconds:.1} s ({rate:.0} reports/s overall)",
        fiscal_year.0,
        counts.organizations,
        counts.accounts,
        counts.indicators,
        counts.assignments,
        counts.reports,
    );
    if let (Some(first), Some(sample)) = (stored.first(), sample.as_ref()) {
        println!(
            "Log in (POST /api/v1/auth/token) with the password given as admin, {} \
             (province_admin), {} (supervisor) or {} (agency_officer); the rounds of {}: {}",
            first.province.admin_username(),
            first.province.supervisor_username(),
            officer_username(&first.agencies[0].1),
            first.province.code,
            sample
                .rounds
                .iter()
                .map(|(id, name)| format!("{id} {name}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(path) = &args.manifest {
            let manifest = manifest(engine, fiscal_year, first, sample, &counts, seconds);
            let text = serde_json::to_string_pretty(&manifest).context("the manifest")?;
            std::fs::write(path, text + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
            println!("Manifest: {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn places_done(provinces: usize, agencies: usize, indicators: usize, months: usize) -> u64 {
    (provinces * agencies * indicators * months) as u64
}

fn manifest(
    engine: &str,
    fiscal_year: FiscalYear,
    first: &Stored,
    sample: &Sample,
    counts: &Counts,
    seconds: f64,
) -> serde_json::Value {
    json!({
        "engine": engine,
        "fiscal_year": fiscal_year.0,
        "password_env": "KPI_PASSWORD",
        "accounts": {
            "admin": "admin",
            "province_admin": first.province.admin_username(),
            "supervisor": first.province.supervisor_username(),
            "agency_officer": officer_username(&first.agencies[0].1),
        },
        "province": {"id": first.id, "code": first.province.code},
        "organization": {"id": first.agencies[0].0, "code": first.agencies[0].1},
        "evaluation_id": sample.evaluation_id,
        "round_ids": sample.rounds.iter().map(|r| r.0).collect::<Vec<_>>(),
        "round_names": sample.rounds.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        "sample_report_id": sample.report_id,
        "sample_period": sample.period.map(|p| p.to_string()),
        "counts": {
            "organizations": counts.organizations,
            "indicators": counts.indicators,
            "assignments": counts.assignments,
            "reports": counts.reports,
        },
        "seconds": (seconds * 10.0).round() / 10.0,
    })
}
