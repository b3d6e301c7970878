//! A province's year of reports, as batch items: most filed before their due instant
//! (`Period::due_at`), about 15 % after it, about 3 % never, about 1 % saved as drafts, and
//! about 0.5 % returned by the supervisor for a fix. Provinces and agencies differ in how well
//! they do and how diligently they report, so rankings and lagging lists have something to
//! show. Whatever would happen after `now` has not happened yet.

use chrono::{DateTime, Duration, NaiveDateTime, SecondsFormat, Utc};

use super::dice::Dice;
use super::framework::{own_baseline, Indicator, Model};
use crate::domain::batch::{Raw, RawItem};
use crate::domain::period::Period;

/// Reports never filed, at an average diligence.
const GAPS: f64 = 0.03;
/// Reports saved as drafts and never submitted.
const DRAFTS: f64 = 0.01;
/// Filed reports that come after their due instant, at an average diligence.
const LATE: f64 = 0.15;
/// Filed reports the supervisor returns.
const RETURNED: f64 = 0.005;

/// What each draw is of (`Dice::at`'s `what`).
const SKILL: u64 = 1;
const DILIGENCE: u64 = 2;
const BASELINE: u64 = 3;
const REPORT: u64 = 4;

const NARRATIVES: &[&str] = &[
    "ดำเนินการตามแผนปฏิบัติราชการ ผลการดำเนินงานเป็นไปตามเป้าหมาย",
    "ข้อมูลจากระบบ e-report ของกระทรวง ตรวจสอบกับเอกสารหลักฐานแล้ว",
    "ปิดเครื่องปรับอากาศช่วงพักกลางวันและใช้ระบบสารบรรณอิเล็กทรอนิกส์แทนเอกสาร",
    "อยู่ระหว่างดำเนินการ คาดว่าจะแล้วเสร็จในเดือนถัดไป",
    "บูรณาการร่วมกับอำเภอและองค์กรปกครองส่วนท้องถิ่นในพื้นที่",
];

const LATE_NARRATIVES: &[&str] = &[
    "รายงานล่าช้าเนื่องจากรอข้อมูลจากหน่วยงานส่วนกลาง",
    "รายงานล่าช้าเนื่องจากเจ้าหน้าที่ผู้รับผิดชอบเดินทางไปราชการ",
];

const RETURN_COMMENTS: &[&str] = &[
    "ตัวเลขไม่ตรงกับเอกสารหลักฐาน กรุณาตรวจสอบและแก้ไข",
    "ค่าที่รายงานต่างจากเดือนก่อนมากผิดปกติ กรุณาทบทวนและระบุเหตุผล",
    "กรุณาตรวจสอบหน่วยนับและแหล่งที่มาของข้อมูลอีกครั้ง",
];

/// How a province or an agency does: `skill` in (-1, 1) moves its figures towards (or away
/// from) the better side; `tardiness` (0.4–1.6) scales how often it is late or silent.
#[derive(Debug, Clone, Copy)]
pub struct Temper {
    pub skill: f64,
    pub tardiness: f64,
}

/// A province's temper (`agency` None) or one of its agencies'.
pub fn temper(seed: u64, province: usize, agency: Option<usize>) -> Temper {
    let place = match agency {
        Some(agency) => vec![province, agency + 1],
        None => vec![province, 0],
    };
    Temper {
        skill: Dice::at(seed, SKILL, &place).bell(),
        tardiness: Dice::at(seed, DILIGENCE, &place).between(0.4, 1.6),
    }
}

/// Each agency's own monthly baseline of each reduction indicator, `[indicator][agency]`.
pub fn baselines(
    seed: u64,
    province: usize,
    agencies: usize,
    indicators: &[Indicator],
) -> Vec<Vec<Option<f64>>> {
    indicators
        .iter()
        .enumerate()
        .map(|(i, indicator)| {
            (0..agencies)
                .map(|a| match indicator.kind.model {
                    Model::Use { baseline, .. } => Some(own_baseline(
                        &mut Dice::at(seed, BASELINE, &[province, a, i]),
                        baseline,
                    )),
                    Model::Level { .. } => None,
                })
                .collect()
        })
        .collect()
}

