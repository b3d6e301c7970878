//! The generated framework: four components (seed 002's Performance and Potential Base, seed
//! 001's energy, paper and budget measures, and its "development of efficiency"), and a
//! catalogue of indicator kinds that covers what the domain allows — levels scored on 50/75/100
//! or on five levels 1–5, higher or lower being better, combined over time by sum, average,
//! latest, max or min, and reductions from each agency's own baseline — with how a report's
//! figure is drawn for each.

use super::dice::Dice;
use crate::domain::criteria::{Breakpoint, Criteria, Direction};
use crate::domain::framework::{
    AssignmentDocument, AssignmentRole, ComponentDocument, FrameworkDocument, IndicatorDocument,
};
use crate::domain::period::Frequency;
use crate::domain::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};

/// (name, percent of the overall score) of the components, in code order ("1" … "4").
const COMPONENTS: [(&str, f64); 4] = [
    ("การประเมินประสิทธิผลการดำเนินงาน (Performance Base)", 50.0),
    ("การประเมินศักยภาพในการดำเนินงาน (Potential Base)", 20.0),
    ("การประหยัดพลังงาน กระดาษ และงบประมาณ", 20.0),
    ("การพัฒนาประสิทธิภาพในการปฏิบัติงาน", 10.0),
];

/// How a report's figure is drawn.
#[derive(Debug, Clone, Copy)]
pub enum Model {
    /// A level around `mean`, better by `spread` for a better province and agency, moving by
    /// `trend` a month, within `low`…`high`, with `decimals`.
    Level {
        mean: f64,
        spread: f64,
        trend: f64,
        low: f64,
        high: f64,
        decimals: i32,
    },
    /// A month's use against the agency's own baseline (drawn between the two figures), about
    /// `reduction` percent below it.
    Use {
        baseline: (f64, f64),
        reduction: f64,
        decimals: i32,
    },
}

/// A kind of indicator.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub unit: &'static str,
    /// Index into `COMPONENTS`.
    pub component: usize,
    pub category: Option<Category>,
    pub over_time: OverTime,
    pub across_orgs: AcrossOrgs,
    pub score_basis: ScoreBasis,
    pub target: f64,
    pub criteria: &'static [(f64, f64)],
    pub model: Model,
}

const THREE_LEVELS_20: &[(f64, f64)] = &[(10.0, 50.0), (15.0, 75.0), (20.0, 100.0)];
const THREE_LEVELS_10: &[(f64, f64)] = &[(5.0, 50.0), (7.5, 75.0), (10.0, 100.0)];
const FIVE_LEVELS: &[(f64, f64)] = &[(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0), (5.0, 5.0)];

const fn level(mean: f64, spread: f64, trend: f64, low: f64, high: f64, decimals: i32) -> Model {
    Model::Level {
        mean,
        spread,
        trend,
        low,
        high,
        decimals,
    }
}

// A kind's fields in the catalogue's order; a struct literal each would triple its length.
#[allow(clippy::too_many_arguments)]
const fn value_kind(
    name: &'static str,
    unit: &'static str,
    component: usize,
    category: Option<Category>,
    over_time: OverTime,
    target: f64,
    criteria: &'static [(f64, f64)],
    model: Model,
) -> Kind {
    Kind {
        name,
        unit,
        component,
        category,
        over_time,
        across_orgs: AcrossOrgs::Average,
        score_basis: ScoreBasis::Value,
        target,
        criteria,
        model,
    }
}

#[allow(clippy::too_many_arguments)]
const fn reduction_kind(
    name: &'static str,
    unit: &'static str,
    category: Category,
    target: f64,
    criteria: &'static [(f64, f64)],
    baseline: (f64, f64),
    reduction: f64,
    decimals: i32,
) -> Kind {
    Kind {
        name,
        unit,
        component: 2,
        category: Some(category),
        over_time: OverTime::Sum,
        across_orgs: AcrossOrgs::Sum,
        score_basis: ScoreBasis::ReductionFromBaseline,
        target,
        criteria,
        model: Model::Use {
            baseline,
            reduction,
            decimals,
        },
    }
}

