//! An exact sum of floats (Shewchuk's partials, as Python's `math.fsum`), so that a sweep's
//! metric means do not depend on how its seeds were split: shards summed apart and then
//! merged give the same exact sum as one pass in seed order, and so the same rounded mean,
//! to the last bit.

/// The exact sum of the finite numbers added so far, held as non-overlapping partials in
/// ascending magnitude, and the plain sum of the rest (infinities and NaN, which no partial
/// can hold).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExactSum {
    partials: Vec<f64>,
    non_finite: f64,
}

impl ExactSum {
    pub fn of(value: f64) -> ExactSum {
        let mut sum = ExactSum::default();
        sum.add(value);
        sum
    }

    /// Rebuilds a sum from what [`ExactSum::parts`] returned.
    pub fn from_parts(partials: Vec<f64>, non_finite: f64) -> ExactSum {
        let mut sum = ExactSum { partials: Vec::new(), non_finite };
        // Added one by one, so whatever was read (even partials out of order) is an exact sum
        // again.
        for partial in partials {
            sum.add(partial);
        }
        sum
    }

    /// The partials and the sum of the non-finite numbers, for a shard file.
    pub fn parts(&self) -> (&[f64], f64) {
        (&self.partials, self.non_finite)
    }

    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            self.non_finite += value;
            return;
        }
        let mut x = value;
        let mut kept = 0;
        for index in 0..self.partials.len() {
            let mut y = self.partials[index];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            // Two-sum: `high + low` is exactly `x + y`.
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        self.partials.truncate(kept);
        if x.is_finite() {
            self.partials.push(x);
        } else {
            // Finite numbers whose sum passes f64::MAX: no float holds it, so it counts as
            // the infinity every plain sum would reach.
            self.non_finite += x;
        }
    }

    /// Adds every number `other` holds: the exact sum of both.
    pub fn merge(&mut self, other: &ExactSum) {
        for &partial in &other.partials {
            self.add(partial);
        }
        self.non_finite += other.non_finite;
    }

    /// The exact sum rounded once to the nearest float (ties to even), or the infinity or NaN
    /// it holds.
    pub fn value(&self) -> f64 {
        if self.non_finite != 0.0 || self.non_finite.is_nan() {
            return self.non_finite;
        }
        let partials = &self.partials;
        let Some(mut index) = partials.len().checked_sub(1) else {
            return 0.0;
        };
        let mut high = partials[index];
        let mut low = 0.0;
        // Add from the largest partial down until the sum is no longer exact.
        while index > 0 {
            let x = high;
            index -= 1;
            let y = partials[index];
            high = x + y;
            low = y - (high - x);
            if low != 0.0 {
                break;
            }
        }
        // A tie broken to even by the last addition may not be a tie once the partials below
        // are counted: round the other way when they push past the halfway point.
        if index > 0
            && ((low < 0.0 && partials[index - 1] < 0.0)
                || (low > 0.0 && partials[index - 1] > 0.0))
        {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
        high
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(values: &[f64]) -> f64 {
        let mut sum = ExactSum::default();
        values.iter().for_each(|&v| sum.add(v));
        sum.value()
    }

    #[test]
    fn sums_are_exact_where_a_plain_sum_is_not() {
        assert_eq!(0.1 + 0.2 + 0.3, 0.6000000000000001);
        assert_eq!(sum(&[0.1, 0.2, 0.3]), 0.6);
        assert_eq!(sum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[2.5]), 2.5);
        // The halfway case: 1 + 2^-53 is a tie that the tiny partial below breaks upward.
        assert_eq!(sum(&[1.0, f64::EPSILON / 2.0, f64::EPSILON / 1e10]), 1.0 + f64::EPSILON);
    }

    #[test]
    fn infinities_and_nan_are_what_a_plain_sum_gives() {
        assert_eq!(sum(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(sum(&[f64::INFINITY, 3.0, f64::NEG_INFINITY]).is_nan());
        assert_eq!(sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
    }

    #[test]
    fn any_split_merges_to_the_same_bits() {
        // Values of mixed magnitude and sign, whose plain sums depend on the order.
        let values: Vec<f64> = (0..500u32)
            .map(|i| {
                let x = f64::from(i.wrapping_mul(2_654_435_761) % 10_007) / 7.0;
                if i % 3 == 0 { -x * 1e-3 } else { x * 1e6 }
            })
            .collect();
        let whole = sum(&values);
        for parts in [2, 3, 7, 499] {
            let mut merged = ExactSum::default();
            for chunk in values.chunks(values.len().div_ceil(parts)) {
                let mut part = ExactSum::default();
                chunk.iter().for_each(|&v| part.add(v));
                let (partials, non_finite) = part.parts();
                merged.merge(&ExactSum::from_parts(partials.to_vec(), non_finite));
            }
            assert_eq!(merged.value().to_bits(), whole.to_bits(), "{parts} parts");
        }
    }
}
