//! Watches the bank from outside: balances as they change, reads, debits per transfer, and
//! writes that replaced a version their client never saw. Each violation is one sentence
//! that explains it; metrics and the balance chart come from the same history.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{NodeId, SimTime};
use faultline_outcome::{Invariant, Metrics, Series, Violation};

use super::BankConfig;
use super::nodes::{BankObs, Ending};
use crate::setup::RunSetup;
use crate::stats::percentile;

/// Dollars and cents, with the sign in front: `-$100.00`.
pub(super) fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

fn transfer_name(id: u32) -> String {
    format!("T{}", id + 1)
}

/// The names in a list, as a sentence: "T1", "T1 and T2", "T1, T2 and T3".
fn listing(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub(super) struct Checker<'a> {
    setup: &'a RunSetup,
    accounts: Vec<String>,
    /// Where balances live: the bank, or each replica.
    stores: Vec<String>,
    initial_cents: Vec<i64>,
    /// Per store, per account.
    balances_cents: Vec<Vec<i64>>,
    /// Transfers each store has applied, and those approved anywhere, for stale reads.
    applied: BTreeSet<(u8, u32)>,
    approved: Vec<(u8, u32)>,
    stale_reads: u64,
    submitted: BTreeMap<u32, SimTime>,
    finished: BTreeMap<u32, (SimTime, Ending)>,
    /// Debits applied per transfer: more than one is a transfer applied twice.
    debits: BTreeMap<(u8, u32), u32>,
    /// Each transfer's source account, and its destination.
    sources: Vec<u8>,
    destinations: Vec<u8>,
    /// Credits applied per (store, transfer): a debit without one is a transfer left halfway.
    credited: BTreeSet<(u8, u32)>,
    /// Reads served, per account: (transfer, balance read).
    reads: BTreeMap<u8, Vec<(u32, i64)>>,
    min_cents: i64,
    last_change: SimTime,
    /// The source account's balance over time in dollars, per store.
    source_points: Vec<Vec<(f64, f64)>>,
    /// All accounts together at the first store, in dollars, as steps.
    total_points: Vec<(f64, f64)>,
    /// Whether the scenario draws balances (a contention run does not).
    draws_balances: bool,
    overdrawn: Vec<(u8, u8)>,
    lost_updates: u64,
    write_attempts: u64,
    /// Reported once per run, whenever it is first seen.
    conservation_broken: bool,
    /// The transfer that last changed each account, per store: a lost update's other story.
    changed_by: BTreeMap<(u8, u8), u32>,
    violations: Vec<Violation>,
    /// Overdraft violations whose sentence is written at the end, when the account's lowest
    /// balance is known: (index in `violations`, store, account).
    overdraft_stories: Vec<(usize, usize, u8)>,
    /// The lowest balance each (store, account) reached.
    lowest_cents: BTreeMap<(usize, u8), i64>,
}

/// How a run's transfers ended and what they did to the money, for its verdict.
struct Books {
    /// Money created (negative: destroyed), at the store that strays furthest.
    created: i64,
    worst: usize,
    applied_twice: usize,
    submitted: usize,
    committed: usize,
    rejected: usize,
}

pub(super) struct Summary {
    pub metrics: BTreeMap<String, f64>,
    pub violations: Vec<Violation>,
    pub series: Vec<Series>,
    pub verdict: String,
}

