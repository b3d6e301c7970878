//! Demo data from the seed documents: Yasothon (TH-35) and the agencies its FY 2565
//! framework names (seed 002), its districts, a regional unit with no province (the rice
//! research centre in Roi Et), a neighbouring province to show scopes, one account per role,
//! and a year of reports up to `DEMO_AS_OF` (`reports`).

mod reports;

pub use reports::{demo_as_of, seed_reports, DEMO_AS_OF};

use crate::auth::passwords;
use crate::domain::account::{self, AccountSpec};
use crate::domain::criteria::Breakpoint;
use crate::domain::framework::{
    AssignmentDocument, AssignmentRole, ComponentDocument, EvaluationStatus, FrameworkDocument,
    IndicatorDocument,
};
use crate::domain::organization::OrganizationKind;
use crate::domain::organization::OrganizationSpec;
use crate::domain::period::{FiscalYear, Frequency, Period};
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::{Error, Result};
use crate::policy::{Caller, Role};
use crate::storage::audit::Actor;
use crate::storage::evaluations::{self, EvaluationFields};
use crate::storage::framework;
use crate::storage::organizations;
use crate::storage::schema::organizations as organizations_table;
use crate::storage::users::{self, UserFields};
use crate::storage::DbConnection;
use diesel::prelude::*;

/// The password of every demo account (printed at start; demo data only).
pub const DEMO_PASSWORD: &str = "demo-password-2565";

/// (code, Thai name, English name, kind, parent code)
pub const ORGANIZATIONS: &[(&str, &str, &str, OrganizationKind, Option<&str>)] = &[
    (
        "TH",
        "ประเทศไทย",
        "Thailand",
        OrganizationKind::Country,
        None,
    ),
    (
        "TH-35",
        "จังหวัดยโสธร",
        "Yasothon",
        OrganizationKind::Province,
        Some("TH"),
    ),
    (
        "YST-PO",
        "สำนักงานจังหวัดยโสธร",
        "Yasothon Provincial Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-PO-DD",
        "ศูนย์ดำรงธรรมจังหวัดยโสธร (กลุ่มงานศูนย์ดำรงธรรมจังหวัด สำนักงานจังหวัดยโสธร)",
        "Yasothon Damrongdhama Centre, Provincial Office",
        OrganizationKind::Agency,
        Some("YST-PO"),
    ),
    (
        "YST-PO-HR",
        "กลุ่มงานบริหารทรัพยากรบุคคล สำนักงานจังหวัดยโสธร",
        "Human Resources Group, Yasothon Provincial Office",
        OrganizationKind::Agency,
        Some("YST-PO"),
    ),
    (
        "YST-AGRI",
        "สำนักงานเกษตรจังหวัดยโสธร",
        "Yasothon Provincial Agricultural Extension Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-PHO",
        "สำนักงานสาธารณสุขจังหวัดยโสธร",
        "Yasothon Provincial Public Health Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-SSO",
        "สำนักงานประกันสังคมจังหวัดยโสธร",
        "Yasothon Provincial Social Security Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-DLA",
        "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดยโสธร",
        "Yasothon Provincial Office of Local Administration",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-NRE",
        "สำนักงานทรัพยากรธรรมชาติและสิ่งแวดล้อมจังหวัดยโสธร",
        "Yasothon Provincial Natural Resources and Environment Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-PEO",
        "สำนักงานพลังงานจังหวัดยโสธร",
        "Yasothon Provincial Energy Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-D01",
        "อำเภอเมืองยโสธร",
        "Mueang Yasothon District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D02",
        "อำเภอทรายมูล",
        "Sai Mun District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D03",
        "อำเภอกุดชุม",
        "Kut Chum District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D04",
        "อำเภอคำเขื่อนแก้ว",
        "Kham Khuean Kaeo District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D05",
        "อำเภอป่าติ้ว",
        "Pa Tio District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D06",
        "อำเภอมหาชนะชัย",
        "Maha Chana Chai District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D07",
        "อำเภอค้อวัง",
        "Kho Wang District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D08",
        "อำเภอเลิงนกทา",
        "Loeng Nok Tha District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D09",
        "อำเภอไทยเจริญ",
        "Thai Charoen District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "RD-RET",
        "ศูนย์วิจัยข้าวร้อยเอ็ด",
        "Roi Et Rice Research Center",
        OrganizationKind::Agency,
        None,
    ),
    (
        "TH-11",
        "จังหวัดสมุทรปราการ",
        "Samut Prakan",
        OrganizationKind::Province,
        Some("TH"),
    ),
    (
        "SPK-PO",
        "สำนักงานจังหวัดสมุทรปราการ",
        "Samut Prakan Provincial Office",
        OrganizationKind::Agency,
        Some("TH-11"),
    ),
];

