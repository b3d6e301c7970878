//! The demo evaluation's two rounds (seed 000): the 6-month and the 12-month round, both from
//! September 2564, the month before the fiscal year.

use crate::domain::period::Period;
use crate::domain::round::RoundFields;
use crate::error::{Error, Result};
use crate::policy::Caller;
use crate::storage::audit::Actor;
use crate::storage::rounds::{self, RoundRow};
use crate::storage::{evaluations, DbConnection};

/// (name, first month, last month) of each round, in the order they are opened: in a fresh
/// demo the 6-month round is round 1 and the 12-month round round 2.
pub const ROUNDS: &[(&str, &str, &str)] = &[
    ("รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)", "2021-09", "2022-02"),
    ("รอบ 12 เดือน (ก.ย. 2564 – ส.ค. 2565)", "2021-09", "2022-08"),
];

fn month(text: &str) -> Result<Period> {
    text.parse()
        .map_err(|e| Error::Internal(format!("demo rounds: {text}: {e}")))
}

/// Opens `ROUNDS` in the demo evaluation through the storage function the API uses, audited
/// as the demo's system actor like the framework; returns them in order.
pub fn seed_rounds(conn: &mut DbConnection, evaluation_id: i64) -> Result<Vec<RoundRow>> {
    let actor = Actor::system("demo");
    let system = Caller::system("demo");
    let evaluation = evaluations::find(conn, evaluation_id)?
        .ok_or_else(|| Error::Internal("the demo evaluation is missing".into()))?;
    ROUNDS
        .iter()
        .map(|&(name, start, end)| {
            let fields = RoundFields {
                name: name.to_owned(),
                start_period: month(start)?,
                end_period: month(end)?,
            };
            rounds::create(conn, &system, &actor, &evaluation, fields)
        })
        .collect()
}
