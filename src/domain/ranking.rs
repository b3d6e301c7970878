//! Rankings (docs/DOMAIN.md, "Rankings"): provinces' evaluations ordered by their overall
//! percent for a round, the way a national meeting reads a league table. Pure: the percents
//! come from `domain::summary`, this decides the order and the ranks.

use std::cmp::Ordering;

use super::evaluation::EvaluationStatus;
use super::scoring::present_percent;

/// Which evaluations a ranking compares: active and closed ones. A draft's framework is still
/// being written (components, indicators, weights may change), so its figures are not yet
/// comparable with another province's.
pub fn is_ranked(status: EvaluationStatus) -> bool {
    status != EvaluationStatus::Draft
}

/// One ranked entry: its rank (None when it has no overall percent) and the entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing<T> {
    pub rank: Option<usize>,
    pub entry: T,
}

/// The overall percent as ranked: rounded like it is shown (2 decimals, half away from zero),
/// so two figures that read the same tie; -0 is 0.
fn shown(percent: f64) -> f64 {
    present_percent(percent) + 0.0
}

/// Ranks `entries` by their overall percent (`overall`, unrounded), highest first:
/// - percents are compared as shown (`present_percent`: 2 decimals), so 80.004 and 79.995 tie
///   at 80.00;
/// - ties share a rank and the next rank skips ("standard competition": 1, 2, 2, 4): an
///   entry's rank is 1 + the number of entries with a strictly higher shown percent;
/// - an entry without an overall percent (nothing due yet) comes last, without a rank;
/// - within a tie (and among the unranked), by `key` (the province code, then the evaluation
///   id), so the order is the same on every engine and every call.
pub fn rank<T, K: Ord>(
    entries: Vec<T>,
    overall: impl Fn(&T) -> Option<f64>,
    key: impl Fn(&T) -> K,
) -> Vec<Standing<T>> {
    let mut keyed: Vec<(Option<f64>, K, T)> = entries
        .into_iter()
        .map(|entry| (overall(&entry).map(shown), key(&entry), entry))
        .collect();
    keyed.sort_by(|(a, ka, _), (b, kb, _)| better_first(*a, *b).then_with(|| ka.cmp(kb)));
    let mut standings: Vec<Standing<T>> = Vec::with_capacity(keyed.len());
    let mut previous: Option<(f64, usize)> = None;
    for (position, (percent, _, entry)) in keyed.into_iter().enumerate() {
        let rank = percent.map(|percent| match previous {
            Some((last, rank)) if last.total_cmp(&percent) == Ordering::Equal => rank,
            _ => position + 1,
        });
        if let (Some(percent), Some(rank)) = (percent, rank) {
            previous = Some((percent, rank));
        }
        standings.push(Standing { rank, entry });
    }
    standings
}

/// Higher percents first, then the entries without one.
fn better_first(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ranks(entries: &[(Option<f64>, &'static str)]) -> Vec<(Option<usize>, &'static str)> {
        rank(entries.to_vec(), |e| e.0, |e| e.1)
            .into_iter()
            .map(|s| (s.rank, s.entry.1))
            .collect()
    }

    #[test]
    fn drafts_are_not_ranked() {
        assert!(!is_ranked(EvaluationStatus::Draft));
        assert!(is_ranked(EvaluationStatus::Active));
        assert!(is_ranked(EvaluationStatus::Closed));
    }

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        let ranked = ranks(&[
            (Some(70.0), "TH-11"),
            (Some(90.0), "TH-35"),
            (Some(70.0), "TH-10"),
            (Some(60.0), "TH-20"),
        ]);
        assert_eq!(
            ranked,
            vec![
                (Some(1), "TH-35"),
                (Some(2), "TH-10"),
                (Some(2), "TH-11"),
                (Some(4), "TH-20"),
            ]
        );
    }

    #[test]
    fn figures_that_read_the_same_tie() {
        // 80.004 and 79.995 both show as 80.00 (half away from zero); 79.994 shows 79.99.
        let ranked = ranks(&[
            (Some(79.995), "B"),
            (Some(80.004), "A"),
            (Some(79.994), "C"),
        ]);
        assert_eq!(ranked, vec![(Some(1), "A"), (Some(1), "B"), (Some(3), "C")]);
    }

    #[test]
    fn nothing_due_comes_last_without_a_rank() {
        let ranked = ranks(&[
            (None, "A"),
            (Some(0.0), "C"),
            (None, "B"),
            (Some(-0.0), "D"),
        ]);
        assert_eq!(
            ranked,
            vec![(Some(1), "C"), (Some(1), "D"), (None, "A"), (None, "B")]
        );
        assert!(ranks(&[]).is_empty());
    }

    fn percent() -> impl Strategy<Value = Option<f64>> {
        // Coarse values so ties are frequent; some that differ only below the shown decimals.
        prop_oneof![
            Just(None),
            (0u32..20).prop_map(|x| Some(f64::from(x) * 5.0)),
            (0u32..2000).prop_map(|x| Some(f64::from(x) / 1000.0 + 50.0)),
        ]
    }

    proptest! {
        /// Ranks never decrease down the list; equal shown percents have equal ranks; a rank
        /// is 1 + the number of entries strictly better; the unranked are exactly those
        /// without a percent, all last; within a tie the keys ascend.
        #[test]
        fn ranks_follow_the_rule(percents in prop::collection::vec(percent(), 0..12)) {
            let entries: Vec<(Option<f64>, usize)> =
                percents.iter().copied().zip(0..).collect();
            let ranked = rank(entries.clone(), |e| e.0, |e| e.1);
            prop_assert_eq!(ranked.len(), entries.len());
            let mut seen: Vec<usize> = ranked.iter().map(|s| s.entry.1).collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, (0..entries.len()).collect::<Vec<_>>());
            let mut last_rank = 0;
            let mut unranked_started = false;
            for (i, standing) in ranked.iter().enumerate() {
                let percent = standing.entry.0.map(shown);
                match (standing.rank, percent) {
                    (Some(rank), Some(p)) => {
                        prop_assert!(!unranked_started, "a ranked entry after an unranked one");
                        prop_assert!(rank >= last_rank);
                        last_rank = rank;
                        let better = entries
                            .iter()
                            .filter(|e| e.0.map(shown).is_some_and(|q| q > p))
                            .count();
                        prop_assert_eq!(rank, better + 1);
                    }
                    (None, None) => unranked_started = true,
                    other => prop_assert!(false, "rank and percent disagree: {:?}", other),
                }
                if let Some(next) = ranked.get(i + 1) {
                    let next_percent = next.entry.0.map(shown);
                    if next_percent == percent {
                        prop_assert_eq!(next.rank, standing.rank);
                        prop_assert!(next.entry.1 > standing.entry.1);
                    }
                }
            }
        }
    }
}
