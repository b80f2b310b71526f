//! A campaign's lift, measured against its holdout: the diners it rewarded against those it
//! kept out, on what each group did in the days after (visits, spend). The difference of
//! the means with a 95 % interval (Welch), or "inconclusive" while either group is too small
//! for an interval to mean anything — a restaurant has dozens of diners a day, not the
//! hundreds of thousands of profiles marketing suites wait for.

use serde::{Deserialize, Serialize};

use crate::domain::Money;

/// The fewest diners in each group before a lift is given.
pub const MIN_GROUP: usize = 10;

/// What one diner did in the days after their first decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct After {
    pub visits: u32,
    pub spend: Money,
}

/// A difference of means with its 95 % interval.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub treated_mean: f64,
    pub held_out_mean: f64,
    pub lift: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    /// Whether the interval leaves out zero (the lift is real at 95 %).
    pub fn is_clear(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// The holdout report of one campaign.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lift {
    /// Too few diners in a group to say anything yet.
    Inconclusive {
        treated: u32,
        held_out: u32,
        needed: u32,
    },
    Measured {
        treated: u32,
        held_out: u32,
        /// Visits per diner in the window.
        visits: Estimate,
        /// Spend per diner in the window, in yuan.
        spend: Estimate,
        /// Spend lift × treated diners − what the rewards cost: what the campaign earned
        /// beyond what would have happened anyway.
        net_incremental: f64,
        /// What the rewards cost.
        reward_cost: Money,
    },
}

/// The lift of `treated` over `held_out`, net of `reward_cost`.
pub fn lift(treated: &[After], held_out: &[After], reward_cost: Money) -> Lift {
    let count = |group: &[After]| u32::try_from(group.len()).unwrap_or(u32::MAX);
    if treated.len() < MIN_GROUP || held_out.len() < MIN_GROUP {
        return Lift::Inconclusive {
            treated: count(treated),
            held_out: count(held_out),
            needed: u32::try_from(MIN_GROUP).unwrap_or(u32::MAX),
        };
    }
    let visits = |group: &[After]| {
        group
            .iter()
            .map(|a| f64::from(a.visits))
            .collect::<Vec<_>>()
    };
    let spend = |group: &[After]| group.iter().map(|a| yuan(a.spend)).collect::<Vec<_>>();
    let spend_estimate = estimate(&spend(treated), &spend(held_out));
    Lift::Measured {
        treated: count(treated),
        held_out: count(held_out),
        visits: estimate(&visits(treated), &visits(held_out)),
        net_incremental: spend_estimate.lift * f64::from(count(treated)) - yuan(reward_cost),
        spend: spend_estimate,
        reward_cost,
    }
}

fn yuan(money: Money) -> f64 {
    money.amount().to_string().parse().unwrap_or_default()
}

fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    let n = f64::from(u32::try_from(values.len()).unwrap_or(u32::MAX)).max(1.0);
    let mean = values.iter().sum::<f64>() / n;
    let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    (mean, squares / (n - 1.0).max(1.0))
}

/// Welch's difference of means with a normal 95 % interval.
fn estimate(treated: &[f64], held_out: &[f64]) -> Estimate {
    let n = |group: &[f64]| f64::from(u32::try_from(group.len()).unwrap_or(u32::MAX)).max(1.0);
    let (m1, v1) = mean_and_variance(treated);
    let (m0, v0) = mean_and_variance(held_out);
    let error = (v1 / n(treated) + v0 / n(held_out)).sqrt();
    let lift = m1 - m0;
    Estimate {
        treated_mean: m1,
        held_out_mean: m0,
        lift,
        low: lift - 1.96 * error,
        high: lift + 1.96 * error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(visits: &[u32], spend: &[&str]) -> Vec<After> {
        visits
            .iter()
            .zip(spend)
            .map(|(visits, spend)| After {
                visits: *visits,
                spend: spend.parse().expect("money"),
            })
            .collect()
    }

    #[test]
    fn too_few_diners_are_inconclusive() {
        let few = group(&[1, 2], &["10", "20"]);
        assert_eq!(
            lift(&few, &few, Money::ZERO),
            Lift::Inconclusive {
                treated: 2,
                held_out: 2,
                needed: 10
            }
        );
    }

    #[test]
    fn a_clear_lift_has_an_interval_above_zero_and_is_netted_against_its_cost() {
        let treated = group(
            &[3; 12],
            &[
                "60", "62", "58", "61", "59", "60", "63", "57", "60", "60", "61", "59",
            ],
        );
        let held = group(
            &[1; 12],
            &[
                "40", "42", "38", "41", "39", "40", "43", "37", "40", "40", "41", "39",
            ],
        );
        let Lift::Measured {
            spend,
            visits,
            net_incremental,
            ..
        } = lift(&treated, &held, "100".parse().expect("money"))
        else {
            panic!("measured");
        };
        assert!((spend.lift - 20.0).abs() < 1e-9, "{spend:?}");
        assert!(
            spend.is_clear() && spend.low > 18.0 && spend.high < 22.0,
            "{spend:?}"
        );
        assert!((visits.lift - 2.0).abs() < 1e-9);
        // 20 yuan more from each of 12 diners, less 100 of rewards.
        assert!((net_incremental - 140.0).abs() < 1e-6, "{net_incremental}");
        // No difference: the interval straddles zero.
        let same = lift(&held, &held, Money::ZERO);
        let Lift::Measured { spend, .. } = same else {
            panic!("measured");
        };
        assert!(!spend.is_clear());
    }
}