impl<'a> Checker<'a> {
    pub(super) fn new(config: &BankConfig, setup: &'a RunSetup) -> Checker<'a> {
        let initial_cents: Vec<i64> = config.accounts.iter().map(|(_, c)| *c).collect();
        let source = initial_cents.first().copied().unwrap_or(0);
        let stores = config.stores();
        Checker {
            setup,
            accounts: config.accounts.iter().map(|(name, _)| name.clone()).collect(),
            balances_cents: vec![initial_cents.clone(); stores.len()],
            source_points: vec![vec![(0.0, source as f64 / 100.0)]; stores.len()],
            total_points: vec![(0.0, initial_cents.iter().sum::<i64>() as f64 / 100.0)],
            draws_balances: config.contention.is_empty(),
            stores,
            applied: BTreeSet::new(),
            approved: Vec::new(),
            stale_reads: 0,
            min_cents: initial_cents.iter().copied().min().unwrap_or(0),
            initial_cents,
            submitted: BTreeMap::new(),
            finished: BTreeMap::new(),
            debits: BTreeMap::new(),
            sources: config.transfers.iter().map(|t| t.from as u8).collect(),
            destinations: config.transfers.iter().map(|t| t.to as u8).collect(),
            credited: BTreeSet::new(),
            reads: BTreeMap::new(),
            last_change: SimTime::ZERO,
            overdrawn: Vec::new(),
            lost_updates: 0,
            write_attempts: 0,
            conservation_broken: false,
            changed_by: BTreeMap::new(),
            violations: Vec::new(),
            overdraft_stories: Vec::new(),
            lowest_cents: BTreeMap::new(),
        }
    }

    /// Reports a broken invariant at `store`, about the transfers in `about` (their stories).
    fn violation(
        &mut self,
        invariant: Invariant,
        at: SimTime,
        store: usize,
        detail: String,
        about: &[u32],
    ) {
        if self.setup.checks(invariant) {
            let node = &self.stores[store];
            let violation = Violation::new(invariant, at, node, detail);
            let violation =
                about.iter().fold(violation, |v, &transfer| v.about(u64::from(transfer)));
            self.violations.push(violation);
        }
    }

    pub(super) fn observe(&mut self, at: SimTime, _node: NodeId, obs: BankObs) {
        match obs {
            BankObs::Submitted { transfer } => {
                self.submitted.insert(transfer, at);
            }
            BankObs::Finished { transfer, ending } => {
                self.finished.insert(transfer, (at, ending));
                // With nothing in flight the books must balance: check now, not only at the
                // end, so money created and later destroyed again does not go unseen.
                if self.finished.len() == self.submitted.len() && self.stores.len() == 1 {
                    self.check_conservation(at, 0);
                }
            }
            BankObs::Read { transfer, acct, cents } => {
                self.reads.entry(acct).or_default().push((transfer, cents));
            }
            BankObs::WriteAttempt => self.write_attempts += 1,
            BankObs::Approved { transfer, store, ok } => {
                // A replica that approves while a transfer approved elsewhere has not reached
                // it yet decided on a stale balance.
                if ok {
                    let behind = self
                        .approved
                        .iter()
                        .any(|&(other, t)| other != store && !self.applied.contains(&(store, t)));
                    self.stale_reads += u64::from(behind);
                    self.approved.push((store, transfer));
                }
            }
            BankObs::Changed { transfer, store, acct, cents } => {
                // A debit is a change to the transfer's source account, whatever its sign:
                // a stale absolute write may even raise it.
                let debit = self.sources.get(transfer as usize) == Some(&acct);
                if self.destinations.get(transfer as usize) == Some(&acct) {
                    self.credited.insert((store, transfer));
                }
                let (s, i) = (store as usize, acct as usize);
                self.balances_cents[s][i] = cents;
                self.applied.insert((store, transfer));
                self.changed_by.insert((store, acct), transfer);
                self.min_cents = self.min_cents.min(cents);
                let lowest = self.lowest_cents.entry((s, acct)).or_insert(cents);
                *lowest = (*lowest).min(cents);
                self.last_change = at;
                // A balance holds until it changes: draw a step, not a slope.
                let step = |points: &mut Vec<(f64, f64)>, usd: f64| {
                    let held = points.last().map_or(0.0, |&(_, y)| y);
                    points.push((at.as_secs_f64(), held));
                    points.push((at.as_secs_f64(), usd));
                };
                if i == 0 {
                    step(&mut self.source_points[s], cents as f64 / 100.0);
                }
                if s == 0 {
                    let total_cents: i64 = self.balances_cents[0].iter().sum();
                    step(&mut self.total_points, total_cents as f64 / 100.0);
                }
                if debit {
                    let count = self.debits.entry((store, transfer)).or_insert(0);
                    *count += 1;
                    if *count == 2 {
                        let detail = format!(
                            "{} was applied twice: its debit of {} landed a second time (an \
                             answer was lost and the retry was taken for a new transfer)",
                            transfer_name(transfer),
                            self.accounts[i]
                        );
                        self.violation(super::EXACTLY_ONCE, at, s, detail, &[transfer]);
                    }
                }
                if cents < 0 && !self.overdrawn.contains(&(store, acct)) {
                    self.overdrawn.push((store, acct));
                    // The transfers whose debits took it below zero here.
                    let debited: Vec<u32> = self
                        .debits
                        .keys()
                        .filter(|&&(st, _)| st == store)
                        .map(|&(_, t)| t)
                        .collect();
                    // Written at the end: later debits may take it lower still.
                    let before = self.violations.len();
                    self.violation(super::NO_NEGATIVE_BALANCE, at, s, String::new(), &debited);
                    if self.violations.len() > before {
                        self.overdraft_stories.push((before, s, acct));
                    }
                }
            }
            BankObs::LostUpdate { transfer, acct, base_version, version } => {
                self.lost_updates += 1;
                let detail = format!(
                    "{} wrote {} from its read of version {base_version}, but {} was at version \
                     {version}: the update in between was lost",
                    transfer_name(transfer),
                    self.accounts[acct as usize],
                    self.accounts[acct as usize]
                );
                // The writer, and the transfer whose update it overwrote.
                let overwritten = self.changed_by.get(&(0, acct)).copied();
                let about: Vec<u32> = [Some(transfer), overwritten].into_iter().flatten().collect();
                self.violation(super::NO_LOST_UPDATE, at, 0, detail, &about);
            }
        }
    }

    /// "Account X = …, Y = …": a store's balances, for sentences.
    fn holdings(&self, store: usize) -> String {
        self.accounts
            .iter()
            .zip(&self.balances_cents[store])
            .map(|(name, &c)| format!("{name} = {}", dollars(c)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Reports money created or destroyed at `store`, once per run.
    fn check_conservation(&mut self, at: SimTime, store: usize) {
        let initial: i64 = self.initial_cents.iter().sum();
        let total: i64 = self.balances_cents[store].iter().sum();
        if total == initial || self.conservation_broken {
            return;
        }
        self.conservation_broken = true;
        let created = total - initial;
        let verb = if created > 0 { "created" } else { "destroyed" };
        let place = if self.stores.len() > 1 {
            format!(" at {}", self.stores[store])
        } else {
            String::new()
        };
        let halfway = self.halfway(store);
        let detail = format!(
            "{} was {verb}{place}: the accounts hold {} where {} began ({}){}",
            dollars(created.abs()),
            dollars(total),
            dollars(initial),
            self.holdings(store),
            self.halfway_story(&halfway).map_or(String::new(), |story| format!("; {story}")),
        );
        self.violation(super::CONSERVATION, at, store, detail, &halfway);
    }

    /// The transfers whose debit landed at `store` and whose credit never did.
    fn halfway(&self, store: usize) -> Vec<u32> {
        let store = store as u8;
        let debited = self.debits.keys().filter(|&&(s, _)| s == store).map(|&(_, t)| t);
        debited.filter(|&t| !self.credited.contains(&(store, t))).collect()
    }

    /// "T3 was given up between its debit and its credit", or `None` when none was.
    fn halfway_story(&self, halfway: &[u32]) -> Option<String> {
        let names: Vec<String> = halfway.iter().map(|&t| transfer_name(t)).collect();
        let (verb, its) = if names.len() == 1 { ("was", "its") } else { ("were", "their") };
        (!names.is_empty()).then(|| {
            format!("{} {verb} left between {its} debit and {its} credit", listing(&names))
        })
    }

    /// "r1 approved T1 and r3 approved T2, each against its own copy of X; once the updates
    /// crossed, r2 had X = -$100.00".
    fn replicated_overdraft_story(&self, store: usize, acct: u8, cents: i64) -> String {
        let approvals: Vec<String> = self
            .approved
            .iter()
            .map(|&(s, t)| format!("{} approved {}", self.stores[s as usize], transfer_name(t)))
            .collect();
        let name = &self.accounts[acct as usize];
        format!(
            "{}, each against its own copy of {name}; once the updates crossed, {} had {name} = {}",
            listing(&approvals),
            self.stores[store],
            dollars(cents)
        )
    }

    /// "T1 and T2 both read $100.00 at X, both passed the check and debited it: X fell to
    /// -$100.00", or "T1, T2 and T3 all read …, all three passed …".
    fn overdraft_story(&self, acct: u8, cents: i64) -> String {
        let name = &self.accounts[acct as usize];
        let readers: Vec<(u32, i64)> = self
            .reads
            .get(&acct)
            .map(|reads| {
                let mut seen: Vec<(u32, i64)> = Vec::new();
                for &(t, c) in reads {
                    if !seen.iter().any(|&(s, _)| s == t) {
                        seen.push((t, c));
                    }
                }
                seen.sort_by_key(|&(t, _)| t);
                seen
            })
            .unwrap_or_default();
        let debited: Vec<String> = self
            .debits
            .keys()
            .map(|&(_, t)| t)
            .collect::<BTreeSet<u32>>()
            .into_iter()
            .map(transfer_name)
            .collect();
        match readers.as_slice() {
            [(_, first), rest @ ..] if !rest.is_empty() && rest.iter().all(|(_, c)| c == first) => {
                let names: Vec<String> = readers.iter().map(|&(t, _)| transfer_name(t)).collect();
                let (all, each) = match names.len() {
                    2 => ("both".to_owned(), "both".to_owned()),
                    3 => ("all".to_owned(), "all three".to_owned()),
                    n => ("all".to_owned(), format!("all {n}")),
                };
                format!(
                    "{} {all} read {} at {name}, {each} passed the check and debited it: {name} \
                     fell to {}",
                    listing(&names),
                    dollars(*first),
                    dollars(cents)
                )
            }
            _ => {
                format!("{name} fell to {} after {} debited it", dollars(cents), listing(&debited))
            }
        }
    }

    /// One sentence on the run: the worst thing that happened to the money, or that nothing did.
    fn verdict(&self, b: &Books, latencies_ns: &[u64]) -> String {
        if self.min_cents < 0 {
            format!(
                "overdrew: the lowest balance was {}; {}",
                dollars(self.min_cents),
                self.violations
                    .iter()
                    .find(|v| v.invariant == super::NO_NEGATIVE_BALANCE.id)
                    .map_or(String::new(), |v| v.detail.clone())
            )
        } else if b.created > 0 {
            let cause = if self.lost_updates > 0 { ": a lost update" } else { "" };
            format!("created {} out of thin air{cause}", dollars(b.created))
        } else if b.created < 0 {
            let halfway = self.halfway_story(&self.halfway(b.worst));
            let cause = halfway.map_or(String::new(), |story| format!(": {story}"));
            format!("destroyed {}{cause}", dollars(-b.created))
        } else if b.applied_twice > 0 {
            format!("applied {} of {} transfers twice", b.applied_twice, b.submitted)
        } else if let Some(first) = self.violations.first() {
            format!("broke {}: {}", first.invariant, first.detail)
        } else {
            let p99 = if latencies_ns.is_empty() {
                String::new()
            } else {
                format!("; p99 {:.0} ms", percentile(latencies_ns, 99.0) as f64 / 1e6)
            };
            format!(
                "kept every balance whole: {} committed, {} refused for \
                 insufficient funds, {} unavailable{p99}",
                b.committed,
                b.rejected,
                b.submitted - b.committed - b.rejected
            )
        }
    }

    pub(super) fn finish(mut self, end: SimTime, variant: &str, _names: &[String]) -> Summary {
        for &(index, store, acct) in &self.overdraft_stories {
            let lowest = self.lowest_cents[&(store, acct)];
            self.violations[index].detail = if self.stores.len() > 1 {
                self.replicated_overdraft_story(store, acct, lowest)
            } else {
                self.overdraft_story(acct, lowest)
            };
        }
        let initial: i64 = self.initial_cents.iter().sum();
        // The store whose total strays furthest from the opening total.
        let (worst, total) = self
            .balances_cents
            .iter()
            .map(|b| b.iter().sum::<i64>())
            .enumerate()
            .max_by_key(|&(_, total)| (total - initial).abs())
            .unwrap_or((0, initial));
        let created = total - initial;
        self.check_conservation(self.last_change, worst);
        let diverged =
            (1..self.stores.len()).find(|&s| self.balances_cents[s] != self.balances_cents[0]);
        if let Some(diverged) = diverged {
            let (first, other) = (self.holdings(0), self.holdings(diverged));
            let detail = format!(
                "the replicas still disagree when the run ends: {} has {first}, {} has {other}",
                self.stores[0], self.stores[diverged],
            );
            self.violation(super::REPLICA_CONVERGENCE, end, diverged, detail, &[]);
        }

        let count = |ending: Ending| self.finished.values().filter(|(_, e)| *e == ending).count();
        let submitted = self.submitted.len();
        let (committed, rejected) = (count(Ending::Committed), count(Ending::Rejected));
        // A transfer that never finished (the run ended first) counts as unavailable.
        let unavailable = submitted - committed - rejected;
        let mut latencies_ns: Vec<u64> = self
            .finished
            .iter()
            .filter_map(|(t, (at, _))| self.submitted.get(t).map(|s| at.since(*s).as_nanos()))
            .collect();
        latencies_ns.sort_unstable();
        let applied_twice = self
            .debits
            .iter()
            .filter(|&(_, &n)| n > 1)
            .map(|(&(_, t), _)| t)
            .collect::<BTreeSet<u32>>()
            .len();

        let mut metrics = Metrics::default();
        metrics.put(super::TRANSFERS_SUBMITTED, submitted as f64);
        metrics.put(super::TRANSFERS_COMMITTED, committed as f64);
        metrics.put(super::TRANSFERS_REJECTED, rejected as f64);
        metrics.put(super::TRANSFERS_UNAVAILABLE, unavailable as f64);
        // Nothing submitted, nothing finished: no availability and no latency to speak of.
        if submitted > 0 {
            let available = (committed + rejected) as f64 / submitted as f64;
            metrics.put(super::AVAILABILITY, available);
        }
        if !latencies_ns.is_empty() {
            let ms = |p: f64| percentile(&latencies_ns, p) as f64 / 1e6;
            metrics.put(super::LATENCY_P50_MS, ms(50.0));
            metrics.put(super::LATENCY_P99_MS, ms(99.0));
        }
        metrics.put(super::BALANCE_MIN, self.min_cents as f64);
        metrics.put(super::MONEY_CREATED, created as f64);
        metrics.put(super::TRANSFERS_APPLIED_TWICE, applied_twice as f64);
        metrics.put(super::UPDATES_LOST, self.lost_updates as f64);
        metrics.put(super::READS_STALE, self.stale_reads as f64);
        metrics.put(super::CALLS_TOTAL, self.write_attempts as f64);
        let first_start = self.submitted.values().min().copied();
        let last_end = self.finished.values().map(|&(at, _)| at).max();
        if let (Some(start), Some(end)) = (first_start, last_end) {
            metrics.put(super::COMPLETION_S, end.since(start).as_secs_f64());
        }

        self.violations.sort_by_key(|v| v.at);
        let books = Books { created, worst, applied_twice, submitted, committed, rejected };
        let verdict = self.verdict(&books, &latencies_ns);
        let replicated = self.stores.len() > 1;
        let to_end = |mut points: Vec<(f64, f64)>| {
            if let Some(&(_, last)) = points.last() {
                points.push((end.as_secs_f64(), last));
            }
            points
        };
        // A contention run draws no balances (see `Bank::charts`).
        let mut series: Vec<Series> = Vec::new();
        if self.draws_balances {
            series.extend(self.source_points.into_iter().zip(&self.stores).map(
                |(points, store)| {
                    if replicated {
                        let chart = super::BALANCE.for_variant(variant);
                        Series::labelled(&chart, store, to_end(points))
                    } else {
                        Series::new(super::BALANCE, to_end(points))
                    }
                },
            ));
            if !replicated {
                series.push(Series::new(super::TOTAL, to_end(self.total_points)));
            }
        }

        Summary { metrics: metrics.into_map(), violations: self.violations, series, verdict }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_read_like_money() {
        assert_eq!(dollars(10_000), "$100.00");
        assert_eq!(dollars(-10_000), "-$100.00");
        assert_eq!(dollars(5), "$0.05");
    }

    #[test]
    fn listings_read_like_sentences() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(listing(&names(&["T1"])), "T1");
        assert_eq!(listing(&names(&["T1", "T2"])), "T1 and T2");
        assert_eq!(listing(&names(&["T1", "T2", "T3"])), "T1, T2 and T3");
    }
}