/// A province's year, as the generator knows it.
pub struct Year<'a> {
    pub seed: u64,
    pub province: usize,
    pub agencies: &'a [String],
    pub indicators: &'a [Indicator],
    pub baselines: &'a [Vec<Option<f64>>],
    /// The reporting months, in order.
    pub periods: &'a [Period],
    pub deadline_day: u32,
    pub now: DateTime<Utc>,
}

/// A report the supervisor returns once it is in.
#[derive(Debug, Clone)]
pub struct Return {
    pub indicator: usize,
    pub agency: usize,
    pub period: Period,
    pub at: NaiveDateTime,
    pub comment: &'static str,
}

/// A province's reports as batch items (month by month, as they would arrive), the returns to
/// make after they are in, and the first agency's first report filed on time and left
/// submitted, as (indicator, period).
pub struct Planned {
    pub items: Vec<RawItem>,
    pub returns: Vec<Return>,
    pub sample: Option<(usize, Period)>,
}

fn rounded(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}

fn text(value: impl Into<String>) -> Raw {
    Raw::Text(value.into())
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Year<'_> {
    pub fn plan(&self) -> Planned {
        let province = temper(self.seed, self.province, None);
        let agencies: Vec<Temper> = (0..self.agencies.len())
            .map(|a| temper(self.seed, self.province, Some(a)))
            .collect();
        let mut planned = Planned {
            items: Vec::with_capacity(
                self.periods.len() * self.agencies.len() * self.indicators.len(),
            ),
            returns: Vec::new(),
            sample: None,
        };
        for (m, &period) in self.periods.iter().enumerate() {
            let due = period.due_at(self.deadline_day);
            for (a, code) in self.agencies.iter().enumerate() {
                let agency = agencies[a];
                let skill = 0.6 * province.skill + 0.4 * agency.skill;
                let tardiness = province.tardiness * agency.tardiness;
                for (i, indicator) in self.indicators.iter().enumerate() {
                    let mut dice = Dice::at(self.seed, REPORT, &[self.province, a, i, m]);
                    let fate = dice.unit();
                    let value = self.value(&mut dice, indicator, i, a, m, skill);
                    let gap = GAPS * tardiness;
                    if fate < gap {
                        continue;
                    }
                    let mut item = RawItem::new(planned.items.len(), None);
                    item.indicator_code = text(&indicator.code);
                    item.organization_code = text(code);
                    item.period = text(period.to_string());
                    item.value = Raw::Number(value);
                    if fate < gap + DRAFTS {
                        // Saved a few days before the deadline and left there.
                        if due - Duration::days(2) > self.now {
                            continue;
                        }
                        item.status = text("draft");
                        planned.items.push(item);
                        continue;
                    }
                    let late = dice.unit() < (LATE * tardiness).min(0.9);
                    let seconds = if late {
                        dice.between(0.0, 18.0 * 86_400.0)
                    } else {
                        -dice.between(60.0, 4.0 * 86_400.0)
                    };
                    let at = due + Duration::seconds(seconds as i64);
                    if at > self.now {
                        continue;
                    }
                    let said = dice.unit();
                    if late && said < 0.3 {
                        item.narrative = text(dice.pick(LATE_NARRATIVES));
                    } else if said < 0.15 {
                        item.narrative = text(format!(
                            "{} ({})",
                            dice.pick(NARRATIVES),
                            period.thai_label()
                        ));
                    }
                    item.submitted_at = text(rfc3339(at));
                    let returned_at =
                        at + Duration::seconds(dice.between(86_400.0, 4.0 * 86_400.0) as i64);
                    if dice.unit() < RETURNED && returned_at <= self.now {
                        planned.returns.push(Return {
                            indicator: i,
                            agency: a,
                            period,
                            at: returned_at.naive_utc(),
                            comment: dice.pick(RETURN_COMMENTS),
                        });
                    } else if a == 0 && !late && planned.sample.is_none() {
                        planned.sample = Some((i, period));
                    }
                    planned.items.push(item);
                }
            }
        }
        planned
    }

    /// The figure of indicator `i` for agency `a` in month `m`.
    fn value(
        &self,
        dice: &mut Dice,
        indicator: &Indicator,
        i: usize,
        a: usize,
        m: usize,
        skill: f64,
    ) -> f64 {
        match indicator.kind.model {
            Model::Level {
                mean,
                spread,
                trend,
                low,
                high,
                decimals,
            } => {
                let value = mean
                    + indicator.direction * spread * skill
                    + 0.5 * spread * dice.bell()
                    + trend * m as f64;
                rounded(value.clamp(low, high), decimals)
            }
            Model::Use {
                reduction,
                decimals,
                ..
            } => {
                let baseline = self.baselines[i][a].unwrap_or(1.0);
                // Better through the year: from 2 points under the agency's usual reduction to
                // 2 over it.
                let progress = m as f64 / self.periods.len().saturating_sub(1).max(1) as f64;
                let percent = reduction + 6.0 * skill + 4.0 * dice.bell() + 4.0 * progress - 2.0;
                rounded((baseline * (1.0 - percent / 100.0)).max(0.0), decimals)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::framework::indicators;
    use super::*;

    fn plan(seed: u64, now: DateTime<Utc>) -> (Planned, usize) {
        let agencies: Vec<String> = (0..20).map(|a| format!("A{a}")).collect();
        let indicators = indicators(21);
        let baselines = baselines(seed, 3, agencies.len(), &indicators);
        let periods: Vec<Period> = (0..12)
            .scan(Period::new(2021, 10).expect("period"), |p, _| {
                let current = *p;
                *p = p.next();
                Some(current)
            })
            .collect();
        let year = Year {
            seed,
            province: 3,
            agencies: &agencies,
            indicators: &indicators,
            baselines: &baselines,
            periods: &periods,
            deadline_day: 3,
            now,
        };
        (
            year.plan(),
            agencies.len() * indicators.len() * periods.len(),
        )
    }

    fn status(item: &RawItem) -> &Raw {
        &item.status
    }

    #[test]
    fn a_year_has_its_gaps_drafts_late_reports_and_returns() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let (planned, places) = plan(1, now);
        let filed = planned.items.len();
        let gaps = places - filed;
        let drafts = planned
            .items
            .iter()
            .filter(|item| *status(item) == text("draft"))
            .count();
        assert!(
            (0.01..0.06).contains(&(gaps as f64 / places as f64)),
            "{gaps}"
        );
        assert!(
            (0.003..0.03).contains(&(drafts as f64 / places as f64)),
            "{drafts}"
        );
        assert!(!planned.returns.is_empty());
        assert!(planned.sample.is_some());
        let (again, _) = plan(1, now);
        assert_eq!(again.items, planned.items, "the same seed, the same year");
        let (other, _) = plan(2, now);
        assert_ne!(other.items, planned.items);
    }

    #[test]
    fn nothing_happens_after_now() {
        // 10 Mar 2022: reports of Feb 2022 are due on 3 Mar, some late ones are not in yet.
        let now = DateTime::parse_from_rfc3339("2022-03-10T00:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let (planned, _) = plan(1, now);
        for item in &planned.items {
            if let Raw::Text(at) = &item.submitted_at {
                let at = DateTime::parse_from_rfc3339(at).expect("instant");
                assert!(at <= now);
            }
            let Raw::Text(period) = &item.period else {
                panic!("a period")
            };
            assert!(period.as_str() < "2022-03", "{period}");
        }
    }
}