/// (username, display name, role, organization code)
pub const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "ผู้ดูแลระบบ ก.พ.ร.", Role::Admin, None),
    (
        "yasothon.admin",
        "กลุ่มงานยุทธศาสตร์ สนจ.ยโสธร",
        Role::ProvinceAdmin,
        Some("YST-PO"),
    ),
    (
        "yasothon.supervisor",
        "ผู้กำกับดูแลตัวชี้วัด ยโสธร",
        Role::Supervisor,
        Some("YST-PO"),
    ),
    (
        "energy.officer",
        "เจ้าหน้าที่ สำนักงานพลังงานจังหวัดยโสธร",
        Role::AgencyOfficer,
        Some("YST-PEO"),
    ),
    (
        "health.officer",
        "เจ้าหน้าที่ สำนักงานสาธารณสุขจังหวัดยโสธร",
        Role::AgencyOfficer,
        Some("YST-PHO"),
    ),
    (
        "yasothon.governor",
        "ผู้ว่าราชการจังหวัดยโสธร",
        Role::Viewer,
        Some("TH-35"),
    ),
    ("ereport", "ระบบ e-report", Role::Integration, None),
    (
        "samutprakan.admin",
        "กลุ่มงานยุทธศาสตร์ สนจ.สมุทรปราการ",
        Role::ProvinceAdmin,
        Some("SPK-PO"),
    ),
];

/// An account the demo made: (username, role, organization code).
pub type DemoAccount = (String, String, Option<String>);

/// What `seed_if_empty` made.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub accounts: Vec<DemoAccount>,
    /// The reports filed up to `DEMO_AS_OF`.
    pub reports: usize,
    /// The energy office (YST-PEO), whose work list the start-up message points to.
    pub energy_office_id: i64,
}

/// Fills an empty database (in the caller's transaction); None when data was already there.
pub fn seed_if_empty(conn: &mut DbConnection) -> Result<Option<Seeded>> {
    let existing: i64 = organizations_table::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(None);
    }
    let accounts = seed_organizations_and_accounts(conn)?;
    let evaluation_id = seed_framework(conn)?;
    let reports = seed_reports(conn, evaluation_id)?;
    let energy_office_id = organizations::find_by_code(conn, "YST-PEO")?
        .ok_or_else(|| Error::Internal("the demo energy office is missing".into()))?
        .id;
    Ok(Some(Seeded {
        accounts,
        reports,
        energy_office_id,
    }))
}

/// The organizations and accounts alone (also the test fixture of every API test).
pub fn seed_organizations_and_accounts(conn: &mut DbConnection) -> Result<Vec<DemoAccount>> {
    let actor = Actor::system("demo");
    let system = Caller {
        subject: "demo".into(),
        name: "demo".into(),
        role: Role::Admin,
        organization: None,
    };
    for (code, name_th, name_en, kind, parent) in ORGANIZATIONS {
        let parent_id = match parent {
            Some(parent) => organizations::find_by_code(conn, parent)?.map(|p| p.id),
            None => None,
        };
        organizations::create(
            conn,
            &system,
            &actor,
            OrganizationSpec {
                code: (*code).into(),
                name_th: (*name_th).into(),
                name_en: Some((*name_en).into()),
                kind: *kind,
                parent_id,
            },
        )?;
    }
    // One hash for all: argon2 is deliberately slow.
    let password_hash = passwords::hash_now(DEMO_PASSWORD)?;
    let mut made = Vec::new();
    for (username, display_name, role, org) in ACCOUNTS {
        let organization = match org {
            Some(code) => organizations::find_by_code(conn, code)?,
            None => None,
        };
        // The demo's accounts obey the account rules like any other.
        Error::check(
            AccountSpec {
                username: Some(username),
                display_name,
                password: Some(DEMO_PASSWORD),
                role: *role,
                has_organization: organization.is_some(),
            }
            .problems(),
        )?;
        users::create(
            conn,
            &actor,
            &UserFields {
                username: (*username).into(),
                display_name: account::display_name(display_name),
                password_hash: password_hash.clone(),
                role: *role,
                organization_id: organization.as_ref().map(|o| o.id),
                disabled: false,
            },
            organization.and_then(|o| o.province_id),
        )?;
        made.push((
            (*username).to_owned(),
            role.as_str().to_owned(),
            org.map(str::to_owned),
        ));
    }
    Ok(made)
}

