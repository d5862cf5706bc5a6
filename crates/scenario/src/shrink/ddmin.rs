//! Delta debugging (Zeller and Hildebrandt's ddmin) and the binary searches `shrink` uses to
//! make each remaining value smaller: generic over what is tried, and deterministic.

/// The smallest part of `items` (in their order) that `fails` still holds for, found with
/// ddmin: try each of `n` chunks alone, then each complement, and split finer when neither
/// fails. The result is 1-minimal: dropping any one item from it makes `fails` false (as far
/// as `fails` answers; one that has run out of tries answers false, and the search ends
/// with what it has). `fails(items)` is assumed true and not asked; the empty list is asked
/// first, since ddmin alone never gets below one item.
pub(crate) fn ddmin<T: Clone>(items: &[T], fails: &mut impl FnMut(&[T]) -> bool) -> Vec<T> {
    if items.is_empty() || fails(&[]) {
        return Vec::new();
    }
    let mut current = items.to_vec();
    let mut n = 2;
    while current.len() >= 2 {
        let chunks = split(&current, n);
        if let Some(chunk) = chunks.iter().find(|chunk| fails(chunk)) {
            current = chunk.clone();
            n = 2;
            continue;
        }
        // With two chunks, each complement is the other chunk, already tried.
        let complement = (n > 2)
            .then(|| {
                (0..chunks.len())
                    .map(|skip| {
                        let rest = chunks.iter().enumerate().filter(|(i, _)| *i != skip);
                        rest.flat_map(|(_, chunk)| chunk.iter().cloned()).collect::<Vec<T>>()
                    })
                    .find(|rest| fails(rest))
            })
            .flatten();
        if let Some(rest) = complement {
            current = rest;
            n = (n - 1).max(2);
            continue;
        }
        if n >= current.len() {
            break;
        }
        n = (2 * n).min(current.len());
    }
    current
}

/// `items` in `n` consecutive chunks whose sizes differ by at most one.
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let (size, extra) = (items.len() / n, items.len() % n);
    let mut chunks = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let len = size + usize::from(i < extra);
        chunks.push(items[start..start + len].to_vec());
        start += len;
    }
    chunks
}

/// The smallest `k` in `low..=high` for which `fails(k)` holds, by binary search: `fails` is
/// assumed to hold at `high` (not asked) and, past some point, everywhere above it.
pub(crate) fn smallest_failing(low: u64, high: u64, fails: &mut impl FnMut(u64) -> bool) -> u64 {
    let (mut low, mut high) = (low.min(high), high);
    while low < high {
        let middle = low + (high - low) / 2;
        if fails(middle) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    high
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when every item of `needed` is present; counts the tries.
    fn needs<'a>(needed: &'static [u32], tries: &'a mut u32) -> impl FnMut(&[u32]) -> bool + 'a {
        move |items: &[u32]| {
            *tries += 1;
            needed.iter().all(|n| items.contains(n))
        }
    }

    #[test]
    fn ddmin_finds_the_one_item_that_matters() {
        let items: Vec<u32> = (0..16).collect();
        let mut tries = 0;
        assert_eq!(ddmin(&items, &mut needs(&[11], &mut tries)), [11]);
        // About log2(16) halvings, not one try per subset.
        assert!(tries <= 12, "{tries} tries");
    }

    #[test]
    fn ddmin_keeps_items_that_only_fail_together_in_their_order() {
        let items: Vec<u32> = (0..10).collect();
        let mut tries = 0;
        assert_eq!(ddmin(&items, &mut needs(&[7, 2, 5], &mut tries)), [2, 5, 7]);
    }

    #[test]
    fn ddmin_returns_nothing_when_nothing_is_needed() {
        let mut tries = 0;
        assert_eq!(ddmin(&[1, 2, 3], &mut needs(&[], &mut tries)), Vec::<u32>::new());
        assert_eq!(tries, 1, "the empty list is tried first");
        assert_eq!(ddmin(&[] as &[u32], &mut needs(&[], &mut tries)), Vec::<u32>::new());
    }

    #[test]
    fn ddmin_result_is_one_minimal() {
        // Fails when at least two even numbers are present: any pair of evens is minimal.
        let items: Vec<u32> = (0..9).collect();
        let mut fails = |items: &[u32]| items.iter().filter(|n| *n % 2 == 0).count() >= 2;
        let result = ddmin(&items, &mut fails);
        assert_eq!(result.len(), 2, "{result:?}");
        assert!(fails(&result));
        for drop in 0..result.len() {
            let mut smaller = result.clone();
            smaller.remove(drop);
            assert!(!fails(&smaller), "{smaller:?} still fails");
        }
    }

    #[test]
    fn ddmin_stops_with_what_it_has_when_tries_run_out() {
        let items: Vec<u32> = (0..32).collect();
        let mut left = 3;
        let mut fails = |items: &[u32]| {
            if left == 0 {
                return false;
            }
            left -= 1;
            items.contains(&30)
        };
        let result = ddmin(&items, &mut fails);
        assert!(result.contains(&30) && result.len() > 1, "{result:?}");
    }

    #[test]
    fn ddmin_is_deterministic() {
        let items: Vec<u32> = (0..40).collect();
        let run = || {
            let mut seen = Vec::new();
            let mut fails = |items: &[u32]| {
                seen.push(items.to_vec());
                items.iter().sum::<u32>() > 300
            };
            (ddmin(&items, &mut fails), seen)
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn binary_search_finds_the_threshold() {
        let mut tries = 0;
        let mut fails = |k: u64| {
            tries += 1;
            k >= 37
        };
        assert_eq!(smallest_failing(1, 1000, &mut fails), 37);
        assert!(tries <= 10, "{tries}");
        assert_eq!(smallest_failing(5, 5, &mut |_| unreachable!("the top is not asked")), 5);
        assert_eq!(smallest_failing(0, 8, &mut |_| false), 8, "only the top fails");
    }
}