/// The catalogue, interleaved so that a small run still mixes components, criteria and
/// aggregations. Indicator `i` of a run is kind `i % KINDS.len()`; a second round through the
/// catalogue is a second series of the same kind ("ชุดที่ 2").
pub const KINDS: &[Kind] = &[
    value_kind(
        "ร้อยละความพึงพอใจของผู้รับบริการต่อการให้บริการของส่วนราชการ",
        "ร้อยละ",
        0,
        None,
        OverTime::Average,
        85.0,
        &[
            (75.0, 1.0),
            (80.0, 2.0),
            (85.0, 3.0),
            (90.0, 4.0),
            (95.0, 5.0),
        ],
        level(85.0, 6.0, 0.2, 0.0, 100.0, 2),
    ),
    reduction_kind(
        "ร้อยละการลดใช้พลังงานไฟฟ้าของส่วนราชการ",
        "kWh",
        Category::EnergyReduction,
        20.0,
        THREE_LEVELS_20,
        (2_000.0, 15_000.0),
        17.0,
        0,
    ),
    value_kind(
        "ร้อยละการให้บริการประชาชนด้วยระบบอิเล็กทรอนิกส์ (e-Service)",
        "ร้อยละ",
        1,
        Some(Category::InformationSystems),
        OverTime::Latest,
        80.0,
        &[(60.0, 50.0), (80.0, 75.0), (100.0, 100.0)],
        level(72.0, 12.0, 1.0, 0.0, 100.0, 2),
    ),
    value_kind(
        "อัตราป่วยตายจากโรคติดเชื้อไวรัสโคโรนา 2019 (COVID-19) ของจังหวัด",
        "ร้อยละ",
        0,
        None,
        OverTime::Latest,
        1.0,
        &[(1.5, 50.0), (1.0, 75.0), (0.5, 100.0)],
        level(1.0, 0.35, -0.04, 0.0, 5.0, 2),
    ),
    value_kind(
        "ระดับความสำเร็จของการประเมินคุณธรรมและความโปร่งใสในการดำเนินงาน (ITA)",
        "ระดับ",
        3,
        Some(Category::AntiCorruption),
        OverTime::Max,
        4.0,
        FIVE_LEVELS,
        level(3.4, 0.9, 0.05, 1.0, 5.0, 0),
    ),
    reduction_kind(
        "ร้อยละการลดใช้กระดาษของส่วนราชการ",
        "รีม",
        Category::PaperReduction,
        10.0,
        THREE_LEVELS_10,
        (10.0, 120.0),
        9.0,
        1,
    ),
    value_kind(
        "ค่าเฉลี่ยรายเดือนของฝุ่นละอองขนาดไม่เกิน 2.5 ไมครอน (PM2.5) สูงสุดของปี",
        "ไมโครกรัม/ลบ.ม.",
        0,
        None,
        OverTime::Max,
        37.5,
        &[(50.0, 50.0), (37.5, 75.0), (25.0, 100.0)],
        level(30.0, 8.0, -0.3, 5.0, 150.0, 1),
    ),
    value_kind(
        "ร้อยละของหนังสือราชการที่รับ–ส่งผ่านระบบสารบรรณอิเล็กทรอนิกส์",
        "ร้อยละ",
        1,
        Some(Category::PaperReduction),
        OverTime::Latest,
        90.0,
        &[(70.0, 50.0), (80.0, 75.0), (90.0, 100.0)],
        level(82.0, 9.0, 0.8, 0.0, 100.0, 2),
    ),
    value_kind(
        "ค่าออกซิเจนละลายน้ำ (DO) ต่ำสุดของแหล่งน้ำสำคัญ",
        "มก./ลิตร",
        0,
        None,
        OverTime::Min,
        4.0,
        &[(2.0, 50.0), (3.0, 75.0), (4.0, 100.0)],
        level(5.2, 0.9, 0.0, 0.0, 9.0, 1),
    ),
    reduction_kind(
        "ร้อยละการลดใช้น้ำมันเชื้อเพลิงของส่วนราชการ",
        "ลิตร",
        Category::EnergyReduction,
        20.0,
        THREE_LEVELS_20,
        (150.0, 1_500.0),
        19.0,
        0,
    ),
    value_kind(
        "ร้อยละของเรื่องร้องเรียนที่ได้รับการแก้ไขแล้วเสร็จ (ศูนย์ดำรงธรรม)",
        "ร้อยละ",
        0,
        Some(Category::AntiCorruption),
        OverTime::Average,
        80.0,
        &[(60.0, 50.0), (70.0, 75.0), (80.0, 100.0)],
        level(78.0, 10.0, 0.3, 0.0, 100.0, 2),
    ),
    value_kind(
        "ระดับความสำเร็จของการบูรณาการการทำงานร่วมกับหน่วยงานอื่น",
        "ระดับ",
        3,
        Some(Category::Integration),
        OverTime::Latest,
        4.0,
        FIVE_LEVELS,
        level(2.6, 0.8, 0.15, 1.0, 5.0, 0),
    ),
    value_kind(
        "จำนวนเกษตรกรที่เข้าร่วมโครงการส่งเสริมการเกษตรแบบแปลงใหญ่ (สะสม)",
        "ราย",
        0,
        None,
        OverTime::Sum,
        100.0,
        &[(60.0, 50.0), (80.0, 75.0), (100.0, 100.0)],
        level(8.5, 2.5, 0.0, 0.0, 100.0, 0),
    ),
    reduction_kind(
        "ร้อยละการประหยัดงบประมาณค่าสาธารณูปโภค",
        "บาท",
        Category::BudgetSavings,
        10.0,
        THREE_LEVELS_10,
        (20_000.0, 250_000.0),
        8.0,
        2,
    ),
    value_kind(
        "ร้อยละของปริมาณขยะมูลฝอยชุมชนได้รับการจัดการอย่างถูกต้อง",
        "ร้อยละ",
        0,
        None,
        OverTime::Latest,
        80.0,
        &[(70.0, 50.0), (80.0, 75.0), (90.0, 100.0)],
        level(76.0, 8.0, 0.6, 0.0, 100.0, 2),
    ),
    value_kind(
        "คะแนนการประเมินสถานะของหน่วยงานในการเป็นระบบราชการ 4.0 (PMQA 4.0)",
        "คะแนน",
        1,
        None,
        OverTime::Latest,
        350.0,
        &[(300.0, 50.0), (350.0, 75.0), (400.0, 100.0)],
        level(335.0, 35.0, 2.0, 0.0, 500.0, 0),
    ),
    value_kind(
        "ร้อยละที่เพิ่มขึ้นของแรงงานนอกระบบที่อยู่ภายใต้ประกันสังคม (ผู้ประกันตนตามมาตรา 40)",
        "ร้อยละ",
        0,
        None,
        OverTime::Latest,
        5.0,
        &[(3.0, 50.0), (5.0, 75.0), (7.0, 100.0)],
        level(4.2, 1.5, 0.1, 0.0, 30.0, 2),
    ),
    value_kind(
        "จำนวนชั่วโมงการพัฒนาบุคลากรเฉลี่ยต่อคน (สะสม)",
        "ชั่วโมง",
        3,
        Some(Category::Integration),
        OverTime::Sum,
        24.0,
        &[(12.0, 50.0), (18.0, 75.0), (24.0, 100.0)],
        level(2.1, 0.7, 0.0, 0.0, 40.0, 1),
    ),
    value_kind(
        "ร้อยละของชุดข้อมูลที่เปิดเผยเป็นข้อมูลเปิดภาครัฐ (Open Data)",
        "ร้อยละ",
        1,
        Some(Category::InformationSystems),
        OverTime::Latest,
        80.0,
        &[(50.0, 50.0), (65.0, 75.0), (80.0, 100.0)],
        level(58.0, 15.0, 1.5, 0.0, 100.0, 2),
    ),
    value_kind(
        "ร้อยละการเบิกจ่ายงบประมาณรายจ่ายประจำปี (สะสม)",
        "ร้อยละ",
        0,
        None,
        OverTime::Latest,
        100.0,
        &[(80.0, 50.0), (90.0, 75.0), (100.0, 100.0)],
        level(9.0, 2.0, 7.9, 0.0, 100.0, 2),
    ),
    value_kind(
        "ร้อยละของกิจกรรมป้องกันการทุจริตที่ดำเนินการแล้วเสร็จตามแผน",
        "ร้อยละ",
        3,
        Some(Category::AntiCorruption),
        OverTime::Average,
        100.0,
        &[(80.0, 50.0), (90.0, 75.0), (100.0, 100.0)],
        level(88.0, 8.0, 0.3, 0.0, 100.0, 2),
    ),
];

