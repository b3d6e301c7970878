//! `generate`: fills an empty database with one national fiscal year, for benchmarks and
//! demonstrations at national size (issue 14): provinces (`places`), each with its provincial
//! office and agencies, one active evaluation per province with the same framework shape
//! (`framework`), the same two rounds, and a year of reports (`reports`) that go in through the
//! batch intake of `POST /submissions/batch` (`storage::batch`, as `import` uses it: the
//! system account with an admin's rights backfills `submitted_at`), one evaluation (at most
//! `BATCH` items) per transaction, then the supervisors' returns through the single-report
//! workflow. Everything is decided by `--seed`; nothing happens after now.

mod dice;
mod framework;
mod places;
mod reports;

use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use self::framework::Reporters;
use self::places::{officer_username, OrganizationSpec as Place, Province};
use self::reports::{Planned, Year};
use super::progress::Progress;
use crate::auth::passwords;
use crate::config::Config;
use crate::domain::account::{self, AccountSpec};
use crate::domain::batch::Lang;
use crate::domain::framework::EvaluationStatus;
use crate::domain::organization::{OrganizationKind, OrganizationSpec};
use crate::domain::period::{FiscalYear, Frequency, Period};
use crate::domain::round::RoundFields;
use crate::domain::submission::Transition;
use crate::error::{Error, FieldError};
use crate::policy::{Caller, CallerOrganization, Role};
use crate::storage::audit::Actor;
use crate::storage::batch::{self, Batch};
use crate::storage::evaluations::{self, EvaluationFields};
use crate::storage::organizations::{self, OrganizationFilter};
use crate::storage::pagination::PageRequest;
use crate::storage::users::{self, UserFields};
use crate::storage::{
    self, framework as framework_store, indicators, rounds, submissions, write_transaction, Access,
    ConnectionManager, DbConnection,
};

/// Items per batch (and transaction): well under the intake's 100,000, and one evaluation of
/// the national size (50 agencies × 30 indicators × 12 months = 18,000) in one.
const BATCH: usize = 50_000;

/// The due day of every generated evaluation (seed 001: "before the 3rd of the next month").
const DEADLINE_DAY: u32 = 3;

/// Who the generator is in audit events and `created_by`.
const SUBJECT: &str = "generate";

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

/// A province as stored.
struct Stored {
    province: Province,
    id: i64,
    office: (i64, String),
    /// (id, code) of each agency.
    agencies: Vec<(i64, String)>,
}

/// What the run made, for the summary and the manifest.
#[derive(Default)]
struct Counts {
    organizations: usize,
    accounts: usize,
    indicators: usize,
    assignments: usize,
    reports: usize,
    returned: usize,
}

/// The manifest's evaluation: the first province's.
struct Sample {
    evaluation_id: i64,
    rounds: Vec<(i64, String)>,
    report_id: Option<i64>,
    period: Option<Period>,
}

fn system_caller() -> Caller {
    Caller {
        subject: SUBJECT.into(),
        name: SUBJECT.into(),
        role: Role::Admin,
        organization: None,
    }
}

