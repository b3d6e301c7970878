//! What `generate` writes, through the storage functions the API uses: organizations and
//! accounts (`organizations::create`, `users::create`), each province's evaluation (created,
//! its framework imported, activated, its rounds opened), and its reports (the batch intake of
//! `POST /submissions/batch`, as the `import` command runs it, then the supervisor's returns
//! through the workflow).

use std::collections::HashMap;

use anyhow::Context;

use super::framework::{self, Reporters};
use super::places::{officer_username, OrganizationSpec as Place, Province};
use super::reports::{Planned, Year};
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
use crate::storage::organizations;
use crate::storage::users::{self, UserFields};
use crate::storage::{
    self, framework as framework_store, indicators, rounds, submissions, write_transaction, Access,
    DbConnection,
};

/// Who the generator is in audit events and `created_by`.
pub const SUBJECT: &str = "generate";

/// Items per batch (and transaction): well under the intake's 100,000, and one evaluation of
/// the national size (50 agencies × 30 indicators × 12 months = 18,000) in one.
pub const BATCH: usize = 50_000;

/// The due day of every generated evaluation (seed 001: "before the 3rd of the next month").
pub const DEADLINE_DAY: u32 = 3;

/// A province as stored.
pub struct Stored {
    pub province: Province,
    pub id: i64,
    pub office: (i64, String),
    /// (id, code) of each agency.
    pub agencies: Vec<(i64, String)>,
}

/// What the run made, for the summary and the manifest.
#[derive(Default)]
pub struct Counts {
    pub organizations: usize,
    pub accounts: usize,
    pub indicators: usize,
    pub assignments: usize,
    pub reports: usize,
    pub returned: usize,
}

/// The system account the generator writes as, with an admin's rights.
pub fn system_caller() -> Caller {
    Caller::system(SUBJECT)
}

/// The evaluation span: `months` from the fiscal year's October.
pub fn span(fiscal_year: FiscalYear, months: u32) -> Vec<Period> {
    let start = fiscal_year.first_month();
    let end = (1..months).fold(start, |period, _| period.next());
    Frequency::Monthly.reporting_months(fiscal_year, start, end)
}

/// The two rounds every evaluation has, named alike in every province (rankings find rounds by
/// name): the first half of the span, and all of it (seed 000's 6- and 12-month rounds).
pub fn round_fields(periods: &[Period]) -> Vec<RoundFields> {
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
pub fn failed(what: &str, error: Error) -> anyhow::Error {
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

/// The country, the provinces, their offices and agencies through `organizations::create` (the
/// rules of the API), and the accounts through `users::create`, all with one password hash.
pub fn organizations_and_accounts(
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
pub type Made = (i64, Vec<(i64, String)>);

/// A province's evaluation, made as a province would through the API's storage functions: a
/// draft, its framework imported in one document, activated (the activation rules hold), and
/// its two rounds. One transaction.
pub fn evaluation(
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
pub fn file_reports(
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