/// Monthly electricity (kWh) and fuel (litres) baselines of each Yasothon agency: what it used
/// a month before the measures (seeds 000 and 001 ask for 20 % less energy).
pub const ENERGY_BASELINES: &[(&str, f64, f64)] = &[
    ("YST-PO", 12_400.0, 1_150.0),
    ("YST-AGRI", 5_200.0, 980.0),
    ("YST-PHO", 9_800.0, 1_320.0),
    ("YST-SSO", 3_100.0, 310.0),
    ("YST-DLA", 3_900.0, 450.0),
    ("YST-NRE", 4_300.0, 760.0),
    ("YST-PEO", 2_800.0, 290.0),
];

fn points(levels: [(f64, f64); 3]) -> Vec<Breakpoint> {
    levels
        .iter()
        .map(|(value, score)| Breakpoint {
            value: *value,
            score: *score,
        })
        .collect()
}

fn host(code: &str) -> AssignmentDocument {
    AssignmentDocument {
        organization_code: code.into(),
        role: AssignmentRole::Host,
        contact_name: None,
        contact_position: None,
        contact_phone: None,
        contact_email: None,
        baseline: None,
        target: None,
    }
}

fn supervisor(code: &str) -> AssignmentDocument {
    AssignmentDocument {
        role: AssignmentRole::Supervisor,
        ..host(code)
    }
}

#[allow(clippy::too_many_arguments)]
fn indicator(
    code: &str,
    name: &str,
    unit: &str,
    frequency: Frequency,
    target: f64,
    criteria: Vec<Breakpoint>,
    assignments: Vec<AssignmentDocument>,
) -> IndicatorDocument {
    IndicatorDocument {
        code: code.into(),
        name: name.into(),
        description: None,
        unit: Some(unit.into()),
        category: None,
        frequency,
        over_time: OverTime::Latest,
        across_orgs: AcrossOrgs::Average,
        score_basis: ScoreBasis::Value,
        baseline: None,
        target: Some(target),
        weight: 1.0,
        criteria,
        assignments,
    }
}

fn reduction(
    code: &str,
    name: &str,
    unit: &str,
    category: Category,
    baseline_of: impl Fn(&(&str, f64, f64)) -> f64,
) -> IndicatorDocument {
    // The provincial office supervises; one role per organization and indicator, so its own
    // use is not part of these indicators.
    let supervising = "YST-PO";
    let mut assignments: Vec<AssignmentDocument> = ENERGY_BASELINES
        .iter()
        .filter(|agency| agency.0 != supervising)
        .map(|agency| AssignmentDocument {
            baseline: Some(baseline_of(agency)),
            ..host(agency.0)
        })
        .collect();
    assignments.push(supervisor(supervising));
    let average =
        ENERGY_BASELINES.iter().map(&baseline_of).sum::<f64>() / ENERGY_BASELINES.len() as f64;
    IndicatorDocument {
        category: Some(category),
        score_basis: ScoreBasis::ReductionFromBaseline,
        over_time: OverTime::Sum,
        across_orgs: AcrossOrgs::Sum,
        baseline: Some(average.round()),
        ..indicator(
            code,
            name,
            unit,
            Frequency::Monthly,
            20.0,
            points([(10.0, 50.0), (15.0, 75.0), (20.0, 100.0)]),
            assignments,
        )
    }
}