/// Indicator `i` of a run: its kind, code and name.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub kind: &'static Kind,
    pub code: String,
    pub name: String,
    /// 1.0 when higher figures are better, -1.0 when lower ones are (from its criteria).
    pub direction: f64,
}

/// The run's `count` indicators, coded `component.n` in catalogue order.
pub fn indicators(count: usize) -> Vec<Indicator> {
    let mut numbered = [0usize; COMPONENTS.len()];
    (0..count)
        .map(|i| {
            let kind = &KINDS[i % KINDS.len()];
            numbered[kind.component] += 1;
            let series = i / KINDS.len();
            let name = if series == 0 {
                kind.name.to_owned()
            } else {
                format!("{} (ชุดที่ {})", kind.name, series + 1)
            };
            let direction = match Criteria::new(breakpoints(kind.criteria), "criteria")
                .map(|criteria| criteria.direction())
            {
                Ok(Direction::LowerIsBetter) => -1.0,
                _ => 1.0,
            };
            Indicator {
                kind,
                code: format!("{}.{}", kind.component + 1, numbered[kind.component]),
                name,
                direction,
            }
        })
        .collect()
}

fn breakpoints(points: &[(f64, f64)]) -> Vec<Breakpoint> {
    points
        .iter()
        .map(|&(value, score)| Breakpoint { value, score })
        .collect()
}

