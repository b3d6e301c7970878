//! What a fiscal year's ranking is computed from: every ranked evaluation of the fiscal year
//! with a round of the name asked for, its province, and the facts of each one's summary, read
//! all at once (`summary::many_round_facts`) in a constant number of queries, never one summary
//! per province. The order and the ranks are the domain's (`domain::ranking`); who sees which
//! rows is the policy's.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::evaluations::{EvaluationRow, StoredEvaluation};
use super::rounds::{RoundRow, StoredRound};
use super::schema::{evaluations, organizations, rounds};
use super::summary::{many_round_facts, FactsRequest};
use super::DbConnection;
use crate::domain::evaluation::EvaluationStatus;
use crate::domain::period::FiscalYear;
use crate::domain::ranking::is_ranked;
use crate::domain::round::name_key;
use crate::domain::summary::RoundFacts;
use crate::error::Result;

/// One evaluation of the ranking: its round of that name, its province and its facts.
pub struct Contender {
    pub evaluation: EvaluationRow,
    pub round: RoundRow,
    pub province_code: String,
    pub province_name_th: String,
    pub facts: RoundFacts,
}

/// Every ranked evaluation (`domain::ranking::is_ranked`) of `fiscal_year` whatever its
/// province, with its round named `round_name` (compared by `domain::round::name_key`, as round
/// names are unique by it), and the facts of that round's summary at `as_of`: one query for the
/// rounds with their evaluations and provinces (and on PostgreSQL the grouping's memory,
/// `with_grouping_memory`), then the four of `many_round_facts`, whatever
/// the number of provinces (`tests/api/rankings.rs` counts them). In evaluation id order.
pub fn of_fiscal_year(
    conn: &mut DbConnection,
    fiscal_year: FiscalYear,
    round_name: &str,
    as_of: DateTime<Utc>,
) -> Result<Vec<Contender>> {
    let statuses: Vec<&str> = EvaluationStatus::ALL
        .iter()
        .copied()
        .filter(|status| is_ranked(*status))
        .map(EvaluationStatus::as_str)
        .collect();
    type Row = (StoredRound, StoredEvaluation, String, String);
    let rows: Vec<Row> = rounds::table
        .inner_join(evaluations::table.inner_join(organizations::table))
        .filter(evaluations::fiscal_year.eq(fiscal_year.0))
        .filter(evaluations::status.eq_any(statuses))
        .filter(rounds::name_key.eq(name_key(round_name)))
        .order(evaluations::id.asc())
        .select((
            StoredRound::as_select(),
            StoredEvaluation::as_select(),
            organizations::code,
            organizations::name_th,
        ))
        .load(conn)?;
    let mut read = Vec::with_capacity(rows.len());
    for (round, evaluation, code, name_th) in rows {
        read.push((
            RoundRow::read(round)?,
            EvaluationRow::read(evaluation)?,
            code,
            name_th,
        ));
    }
    let requests: Vec<FactsRequest<'_>> = read
        .iter()
        .map(|(round, evaluation, _, _)| FactsRequest {
            evaluation,
            window: round.window(),
        })
        .collect();
    with_grouping_memory(conn)?;
    let facts = many_round_facts(conn, &requests, as_of, None)?;
    Ok(read
        .into_iter()
        .zip(facts)
        .map(
            |((round, evaluation, province_code, province_name_th), facts)| Contender {
                evaluation,
                round,
                province_code,
                province_name_th,
                facts,
            },
        )
        .collect())
}

/// PostgreSQL: memory for this transaction's grouping. The facts of a national year's ranking
/// are 115,500 groups (~55 MB of hash table); at the default `work_mem` (4 MB) PostgreSQL
/// spilled them to disk in 9 batches (80 MB written) and the statement took 15–40 % longer
/// (issue 14, `EXPLAIN ANALYZE`). `SET LOCAL`: the rest of the connection's life keeps the
/// server's setting, and at most one ranking per pooled connection holds it at a time.
fn with_grouping_memory(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        pg.batch_execute("SET LOCAL work_mem = '64MB'")?;
    }
    Ok(())
}
