//! Workload helpers every model can use: open-loop Poisson arrivals whose rate changes in
//! phases (a load that rises, then drops below the level a storm needs to keep going).

use faultline_engine::{Prng, SimDuration, SimTime};

/// From `from` on, arrivals come at `rate_per_s` (until the next phase).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Phase {
    pub from: SimTime,
    pub rate_per_s: f64,
}

/// An arrival rate over time: `base_per_s` from the start, then each phase's rate from its
/// time on. Phases are sorted by time.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSchedule {
    pub base_per_s: f64,
    pub phases: Vec<Phase>,
}

impl RateSchedule {
    /// One rate for the whole run.
    pub fn constant(rate_per_s: f64) -> RateSchedule {
        RateSchedule { base_per_s: rate_per_s, phases: Vec::new() }
    }

    /// The rate in force at `at`.
    pub fn rate_at(&self, at: SimTime) -> f64 {
        self.phases
            .iter()
            .take_while(|p| p.from <= at)
            .last()
            .map_or(self.base_per_s, |p| p.rate_per_s)
    }

    /// The expected number of arrivals in `[0, until)`.
    pub fn expected_arrivals(&self, until: SimTime) -> f64 {
        let mut total = 0.0;
        let mut starts = vec![(SimTime::ZERO, self.base_per_s)];
        starts.extend(self.phases.iter().map(|p| (p.from, p.rate_per_s)));
        for (i, &(from, rate)) in starts.iter().enumerate() {
            let to = starts.get(i + 1).map_or(until, |next| next.0).min(until);
            if to > from {
                total += rate * to.since(from).as_secs_f64();
            }
        }
        total
    }

    /// The next arrival after `at` of a Poisson process with this rate, if it comes before
    /// `end`. A draw that would cross into the next phase is discarded and drawn again from
    /// the phase's start at its rate: exponential gaps have no memory, so this is exact.
    /// With one rate it is one draw per arrival, as a plain Poisson process.
    pub fn next_arrival(&self, rng: &mut Prng, mut at: SimTime, end: SimTime) -> Option<SimTime> {
        loop {
            let rate_per_s = self.rate_at(at);
            let boundary =
                self.phases.iter().map(|p| p.from).find(|&from| from > at).unwrap_or(end).min(end);
            if rate_per_s > 0.0 {
                // At least a nanosecond apart, or an absurd rate would never reach `end`.
                let mean = SimDuration::from_secs(1)
                    .mul_f64(1.0 / rate_per_s)
                    .max(SimDuration::from_nanos(1));
                let next = at + rng.exponential(mean);
                if next < boundary {
                    return Some(next);
                }
            }
            if boundary >= end {
                return None;
            }
            at = boundary;
        }
    }
}

#[cfg(test)]
mod tests {
    use faultline_engine::Stream;

    use super::*;

    fn arrivals(schedule: &RateSchedule, end_s: u64) -> Vec<SimTime> {
        let mut rng = Prng::new(1, Stream::Workload);
        let (mut at, end) = (SimTime::ZERO, SimTime::from_secs(end_s));
        let mut out = Vec::new();
        while let Some(next) = schedule.next_arrival(&mut rng, at, end) {
            out.push(next);
            at = next;
        }
        out
    }

    #[test]
    fn phases_change_the_rate_where_they_start() {
        let phases = vec![
            Phase { from: SimTime::from_secs(10), rate_per_s: 10.0 },
            Phase { from: SimTime::from_secs(20), rate_per_s: 0.0 },
        ];
        let schedule = RateSchedule { base_per_s: 100.0, phases };
        let times = arrivals(&schedule, 30);
        let count = |from, to| {
            times.iter().filter(|t| t.as_secs_f64() >= from && t.as_secs_f64() < to).count()
        };
        assert!((900..1100).contains(&count(0.0, 10.0)), "{}", count(0.0, 10.0));
        assert!((60..140).contains(&count(10.0, 20.0)), "{}", count(10.0, 20.0));
        assert_eq!(count(20.0, 30.0), 0);
        assert_eq!(schedule.expected_arrivals(SimTime::from_secs(30)), 1100.0);
        assert_eq!(schedule.rate_at(SimTime::from_secs(15)), 10.0);
    }

    #[test]
    fn one_rate_is_a_plain_poisson_process() {
        // One exponential draw per arrival, nothing else: the same times as drawing the gaps
        // by hand, so adding phase support moved no existing workload.
        let times = arrivals(&RateSchedule::constant(50.0), 10);
        let mut rng = Prng::new(1, Stream::Workload);
        let mean = SimDuration::from_secs(1).mul_f64(1.0 / 50.0);
        let mut at = SimTime::ZERO;
        for &t in &times {
            at += rng.exponential(mean);
            assert_eq!(t, at);
        }
    }
}
