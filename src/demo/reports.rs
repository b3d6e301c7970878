//! A year of reports for the demo evaluation, as its people would have filed them up to
//! `DEMO_AS_OF`: most on time, some late, some missing, a few returned and resubmitted, one
//! approved and reopened by the province admin; public health always on time, social security
//! chronically late; figures that make the rounds' summaries tell a story (docs/DOMAIN.md,
//! "The demo year"). Every report goes through the storage functions the API uses (placement,
//! workflow and scope rules all hold), at instants of 2022 rather than now; the figures come
//! from a fixed pseudo-random sequence per (indicator, organization, period), so every seeding
//! is the same.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::{framework_document, ACCOUNTS, ENERGY_BASELINES};
use crate::domain::framework::AssignmentRole;
use crate::domain::period::Period;
use crate::domain::submission::{InitialStatus, ReportContent, Transition};
use crate::error::{Error, Result};
use crate::policy::{Caller, CallerOrganization, Role};
use crate::storage::audit::Actor;
use crate::storage::organizations;
use crate::storage::submissions::{self, NewReport};
use crate::storage::{evaluations, indicators, Access, DbConnection};

/// The demo's "now": reports exist up to this instant (10:00 on 10 Aug 2022 in Bangkok). July
/// 2022 fell due on 3 Aug, so a few of its reports are late or missing; August is not due yet.
/// Use it as `?as_of=` to see the year as the province saw it then.
pub const DEMO_AS_OF: &str = "2022-08-10T03:00:00Z";

/// `DEMO_AS_OF` as an instant.
pub fn demo_as_of() -> DateTime<Utc> {
    bangkok(2022, 8, 10, 10, 0).and_utc()
}

/// The demo evaluation's deadline day (`seed_framework`).
const DEADLINE_DAY: u32 = 3;

/// A Bangkok wall-clock time as the UTC instant the database stores (UTC+7, no daylight
/// saving). The arguments are fixed and valid; an impossible date falls back to the epoch.
fn bangkok(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .map(|t| t - Duration::hours(7))
        .unwrap_or_default()
}

/// A fixed pseudo-random sequence (SplitMix64) seeded by the place of a report, so each
/// report's fate does not depend on the order the others are made in.
struct Dice(u64);

