//! Virtual time: integer nanoseconds, never floats, never the wall clock.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of virtual time, in nanoseconds since the start of the run.
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of virtual time, in nanoseconds.
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_nanos(ns: u64) -> SimTime {
        SimTime(ns)
    }
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(NS_PER_MS))
    }
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s.saturating_mul(NS_PER_S))
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds as a float: for reports and charts only, never for decisions.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_nanos(ns: u64) -> SimDuration {
        SimDuration(ns)
    }
    pub const fn from_micros(us: u64) -> SimDuration {
        SimDuration(us.saturating_mul(NS_PER_US))
    }
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms.saturating_mul(NS_PER_MS))
    }
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s.saturating_mul(NS_PER_S))
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Milliseconds as a float: for reports and charts only.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NS_PER_MS as f64
    }
    /// Seconds as a float: for reports and charts only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
    /// Scales by a float factor (backoff multipliers), rounding down and saturating.
    pub fn mul_f64(self, factor: f64) -> SimDuration {
        let ns = self.0 as f64 * factor;
        if ns >= u64::MAX as f64 { SimDuration(u64::MAX) } else { SimDuration(ns.max(0.0) as u64) }
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

/// A time or duration for people, in messages: exact when it is a whole number of
/// milliseconds or more (`250ms`, `3s`, `2m`, as scenario files write them), otherwise
/// rounded to three decimals of the largest unit under it (`1.185 s`, `12.346 ms`, `3.5 us`). `Display`
/// stays exact because schedules printed as scenario text must read back the same.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Human(u64);

impl SimDuration {
    /// This duration for an error message or a table: see [`Human`].
    pub fn human(self) -> Human {
        Human(self.0)
    }
}

impl SimTime {
    /// This time for an error message or a table: see [`Human`].
    pub fn human(self) -> Human {
        Human(self.0)
    }
}

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns % NS_PER_MS == 0 {
            return fmt_ns(ns, f);
        }
        // Integer rounding to three decimals of the largest unit that is at least 1.
        let (per, unit) = if ns >= NS_PER_S {
            (NS_PER_S, "s")
        } else if ns >= NS_PER_MS {
            (NS_PER_MS, "ms")
        } else if ns >= NS_PER_US {
            (NS_PER_US, "us")
        } else {
            return write!(f, "{ns} ns");
        };
        let thousandths = (u128::from(ns) * 1000 + u128::from(per) / 2) / u128::from(per);
        let text = format!("{}.{:03}", thousandths / 1000, thousandths % 1000);
        write!(f, "{} {unit}", text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Renders as the shortest exact unit: `250ms`, `3s`, `1500us`, `7ns`.
fn fmt_ns(ns: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if ns == 0 {
        return write!(f, "0s");
    }
    for (unit, per) in [("m", 60 * NS_PER_S), ("s", NS_PER_S), ("ms", NS_PER_MS), ("us", NS_PER_US)]
    {
        if ns % per == 0 {
            return write!(f, "{}{unit}", ns / per);
        }
    }
    write!(f, "{ns}ns")
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}

impl fmt::Debug for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ns(self.0, f)
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t=")?;
        fmt_ns(self.0, f)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_durations_round_what_is_not_whole_milliseconds() {
        use super::SimDuration;
        let human = |ns: u64| SimDuration::from_nanos(ns).human().to_string();
        assert_eq!(human(1_185_098_539), "1.185 s");
        assert_eq!(human(12_345_678), "12.346 ms");
        assert_eq!(human(3_500), "3.5 us");
        assert_eq!(human(7), "7 ns");
        assert_eq!(human(250_000_000), "250ms");
        assert_eq!(human(3_000_000_000), "3s");
        assert_eq!(human(2_000_000_001), "2 s");
    }

    use super::*;

    #[test]
    fn durations_render_in_the_largest_exact_unit() {
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(3).to_string(), "3s");
        assert_eq!(SimDuration::from_secs(120).to_string(), "2m");
        assert_eq!(SimDuration::from_micros(1500).to_string(), "1500us");
        assert_eq!(SimDuration::from_nanos(7).to_string(), "7ns");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!(SimTime::ZERO.since(SimTime::from_secs(1)), SimDuration::ZERO);
    }
}