/// An agency's own monthly baseline of a reduction indicator (its use before the measures).
pub fn own_baseline(dice: &mut Dice, (low, high): (f64, f64)) -> f64 {
    dice.between(low, high).round().max(1.0)
}

/// What a province's framework needs to know about it.
pub struct Reporters<'a> {
    /// The provincial office's code: it supervises every indicator.
    pub office: &'a str,
    /// The agencies' codes: every one reports every indicator.
    pub agencies: &'a [String],
    /// Each agency's baseline of each reduction indicator: `baselines[indicator][agency]`.
    pub baselines: &'a [Vec<Option<f64>>],
}

/// A province's framework: the components that have indicators (weights scaled to sum to 100),
/// every indicator reported monthly by every agency — one host (in turn), the others co-hosts —
/// and supervised by the provincial office.
pub fn document(indicators: &[Indicator], reporters: &Reporters<'_>) -> FrameworkDocument {
    let present: Vec<usize> = (0..COMPONENTS.len())
        .filter(|c| indicators.iter().any(|i| i.kind.component == *c))
        .collect();
    let total: f64 = present.iter().map(|&c| COMPONENTS[c].1).sum();
    let mut given = 0.0;
    let components = present
        .iter()
        .enumerate()
        .map(|(n, &c)| {
            let (name, weight) = COMPONENTS[c];
            // The last takes what is left, so the weights sum to exactly 100.
            let weight = if n + 1 == present.len() {
                100.0 - given
            } else {
                (weight * 100.0 / total * 100.0).round() / 100.0
            };
            given += weight;
            ComponentDocument {
                code: (c + 1).to_string(),
                name: name.to_owned(),
                weight,
                indicators: indicators
                    .iter()
                    .enumerate()
                    .filter(|(_, indicator)| indicator.kind.component == c)
                    .map(|(i, indicator)| indicator_document(i, indicator, reporters))
                    .collect(),
            }
        })
        .collect();
    FrameworkDocument { components }
}