fn password(args: &GenerateArgs) -> anyhow::Result<String> {
    if args.password_stdin {
        eprintln!("password (from standard input):");
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    std::env::var("KPI_PASSWORD").map_err(|_| {
        anyhow::anyhow!(
            "set KPI_PASSWORD to the password of the generated accounts (or pass --password-stdin)"
        )
    })
}

/// The evaluation span: `months` from the fiscal year's October.
fn span(fiscal_year: FiscalYear, months: u32) -> Vec<Period> {
    let start = fiscal_year.first_month();
    let end = (1..months).fold(start, |period, _| period.next());
    Frequency::Monthly.reporting_months(fiscal_year, start, end)
}

/// The two rounds every evaluation has, named alike in every province (rankings find rounds by
/// name): the first half of the span, and all of it (seed 000's 6- and 12-month rounds).
fn round_fields(periods: &[Period]) -> Vec<RoundFields> {
    let half = periods.len().div_ceil(2);
    [half, periods.len()]
        .into_iter()
        .map(|months| {
            let (start, end) = (periods[0], periods[months - 1]);
            RoundFields {
                name: format!(
                    "รอบ {months} เดือน ({} – {})",
                    start.thai_label(),
                    end.thai_label()
                ),
                start_period: start,
                end_period: end,
            }
        })
        .collect()
}

/// An error of the storage layer as one message with the fields it names.
fn failed(what: &str, error: Error) -> anyhow::Error {
    let errors: &[FieldError] = match &error {
        Error::BadRequest { errors, .. }
        | Error::Validation { errors }
        | Error::Conflict { errors, .. } => errors,
        _ => &[],
    };
    let mut message = format!("{what}: {error}");
    for problem in errors.iter().take(10) {
        message.push_str(&format!("\n  {}: {}", problem.field, problem.message));
    }
    anyhow::anyhow!(message)
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
        crate::policy::Visibility::All,
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

/// The country, the provinces, their offices and agencies through `organizations::create` (the
/// rules of the API), and the accounts through `users::create`, all with one password hash.
fn organizations_and_accounts(
    conn: &mut DbConnection,
    provinces: &[Province],
    agencies: usize,
    password_hash: &str,
    counts: &mut Counts,
) -> crate::error::Result<Vec<Stored>> {
    let caller = system_caller();
    let actor = Actor::system(SUBJECT);
    let mut create = |conn: &mut DbConnection,
                      (code, name_th, name_en, kind): Place,
                      parent_id: Option<i64>|
     -> crate::error::Result<organizations::OrganizationRow> {
        counts.organizations += 1;
        organizations::create(
            conn,
            &caller,
            &actor,
            OrganizationSpec {
                code,
                name_th,
                name_en: Some(name_en),
                kind,
                parent_id,
            },
        )
    };
    let country = create(
        conn,
        (
            "TH".into(),
            "ประเทศไทย".into(),
            "Thailand".into(),
            OrganizationKind::Country,
        ),
        None,
    )?;
    let mut stored = Vec::with_capacity(provinces.len());
    for province in provinces {
        let row = create(
            conn,
            (
                province.code.into(),
                province.name_th.clone(),
                province.name_en.into(),
                OrganizationKind::Province,
            ),
            Some(country.id),
        )?;
        let office = create(conn, province.office(), Some(row.id))?;
        let mut agency_rows = Vec::with_capacity(agencies);
        for agency in province.agencies(agencies) {
            let agency = create(conn, agency, Some(row.id))?;
            agency_rows.push((agency.id, agency.code));
        }
        stored.push(Stored {
            province: province.clone(),
            id: row.id,
            office: (office.id, office.code),
            agencies: agency_rows,
        });
    }
    let mut account = |conn: &mut DbConnection,
                       username: String,
                       display_name: String,
                       role: Role,
                       organization: Option<(i64, Option<i64>)>|
     -> crate::error::Result<()> {
        Error::check(
            AccountSpec {
                username: Some(&username),
                display_name: &display_name,
                password: None,
                role,
                has_organization: organization.is_some(),
            }
            .problems(),
        )?;
        users::create(
            conn,
            &actor,
            &UserFields {
                username,
                display_name: account::display_name(&display_name),
                password_hash: password_hash.to_owned(),
                role,
                organization_id: organization.map(|o| o.0),
                disabled: false,
            },
            organization.and_then(|o| o.1),
        )?;
        counts.accounts += 1;
        Ok(())
    };
    account(
        conn,
        "admin".into(),
        "ผู้ดูแลระบบ ก.พ.ร.".into(),
        Role::Admin,
        None,
    )?;
    for s in &stored {
        let province = Some(s.id);
        let office = Some((s.office.0, province));
        account(
            conn,
            s.province.admin_username(),
            format!("กลุ่มงานยุทธศาสตร์ {}", s.province.office().1),
            Role::ProvinceAdmin,
            office,
        )?;
        account(
            conn,
            s.province.supervisor_username(),
            format!("ผู้กำกับดูแลตัวชี้วัด {}", s.province.name_th),
            Role::Supervisor,
            office,
        )?;
        for ((id, code), (_, name, ..)) in s.agencies.iter().zip(s.province.agencies(agencies)) {
            account(
                conn,
                officer_username(code),
                format!("เจ้าหน้าที่ {name}"),
                Role::AgencyOfficer,
                Some((*id, province)),
            )?;
        }
    }
    Ok(stored)
}

/// A province's evaluation (id) and its rounds (id, name).
type Made = (i64, Vec<(i64, String)>);

/// A province's evaluation, made as a province would through the API's storage functions: a
/// draft, its framework imported in one document, activated (the activation rules hold), and
/// its two rounds. One transaction.
fn evaluation(
    conn: &mut DbConnection,
    province: &Stored,
    year: &Year<'_>,
    fiscal_year: FiscalYear,
    counts: &mut Counts,
) -> anyhow::Result<Made> {
    let caller = system_caller();
    let actor = Actor::system(SUBJECT);
    let periods = year.periods;
    let (start, end) = (periods[0], periods[periods.len() - 1]);
    let document = framework::document(
        year.indicators,
        &Reporters {
            office: &province.office.1,
            agencies: year.agencies,
            baselines: year.baselines,
        },
    );
    write_transaction(conn, |conn| {
        let draft = evaluations::create(
            conn,
            &caller,
            &actor,
            province.id,
            fiscal_year,
            EvaluationFields {
                title: format!(
                    "การประเมินส่วนราชการตามมาตรการปรับปรุงประสิทธิภาพในการปฏิบัติราชการของ{} \
                     ประจำปีงบประมาณ พ.ศ. {}",
                    province.province.name_th, fiscal_year.0
                ),
                deadline_day: i64::from(DEADLINE_DAY),
                reporting_start: start,
                reporting_end: end,
                status: EvaluationStatus::Draft,
            },
        )?;
        let imported = framework_store::import(conn, &caller, &actor, &draft, &document)?;
        for component in &imported.components {
            counts.indicators += component.indicators.len();
            counts.assignments += component
                .indicators
                .iter()
                .map(|i| i.assignments.len())
                .sum::<usize>();
        }
        let current = evaluations::get(conn, &caller, draft.id, Access::Manage)?;
        let active = evaluations::update(
            conn,
            &caller,
            &actor,
            &current,
            EvaluationFields {
                status: EvaluationStatus::Active,
                ..current.fields()
            },
        )?;
        let rounds = round_fields(periods)
            .into_iter()
            .map(|fields| {
                rounds::create(conn, &caller, &actor, &active, fields).map(|r| (r.id, r.name))
            })
            .collect::<crate::error::Result<Vec<_>>>()?;
        Ok((active.id, rounds))
    })
    .map_err(|e| failed(&format!("the evaluation of {}", province.province.code), e))
}

/// Files a province's planned reports through the batch intake, `BATCH` items a transaction,
/// then makes the supervisor's returns in one more. Returns the indicators' ids (in the run's
/// order) and how many reports were returned.
fn file_reports(
    conn: &mut DbConnection,
    province: &Stored,
    (evaluation_id, _): &Made,
    planned: Planned,
    counts: &mut Counts,
    progress: &mut dyn FnMut(usize, usize),
) -> anyhow::Result<(Vec<i64>, usize)> {
    let caller = system_caller();
    let actor = Actor::system(SUBJECT);
    let Planned { items, returns, .. } = planned;
    let mut items = items.into_iter().peekable();
    let code = province.province.code;
    let mut sent = 0;
    while items.peek().is_some() {
        let mut chunk: Vec<_> = items.by_ref().take(BATCH).collect();
        for (index, item) in chunk.iter_mut().enumerate() {
            item.index = index;
        }
        let size = chunk.len();
        let report = write_transaction(conn, |conn| {
            let evaluation = batch::target(conn, &caller, *evaluation_id)?;
            let request = Batch {
                atomic: true,
                dry_run: false,
                items: chunk,
            };
            batch::intake(
                conn,
                &caller,
                &actor,
                &evaluation,
                request,
                Lang::English,
                storage::now(),
            )
        })
        .map_err(|e| failed(&format!("the reports of {code}"), e))?;
        if report.rejected > 0 || report.created != size {
            return Err(failed(
                &format!(
                    "the reports of {code}: {} of {size} items rejected",
                    report.rejected
                ),
                Error::Validation {
                    errors: report.errors,
                },
            ));
        }
        counts.reports += report.created;
        sent += size;
        progress(counts.reports, sent);
    }

    let ids: HashMap<String, i64> = indicators::of_evaluation(conn, *evaluation_id)
        .map_err(|e| failed("reading the indicators", e))?
        .into_iter()
        .map(|indicator| (indicator.spec.code, indicator.id))
        .collect();
    let indicator_ids = framework::indicators(ids.len())
        .iter()
        .map(|indicator| {
            ids.get(&indicator.code)
                .copied()
                .with_context(|| format!("indicator {} is missing", indicator.code))
        })
        .collect::<anyhow::Result<Vec<i64>>>()?;
    let supervisor = Caller {
        subject: province.province.supervisor_username(),
        name: format!("ผู้กำกับดูแลตัวชี้วัด {}", province.province.name_th),
        role: Role::Supervisor,
        organization: Some(CallerOrganization {
            id: province.office.0,
            code: province.office.1.clone(),
            province_id: Some(province.id),
        }),
    };
    let reviewer = Actor::of(&supervisor, None);
    let returned = write_transaction(conn, |conn| {
        let mut returned = 0;
        for r in &returns {
            let organization_id = province.agencies[r.agency].0;
            let Some(id) = submissions::find_by_place(
                conn,
                indicator_ids[r.indicator],
                organization_id,
                r.period,
            )?
            else {
                continue;
            };
            let held = submissions::get(conn, &supervisor, id, Access::Manage)?;
            submissions::transition(
                conn,
                &reviewer,
                &held,
                Transition::Return,
                Some(r.comment),
                r.at,
            )?;
            returned += 1;
        }
        Ok(returned)
    })
    .map_err(|e| failed(&format!("the returns of {code}"), e))?;
    Ok((indicator_ids, returned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_are_the_first_half_and_the_whole_span() {
        let periods = span(FiscalYear(2565), 12);
        assert_eq!(periods.len(), 12);
        let rounds = round_fields(&periods);
        assert_eq!(rounds[0].name, "รอบ 6 เดือน (ต.ค. 2564 – มี.ค. 2565)");
        assert_eq!(rounds[1].name, "รอบ 12 เดือน (ต.ค. 2564 – ก.ย. 2565)");
        assert_eq!(rounds[0].end_period.to_string(), "2022-03");
        let short = round_fields(&span(FiscalYear(2565), 3));
        assert_eq!(short[0].name, "รอบ 2 เดือน (ต.ค. 2564 – พ.ย. 2564)");
        assert_eq!(short[1].end_period.to_string(), "2021-12");
    }
}