/// Yasothon's FY 2565 framework (seed 002): Performance Base 70 %, Potential Base 30 %, with
/// the host agencies the provincial order names, plus electricity and fuel reduction reported
/// by every agency. The span Sep 2564 – Sep 2565 fits seed 000's rounds.
pub fn framework_document() -> FrameworkDocument {
    let every_district: Vec<AssignmentDocument> = ORGANIZATIONS
        .iter()
        .filter(|(_, _, _, kind, _)| *kind == OrganizationKind::District)
        .map(|(code, ..)| host(code))
        .collect();
    let mut e_service = vec![host("YST-PO-DD")];
    e_service.extend(every_district);
    e_service.push(supervisor("YST-PO"));
    FrameworkDocument {
        components: vec![
            ComponentDocument {
                code: "1".into(),
                name: "การประเมินประสิทธิผลการดำเนินงาน (Performance Base)".into(),
                weight: 70.0,
                indicators: vec![
                    indicator(
                        "1.1",
                        "ผลการดำเนินงานตามแนวทางส่งเสริมเกษตรแปลงใหญ่ (ข้าว)",
                        "ร้อยละ",
                        Frequency::Quarterly,
                        80.0,
                        points([(60.0, 50.0), (70.0, 75.0), (80.0, 100.0)]),
                        vec![host("RD-RET"), host("YST-AGRI"), supervisor("YST-PO")],
                    ),
                    indicator(
                        "1.2",
                        "อัตราป่วยตายจากโรคติดเชื้อไวรัสโคโรนา (COVID-19) ของจังหวัด ปีงบประมาณ พ.ศ.2565",
                        "ร้อยละ",
                        Frequency::Monthly,
                        1.0,
                        points([(1.5, 50.0), (1.0, 75.0), (0.5, 100.0)]),
                        vec![host("YST-PHO"), supervisor("YST-PO")],
                    ),
                    indicator(
                        "1.3",
                        "ร้อยละที่เพิ่มขึ้นของแรงงานนอกระบบที่อยู่ภายใต้ประกันสังคม (ผู้ประกันตนตามมาตรา 40)",
                        "ร้อยละ",
                        Frequency::Quarterly,
                        5.0,
                        points([(3.0, 50.0), (5.0, 75.0), (7.0, 100.0)]),
                        vec![host("YST-SSO"), supervisor("YST-PO")],
                    ),
                    indicator(
                        "1.4",
                        "ร้อยละของปริมาณขยะมูลฝอยชุมชนได้รับการจัดการอย่างถูกต้อง",
                        "ร้อยละ",
                        Frequency::Semiannual,
                        80.0,
                        points([(70.0, 50.0), (80.0, 75.0), (90.0, 100.0)]),
                        vec![host("YST-DLA"), host("YST-NRE"), supervisor("YST-PO")],
                    ),
                ],
            },
            ComponentDocument {
                code: "2".into(),
                name: "การประเมินศักยภาพในการดำเนินงาน (Potential Base)".into(),
                weight: 30.0,
                indicators: vec![
                    indicator(
                        "2.1",
                        "การให้บริการประชาชนด้วยระบบอิเล็กทรอนิกส์ (e-Service)",
                        "ร้อยละ",
                        Frequency::Quarterly,
                        80.0,
                        points([(60.0, 50.0), (80.0, 75.0), (100.0, 100.0)]),
                        e_service,
                    ),
                    indicator(
                        "2.2",
                        "การประเมินสถานะของหน่วยงานในการเป็นระบบราชการ 4.0 (PMQA 4.0)",
                        "คะแนน",
                        Frequency::Annual,
                        350.0,
                        points([(300.0, 50.0), (350.0, 75.0), (400.0, 100.0)]),
                        vec![host("YST-PO-HR"), supervisor("YST-PO")],
                    ),
                    reduction(
                        "E.1",
                        "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ",
                        "kWh",
                        Category::EnergyReduction,
                        |a| a.1,
                    ),
                    reduction(
                        "E.2",
                        "ร้อยละการลดใช้น้ำมันเชื้อเพลิงของส่วนราชการ",
                        "ลิตร",
                        Category::EnergyReduction,
                        |a| a.2,
                    ),
                ],
            },
        ],
    }
}

/// The demo evaluation: Yasothon FY 2565, span Sep 2564 – Sep 2565, activated.
pub fn seed_framework(conn: &mut DbConnection) -> Result<i64> {
    let actor = Actor::system("demo");
    let system = Caller {
        subject: "demo".into(),
        name: "demo".into(),
        role: Role::Admin,
        organization: None,
    };
    let province = organizations::find_by_code(conn, "TH-35")?
        .ok_or_else(|| crate::error::Error::Internal("the demo province is missing".into()))?;
    let evaluation = evaluations::create(
        conn,
        &system,
        &actor,
        province.id,
        FiscalYear(2565),
        EvaluationFields {
            title: "การประเมินส่วนราชการตามมาตรการปรับปรุงประสิทธิภาพในการปฏิบัติราชการของจังหวัดยโสธร ประจำปีงบประมาณ พ.ศ. 2565".into(),
            deadline_day: 3,
            reporting_start: Period::new(2021, 9).map_err(|e| crate::error::Error::Internal(e.to_string()))?,
            reporting_end: Period::new(2022, 9).map_err(|e| crate::error::Error::Internal(e.to_string()))?,
            status: EvaluationStatus::Draft,
        },
    )?;
    framework::import(conn, &system, &actor, &evaluation, &framework_document())?;
    let draft = evaluations::find(conn, evaluation.id)?
        .ok_or_else(|| crate::error::Error::Internal("the demo evaluation is missing".into()))?;
    let (start, end) = draft.span();
    evaluations::update(
        conn,
        &system,
        &actor,
        &draft,
        EvaluationFields {
            title: draft.title.clone(),
            deadline_day: i64::from(draft.deadline_day),
            reporting_start: start,
            reporting_end: end,
            status: EvaluationStatus::Active,
        },
    )?;
    Ok(evaluation.id)
}