fn indicator_document(
    i: usize,
    indicator: &Indicator,
    reporters: &Reporters<'_>,
) -> IndicatorDocument {
    let kind = indicator.kind;
    let baselines = &reporters.baselines[i];
    let host = i % reporters.agencies.len().max(1);
    let mut assignments: Vec<AssignmentDocument> = reporters
        .agencies
        .iter()
        .enumerate()
        .map(|(a, code)| AssignmentDocument {
            organization_code: code.clone(),
            role: if a == host {
                AssignmentRole::Host
            } else {
                AssignmentRole::CoHost
            },
            contact_name: None,
            contact_position: None,
            contact_phone: None,
            contact_email: None,
            baseline: baselines.get(a).copied().flatten(),
            target: None,
        })
        .collect();
    assignments.push(AssignmentDocument {
        organization_code: reporters.office.to_owned(),
        role: AssignmentRole::Supervisor,
        contact_name: None,
        contact_position: Some("นักวิเคราะห์นโยบายและแผน".into()),
        contact_phone: None,
        contact_email: None,
        baseline: None,
        target: None,
    });
    let baseline = match kind.model {
        Model::Use {
            baseline: (low, high),
            ..
        } => Some(((low + high) / 2.0).round()),
        Model::Level { .. } => None,
    };
    IndicatorDocument {
        code: indicator.code.clone(),
        name: indicator.name.clone(),
        description: None,
        unit: Some(kind.unit.to_owned()),
        category: kind.category,
        frequency: Frequency::Monthly,
        over_time: kind.over_time,
        across_orgs: kind.across_orgs,
        score_basis: kind.score_basis,
        baseline,
        target: Some(kind.target),
        weight: 1.0,
        criteria: breakpoints(kind.criteria),
        assignments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicator::IndicatorSpec;

    #[test]
    fn every_kind_is_a_valid_indicator() {
        for (i, indicator) in indicators(KINDS.len()).iter().enumerate() {
            let kind = indicator.kind;
            let spec = IndicatorSpec {
                code: indicator.code.clone(),
                name: indicator.name.clone(),
                description: None,
                unit: Some(kind.unit.into()),
                category: kind.category,
                frequency: Frequency::Monthly,
                over_time: kind.over_time,
                across_orgs: kind.across_orgs,
                score_basis: kind.score_basis,
                baseline: None,
                target: Some(kind.target),
                weight: 1.0,
                criteria: breakpoints(kind.criteria),
            };
            assert_eq!(spec.problems(""), Vec::new(), "kind {i}");
        }
    }

    #[test]
    fn components_sum_to_100_and_codes_are_unique() {
        for count in [1, 2, 3, 4, 7, 30, 64] {
            let run = indicators(count);
            let codes: std::collections::HashSet<_> = run.iter().map(|i| &i.code).collect();
            assert_eq!(codes.len(), count);
            let agencies = vec!["A".to_owned(), "B".to_owned()];
            let baselines = vec![vec![Some(10.0), Some(20.0)]; count];
            let doc = document(
                &run,
                &Reporters {
                    office: "PO",
                    agencies: &agencies,
                    baselines: &baselines,
                },
            );
            let total: f64 = doc.components.iter().map(|c| c.weight).sum();
            assert!((total - 100.0).abs() < 1e-9, "{count}: {total}");
            let n: usize = doc.components.iter().map(|c| c.indicators.len()).sum();
            assert_eq!(n, count);
        }
    }
}