impl Dice {
    fn for_place(indicator: &str, organization: &str, period: Period) -> Self {
        // FNV-1a over the place's name.
        let key = format!("{indicator}|{organization}|{period}");
        let seed = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        Dice(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform in low..=high.
    fn pick(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    /// A time in office hours (08:30–16:29 Bangkok) on a day `days` after the `base` day
    /// (00:00 Bangkok).
    fn office_time(&mut self, base: NaiveDateTime, days: (i64, i64)) -> NaiveDateTime {
        let day = self.pick(days.0, days.1);
        base + Duration::days(day) + Duration::minutes(8 * 60 + 30 + self.pick(0, 8 * 60 - 1))
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}

/// What a report holds: a figure that improves through the year, drawn so that the rounds'
/// summaries tell the story of docs/DOMAIN.md ("The demo year"): rice large plots (1.1) start
/// below the first level (under 60 % in December) and climb to about 77 % by June; e-Service
/// (2.1) averages above its 80 % target from December; the COVID-19 fatality rate (1.2) falls
/// from about 0.95 % to 0.4 %; electricity use falls from about 10 % below each agency's
/// baseline to 22 % over the year (short of the 20 % target until late), fuel from about 20 %
/// to 26 %.
fn content(indicator: &str, organization: &str, period: Period, dice: &mut Dice) -> ReportContent {
    // 0 in Sep 2564, 1 in Sep 2565.
    let months = (period.year() - 2021) * 12 + period.month() as i32 - 9;
    let year_done = f64::from(months) / 12.0;
    let energy = ENERGY_BASELINES.iter().find(|a| a.0 == organization);
    let (value, narrative) = match (indicator, energy) {
        ("E.1" | "E.2", Some(&(_, kwh, litres))) => {
            let (baseline, unit, what) = if indicator == "E.1" {
                (kwh, "kWh", "ใช้ไฟฟ้า")
            } else {
                (litres, "ลิตร", "ใช้น้ำมันเชื้อเพลิง")
            };
            // Electricity falls slowly, short of the 20 % target all year; fuel fell by a fifth
            // from the start (meetings went online, trips were pooled).
            let reduction = if indicator == "E.1" {
                0.10 + 0.12 * year_done
            } else {
                0.20 + 0.06 * year_done
            } + dice.between(-0.025, 0.03);
            let value = (baseline * (1.0 - reduction)).round();
            let saved = (baseline - value) / baseline * 100.0;
            let narrative =
                format!("{what} {value} {unit} ลดลงร้อยละ {saved:.1} จากค่าฐาน {baseline} {unit}");
            (value, narrative)
        }
        ("1.1", _) => (
            round_to(
                (48.0 + 38.0 * year_done + dice.between(-2.0, 2.0)).min(100.0),
                1,
            ),
            "ร้อยละของแปลงใหญ่ข้าวที่ดำเนินการตามแนวทาง (สะสม)".to_owned(),
        ),
        ("1.2", _) => (
            round_to(
                (0.95 - 0.55 * year_done + dice.between(-0.15, 0.15)).max(0.05),
                2,
            ),
            "อัตราป่วยตายสะสมจากรายงานของกรมควบคุมโรค".to_owned(),
        ),
        ("1.3", _) => (
            round_to(1.0 + 5.5 * year_done + dice.between(-0.4, 0.4), 2),
            "ผู้ประกันตนมาตรา 40 เพิ่มขึ้นจากต้นปีงบประมาณ (สะสม)".to_owned(),
        ),
        ("1.4", _) => (
            round_to(73.0 + 12.0 * year_done + dice.between(-2.0, 2.0), 1),
            "ปริมาณขยะที่จัดการถูกต้องเทียบกับปริมาณขยะทั้งหมด".to_owned(),
        ),
        ("2.1", _) => (
            round_to(
                (78.0 + 16.0 * year_done + dice.between(-3.0, 3.0)).min(100.0),
                1,
            ),
            "งานบริการที่ให้บริการผ่านระบบอิเล็กทรอนิกส์".to_owned(),
        ),
        _ => (
            (330.0 + dice.between(-25.0, 40.0)).round(),
            "ผลการประเมินตนเองตามเกณฑ์ PMQA 4.0".to_owned(),
        ),
    };
    ReportContent {
        value: Some(value),
        narrative: Some(format!("{narrative} ({})", period.thai_label())),
        ..ReportContent::default()
    }
}

/// The same report with its figure corrected, as a reporter fixes a returned one.
fn corrected(mut content: ReportContent, dice: &mut Dice) -> ReportContent {
    content.value = content
        .value
        .map(|v| round_to(v * dice.between(0.96, 0.99), 2));
    content
}

const RETURN_COMMENTS: &[&str] = &[
    "ตัวเลขไม่ตรงกับเอกสารหลักฐาน กรุณาตรวจสอบและแก้ไข",
    "ค่าที่รายงานต่างจากเดือนก่อนมากผิดปกติ กรุณาทบทวนและระบุเหตุผล",
    "กรุณาตรวจสอบหน่วยนับและแหล่งที่มาของข้อมูลอีกครั้ง",
];

/// Who acts in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The reporting organization's officer.
    Reporter,
    /// The provincial office's supervisor of every demo indicator.
    Supervisor,
    /// The provincial office's admin (reopens an approved report).
    ProvinceAdmin,
}

#[derive(Debug, Clone)]
enum Action {
    File(ReportContent, InitialStatus),
    Edit(ReportContent),
    Move(Transition, Option<&'static str>),
}

/// One thing that happened to a report.
struct Step {
    at: NaiveDateTime,
    who: Who,
    action: Action,
}

fn step(at: NaiveDateTime, who: Who, action: Action) -> Step {
    Step { at, who, action }
}

/// The reports the tests and the README rely on, written out; `None` for every other place.
/// The energy office's work list at `DEMO_AS_OF`: E.1 June returned, E.1 July a draft, E.2
/// July missing. The public health office's April 1.2 is approved, reopened by the province
/// admin when the figures were revised, fixed and approved again. Social security's December
/// 2564 1.3 never came (the 6-month round's `no_data`).
fn scripted(
    indicator: &str,
    organization: &str,
    period: Period,
    dice: &mut Dice,
) -> Option<Vec<Step>> {
    use Transition::{Approve, Return, Submit};
    use Who::{ProvinceAdmin, Reporter, Supervisor};
    let filed = content(indicator, organization, period, dice);
    Some(match (indicator, organization, period.to_string().as_str()) {
        ("E.1", "YST-PEO", "2022-06") => vec![
            step(
                bangkok(2022, 7, 1, 10, 15),
                Reporter,
                Action::File(filed, InitialStatus::Submitted),
            ),
            step(
                bangkok(2022, 7, 5, 14, 0),
                Supervisor,
                Action::Move(
                    Return,
                    Some("หน่วยไฟฟ้าที่รายงานไม่ตรงกับใบแจ้งค่าไฟฟ้าเดือน มิ.ย. 2565 กรุณาตรวจสอบและแนบใบแจ้งค่าไฟฟ้า"),
                ),
            ),
        ],
        ("E.1", "YST-PEO", "2022-07") => vec![step(
            bangkok(2022, 8, 2, 15, 40),
            Reporter,
            Action::File(filed, InitialStatus::Draft),
        )],
        ("E.2", "YST-PEO", "2022-07") => Vec::new(),
        // Social security never reported its first quarter: 1.3 has no data in the 6-month
        // round (its only reporting month there), while March and June (late) give it a value
        // in the 12-month round.
        ("1.3", CHRONICALLY_LATE, "2021-12") => Vec::new(),
        ("1.2", "YST-PHO", "2022-04") => {
            let fixed = corrected(filed.clone(), dice);
            vec![
                step(
                    bangkok(2022, 5, 2, 9, 40),
                    Reporter,
                    Action::File(filed, InitialStatus::Submitted),
                ),
                step(bangkok(2022, 5, 6, 11, 0), Supervisor, Action::Move(Approve, None)),
                step(
                    bangkok(2022, 6, 14, 10, 30),
                    ProvinceAdmin,
                    Action::Move(
                        Return,
                        Some("กรมควบคุมโรคปรับยอดผู้เสียชีวิตเดือน เม.ย. 2565 กรุณาแก้อัตราป่วยตายตามรายงานฉบับปรับปรุง"),
                    ),
                ),
                step(bangkok(2022, 6, 15, 13, 20), Reporter, Action::Edit(fixed)),
                step(bangkok(2022, 6, 15, 13, 25), Reporter, Action::Move(Submit, None)),
                step(bangkok(2022, 6, 17, 9, 10), Supervisor, Action::Move(Approve, None)),
            ]
        }
        _ => return None,
    })
}

/// The agency that files every report before its due instant: public health (1.2, E.1, E.2).
pub const ALWAYS_ON_TIME: &str = "YST-PHO";

/// The agency that files most reports after their due instant: social security (1.3, E.1,
/// E.2), which also never reported 1.3 for December 2564 (`scripted`).
pub const CHRONICALLY_LATE: &str = "YST-SSO";

/// Whether a report of `organization` is never filed and whether it is filed late, from the
/// dice's `fate` (uniform in [0, 1)): most organizations leave 5 % unfiled and file 14 % late;
/// `ALWAYS_ON_TIME` files every report on time, `CHRONICALLY_LATE` files every report, 80 %
/// of them late. The same dice are drawn either way, so the other organizations' stories do
/// not depend on these two.
fn fate_of(organization: &str, fate: f64) -> (bool, bool) {
    match organization {
        ALWAYS_ON_TIME => (false, false),
        CHRONICALLY_LATE => (false, fate < 0.80),
        _ => (fate < 0.05, fate < 0.19),
    }
}

/// A report's story from the dice (`fate_of`): never filed, filed late (from the deadline day
/// to 17 days after it), or on time (a quarter of those saved as a draft days before); a
/// supervisor approves within three weeks, or (8 %) returns it within days, the reporter fixes
/// and resubmits, and it is approved within ten days after that. Whatever falls after
/// `DEMO_AS_OF` has not happened yet: the latest reports wait for review, the latest late ones
/// are still missing.
fn story(indicator: &str, organization: &str, period: Period, dice: &mut Dice) -> Vec<Step> {
    use Transition::{Approve, Return, Submit};
    use Who::{Reporter, Supervisor};
    let filed = content(indicator, organization, period, dice);
    let (unfiled, late) = fate_of(organization, dice.unit());
    if unfiled {
        return Vec::new();
    }
    // 00:00 on the first of the next month, Bangkok.
    let next = period.next();
    let month_end = bangkok(next.year(), next.month(), 1, 0, 0);
    let mut steps = Vec::new();
    let submitted_at = if late {
        // The deadline day itself or up to 17 days after it.
        let deadline = i64::from(DEADLINE_DAY) - 1;
        let at = dice.office_time(month_end, (deadline, deadline + 17));
        steps.push(step(
            at,
            Reporter,
            Action::File(filed.clone(), InitialStatus::Submitted),
        ));
        at
    } else {
        let at = dice.office_time(month_end, (-1, 1));
        if dice.unit() < 0.25 {
            let drafted = dice.office_time(month_end, (-3, -2));
            steps.push(step(
                drafted,
                Reporter,
                Action::File(filed.clone(), InitialStatus::Draft),
            ));
            steps.push(step(at, Reporter, Action::Move(Submit, None)));
        } else {
            steps.push(step(
                at,
                Reporter,
                Action::File(filed.clone(), InitialStatus::Submitted),
            ));
        }
        at
    };
    // 00:00 Bangkok of the day of `at`.
    let day = |at: NaiveDateTime| {
        (at + Duration::hours(7)).date().and_time(NaiveTime::MIN) - Duration::hours(7)
    };
    if dice.unit() < 0.08 {
        let comment = RETURN_COMMENTS[dice.pick(0, RETURN_COMMENTS.len() as i64 - 1) as usize];
        let returned = dice.office_time(day(submitted_at), (1, 4));
        let fixed = dice.office_time(day(returned), (1, 3));
        let approved = dice.office_time(day(fixed), (1, 10));
        steps.push(step(
            returned,
            Supervisor,
            Action::Move(Return, Some(comment)),
        ));
        steps.push(step(fixed, Reporter, Action::Edit(corrected(filed, dice))));
        steps.push(step(
            fixed + Duration::minutes(5),
            Reporter,
            Action::Move(Submit, None),
        ));
        steps.push(step(approved, Supervisor, Action::Move(Approve, None)));
    } else {
        let approved = dice.office_time(day(submitted_at), (1, 20));
        steps.push(step(approved, Supervisor, Action::Move(Approve, None)));
    }
    steps
}

fn internal(what: &str) -> Error {
    Error::Internal(format!("demo reports: {what}"))
}

/// A person of the demo, as the API would see them.
struct Person {
    caller: Caller,
    actor: Actor,
}

impl Person {
    fn new(
        conn: &mut DbConnection,
        subject: &str,
        name: &str,
        role: Role,
        org: &str,
    ) -> Result<Self> {
        let row = organizations::find_by_code(conn, org)?.ok_or_else(|| internal(org))?;
        let caller = Caller {
            subject: subject.to_owned(),
            name: name.to_owned(),
            role,
            organization: Some(CallerOrganization {
                id: row.id,
                code: row.code,
                province_id: row.province_id,
            }),
        };
        let actor = Actor::of(&caller, None);
        Ok(Self { caller, actor })
    }

    /// Who files an organization's reports: its demo account if it has one, else an officer
    /// of it; the provincial office keys in for a unit with no province above it (the rice
    /// research centre in Roi Et), whose officers do not see the province's evaluation.
    fn reporter_of(conn: &mut DbConnection, org: &str) -> Result<Self> {
        if let Some((username, name, ..)) = ACCOUNTS
            .iter()
            .find(|a| a.2 == Role::AgencyOfficer && a.3 == Some(org))
        {
            return Self::new(conn, username, name, Role::AgencyOfficer, org);
        }
        let row = organizations::find_by_code(conn, org)?.ok_or_else(|| internal(org))?;
        if row.province_id.is_none() {
            return Self::account(conn, "yasothon.admin");
        }
        let subject = format!("officer.{}", org.to_ascii_lowercase());
        Self::new(
            conn,
            &subject,
            &format!("เจ้าหน้าที่ {}", row.name_th),
            Role::AgencyOfficer,
            org,
        )
    }

    fn account(conn: &mut DbConnection, username: &str) -> Result<Self> {
        let (_, name, role, org) = ACCOUNTS
            .iter()
            .find(|a| a.0 == username)
            .ok_or_else(|| internal(username))?;
        Self::new(
            conn,
            username,
            name,
            *role,
            org.ok_or_else(|| internal(username))?,
        )
    }
}

/// Writes the demo evaluation's reports up to `DEMO_AS_OF`; returns how many were filed.
pub fn seed_reports(conn: &mut DbConnection, evaluation_id: i64) -> Result<usize> {
    let as_of = demo_as_of().naive_utc();
    let supervisor = Person::account(conn, "yasothon.supervisor")?;
    let province_admin = Person::account(conn, "yasothon.admin")?;
    let indicator_ids: HashMap<String, i64> = indicators::of_evaluation(conn, evaluation_id)?
        .into_iter()
        .map(|i| (i.spec.code, i.id))
        .collect();
    let mut reporters: HashMap<String, Person> = HashMap::new();
    let evaluation =
        evaluations::find(conn, evaluation_id)?.ok_or_else(|| internal("evaluation"))?;
    let (start, end) = evaluation.span();
    let fiscal_year = evaluation.fiscal_year();
    let mut filed = 0;
    for component in framework_document().components {
        for indicator in component.indicators {
            let indicator_id = *indicator_ids
                .get(&indicator.code)
                .ok_or_else(|| internal(&indicator.code))?;
            let months = indicator
                .frequency
                .reporting_months(fiscal_year, start, end);
            for assignment in &indicator.assignments {
                if assignment.role == AssignmentRole::Supervisor {
                    continue;
                }
                let org = assignment.organization_code.as_str();
                if !reporters.contains_key(org) {
                    let person = Person::reporter_of(conn, org)?;
                    reporters.insert(org.to_owned(), person);
                }
                let reporter = reporters.get(org).ok_or_else(|| internal(org))?;
                let organization_id = reporter_org_id(conn, org)?;
                for &period in &months {
                    let mut dice = Dice::for_place(&indicator.code, org, period);
                    let steps = scripted(&indicator.code, org, period, &mut dice)
                        .unwrap_or_else(|| story(&indicator.code, org, period, &mut dice));
                    let mut id = None;
                    for Step { at, who, action } in steps.into_iter().take_while(|s| s.at <= as_of)
                    {
                        let person = match who {
                            Who::Reporter => reporter,
                            Who::Supervisor => &supervisor,
                            Who::ProvinceAdmin => &province_admin,
                        };
                        let (caller, actor) = (&person.caller, &person.actor);
                        match (action, id) {
                            (Action::File(content, status), None) => {
                                let new = NewReport {
                                    indicator_id,
                                    organization_id,
                                    period,
                                    content,
                                    status,
                                };
                                id = Some(
                                    submissions::create(conn, caller, actor, new, at)?
                                        .submission
                                        .id,
                                );
                                filed += 1;
                            }
                            (Action::Edit(content), Some(id)) => {
                                let held = submissions::get(conn, caller, id, Access::Manage)?;
                                submissions::update(conn, actor, &held, content, at)?;
                            }
                            (Action::Move(transition, comment), Some(id)) => {
                                let held = submissions::get(conn, caller, id, Access::Manage)?;
                                submissions::transition(
                                    conn, actor, &held, transition, comment, at,
                                )?;
                            }
                            _ => return Err(internal("a step before the report was filed")),
                        }
                    }
                }
            }
        }
    }
    Ok(filed)
}

fn reporter_org_id(conn: &mut DbConnection, code: &str) -> Result<i64> {
    Ok(organizations::find_by_code(conn, code)?
        .ok_or_else(|| internal(code))?
        .id)
}
