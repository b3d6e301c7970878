//! The demo's FY 2565 framework for Yasothon (seed 002) and its evaluation.

use super::ORGANIZATIONS;
use crate::domain::criteria::Breakpoint;
use crate::domain::framework::{
    AssignmentDocument, AssignmentRole, ComponentDocument, EvaluationStatus, FrameworkDocument,
    IndicatorDocument,
};
use crate::domain::organization::OrganizationKind;
use crate::domain::period::{FiscalYear, Frequency, Period};
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::Result;
use crate::policy::Caller;
use crate::storage::audit::Actor;
use crate::storage::evaluations::{self, EvaluationFields};
use crate::storage::framework;
use crate::storage::organizations;
use crate::storage::DbConnection;

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

/// Invented contacts (the seed letters name no Yasothon officers): a name, the usual position
/// of the officer who keys in an agency's figures, an office phone in Yasothon's 045 area, and
/// an address under the reserved `example` domain, so the overdue list has someone to chase.
fn contact(code: &str) -> (String, String, String, String) {
    const NAMES: [&str; 8] = [
        "นางสาวสมหญิง รักดี",
        "นายสมชาย ใจดี",
        "นางวิไลวรรณ ศรีสุข",
        "นายประเสริฐ มั่นคง",
        "นางสาวกนกวรรณ แก้วประเสริฐ",
        "นายธนพล บุญมา",
        "นางสุภาพร ทองดี",
        "นายอนุชา พรมมา",
    ];
    let seed = code
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (
        NAMES[seed as usize % NAMES.len()].to_owned(),
        "นักวิเคราะห์นโยบายและแผนปฏิบัติการ".to_owned(),
        format!("045-71{:04}", seed % 10_000),
        format!("{}@yasothon.example.go.th", code.to_ascii_lowercase()),
    )
}

fn host(code: &str) -> AssignmentDocument {
    let (name, position, phone, email) = contact(code);
    AssignmentDocument {
        organization_code: code.into(),
        role: AssignmentRole::Host,
        contact_name: Some(name),
        contact_position: Some(position),
        contact_phone: Some(phone),
        contact_email: Some(email),
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
    let system = Caller::system("demo");
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
