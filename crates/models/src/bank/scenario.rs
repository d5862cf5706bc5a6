//! The bank model's part of a scenario file, as written (accounts, clients, transfers and
//! each variant's strategy), and its validation.

use faultline_engine::{SimDuration, SimTime};
use serde::Deserialize;

use super::{BankConfig, BankPolicy, Replication, Strategy, TransferRetry, TransferSpec};
use crate::check::{
    Check,
    Step::{self, Field, Index},
    suggestion,
};
use crate::raw::{Dur, RawBackoff};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Bank")]
pub struct RawBank {
    /// (name, opening balance in cents).
    pub accounts: Vec<(String, i64)>,
    pub transfers: Vec<RawTransfer>,
    #[serde(default = "zero")]
    pub start_jitter: Dur,
    #[serde(default = "zero")]
    pub think_time: Dur,
    pub request_timeout: Dur,
    #[serde(default = "default_lease")]
    pub lease: Dur,
    #[serde(default)]
    pub replication: Option<RawReplication>,
    /// Contention curves: client counts to rerun the first transfer with.
    #[serde(default)]
    pub contention: Vec<u32>,
}

/// Replicated accounts: the replicas' names, and which replica each client talks to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Replication")]
pub struct RawReplication {
    pub replicas: Vec<String>,
    pub attach: Vec<(String, String)>,
}

fn zero() -> Dur {
    Dur(SimDuration::ZERO)
}

fn default_lease() -> Dur {
    Dur(SimDuration::from_secs(1))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Transfer")]
pub struct RawTransfer {
    pub client: String,
    pub from: String,
    pub to: String,
    /// In cents.
    pub amount: i64,
    pub at: Dur,
    /// The same transfer this many times, `every` apart (a client's steady stream).
    #[serde(default = "one")]
    pub repeat: u32,
    #[serde(default = "zero")]
    pub every: Dur,
    /// Made at once by this many clients, `<client>-1` … `<client>-N` (a hot account).
    #[serde(default = "one")]
    pub clients: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Bank")]
pub struct RawBankPolicy {
    pub strategy: RawStrategy,
    #[serde(default)]
    pub retry: Option<RawTransferRetry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Strategy")]
pub enum RawStrategy {
    CheckThenDebit,
    ReadModifyWrite,
    Atomic,
    CompareAndSet {
        max_attempts: u32,
        backoff: RawBackoff,
    },
    LockLease {
        fencing: bool,
        /// The debit and the credit as one transaction at the bank (default: two requests).
        #[serde(default)]
        transaction: bool,
        max_attempts: u32,
        backoff: RawBackoff,
    },
    SingleWriter,
    AsyncReplication,
    SyncPrimary {
        primary: String,
    },
    Quorum,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "TransferRetry")]
pub struct RawTransferRetry {
    pub max_attempts: u32,
    pub backoff: RawBackoff,
    pub idempotency_key: bool,
}

const MAX_TRANSFERS: usize = 10_000;
const MAX_CONTENDERS: u32 = 1_000;
const MAX_ATTEMPTS: u32 = 1_000;
/// $1,000,000,000.00: an opening balance or an amount at most this keeps every sum of the
/// run in an `i64` (all accounts, plus every attempt of every transfer debited at once:
/// 255 × 10^11 + 10^4 × 10^3 × 10^11 < 2^63), so no overflow can pass for an overdraft.
const MAX_CENTS: i64 = 100_000_000_000;

pub(super) fn config(raw: &RawBank, end: SimDuration, c: &mut Check) -> BankConfig {
    let p = |path: &[Step]| path.to_vec();
    if raw.accounts.len() < 2 || raw.accounts.len() > 255 {
        let message = "a bank needs 2 to 255 accounts: money has to move somewhere".to_string();
        c.error(&p(&[Field("accounts")]), message, None);
    }
    let mut accounts: Vec<(String, i64)> = Vec::new();
    for (i, (name, cents)) in raw.accounts.iter().enumerate() {
        let at = p(&[Field("accounts"), Index(i)]);
        if accounts.iter().any(|(n, _)| n == name) {
            c.error(&at, format!("account `{name}` is listed twice"), None);
        }
        if *cents < 0 {
            c.error(&at, format!("account `{name}` cannot open below zero"), None);
        } else if *cents > MAX_CENTS {
            let message = format!("account `{name}` may open with at most {MAX_CENTS} cents");
            c.error(&at, message, None);
        }
        accounts.push((name.clone(), *cents));
    }
    let account_names: Vec<&str> = accounts.iter().map(|(n, _)| n.as_str()).collect();

    let count: u64 = raw.transfers.iter().map(|t| u64::from(t.repeat) * u64::from(t.clients)).sum();
    if count == 0 || count > MAX_TRANSFERS as u64 {
        let message = format!("a bank scenario needs 1 to {MAX_TRANSFERS} transfers, not {count}");
        c.error(&p(&[Field("transfers")]), message, None);
    }
    let mut clients: Vec<String> = Vec::new();
    let mut transfers = Vec::new();
    for (i, t) in raw.transfers.iter().enumerate() {
        let at = |field| p(&[Field("transfers"), Index(i), Field(field)]);
        let account = |c: &mut Check, field, name: &str| {
            let found = account_names.iter().position(|n| *n == name);
            if found.is_none() {
                let help = suggestion(name, &account_names);
                c.error(&at(field), format!("unknown account `{name}`"), Some(help));
            }
            found.unwrap_or(0)
        };
        let from = account(c, "from", &t.from);
        let to = account(c, "to", &t.to);
        if t.from == t.to {
            c.error(&at("to"), "a transfer needs two different accounts".into(), None);
        }
        if t.amount <= 0 || t.amount > MAX_CENTS {
            let message = format!("amount must be 1 to {MAX_CENTS} cents, not {}", t.amount);
            c.error(&at("amount"), message, None);
        }
        if t.at.0 >= end {
            c.error(&at("at"), format!("the run ends at {}", end.human()), None);
        }
        let reserved = [super::BANK, super::LOCKS];
        if t.client.is_empty()
            || reserved.contains(&t.client.as_str())
            || account_names.contains(&t.client.as_str())
        {
            let message = format!(
                "`{}` cannot name a client (it is empty, a server or an account)",
                t.client
            );
            c.error(&at("client"), message, None);
        }
        if t.clients == 0 || t.clients > MAX_CONTENDERS {
            let message = format!("clients must be 1 to {MAX_CONTENDERS}, not {}", t.clients);
            c.error(&at("clients"), message, None);
        }
        // One client, or several of the same name with a number each.
        let names: Vec<String> = if t.clients <= 1 {
            vec![t.client.clone()]
        } else {
            (1..=t.clients.min(MAX_CONTENDERS)).map(|k| format!("{}-{k}", t.client)).collect()
        };
        for name in names {
            let client = match clients.iter().position(|n| *n == name) {
                Some(index) => index,
                None => {
                    clients.push(name);
                    clients.len() - 1
                }
            };
            if t.repeat > 1 && t.every.0 == SimDuration::ZERO {
                c.error(&at("every"), "repeated transfers need `every` above zero".into(), None);
            }
            let last = t.at.0 + t.every.0.mul_f64(f64::from(t.repeat.saturating_sub(1)));
            if t.repeat > 1 && last >= end {
                c.error(
                    &at("repeat"),
                    format!(
                        "the last repeat starts at {}, after the run ends at {}",
                        last.human(),
                        end.human()
                    ),
                    None,
                );
            }
            if count <= MAX_TRANSFERS as u64 {
                for k in 0..t.repeat {
                    transfers.push(TransferSpec {
                        client,
                        from,
                        to,
                        amount_cents: t.amount,
                        at: SimTime::ZERO + t.at.0 + t.every.0.mul_f64(f64::from(k)),
                    });
                }
            }
        }
    }
    if raw.request_timeout.0 == SimDuration::ZERO {
        c.error(
            &p(&[Field("request_timeout")]),
            "request_timeout must be longer than zero".into(),
            None,
        );
    }
    if raw.lease.0 == SimDuration::ZERO {
        c.error(&p(&[Field("lease")]), "a lease must last longer than zero".into(), None);
    }
    let (replicas, attach) = match &raw.replication {
        None => (Vec::new(), Vec::new()),
        Some(r) => {
            let at = |field| p(&[Field("replication"), Field(field)]);
            if r.replicas.len() < 2 || r.replicas.len() > 15 {
                c.error(&at("replicas"), "replication needs 2 to 15 replicas".into(), None);
            }
            let mut attach = vec![0; clients.len()];
            let names: Vec<&str> = r.replicas.iter().map(String::as_str).collect();
            for (client, replica) in &r.attach {
                let Some(ci) = clients.iter().position(|n| n == client) else {
                    let known: Vec<&str> = clients.iter().map(String::as_str).collect();
                    let help = suggestion(client, &known);
                    c.error(&at("attach"), format!("unknown client `{client}`"), Some(help));
                    continue;
                };
                match names.iter().position(|n| n == replica) {
                    Some(ri) => attach[ci] = ri,
                    None => {
                        let help = suggestion(replica, &names);
                        c.error(&at("attach"), format!("unknown replica `{replica}`"), Some(help));
                    }
                }
            }
            for name in &r.replicas {
                if clients.contains(name) || account_names.contains(&name.as_str()) {
                    c.error(
                        &at("replicas"),
                        format!("`{name}` already names a client or an account"),
                        None,
                    );
                }
            }
            (r.replicas.clone(), attach)
        }
    };
    for (i, &n) in raw.contention.iter().enumerate() {
        if n == 0 || n > MAX_CONTENDERS {
            let message = format!("a contention count must be 1 to {MAX_CONTENDERS}, not {n}");
            c.error(&p(&[Field("contention"), Index(i)]), message, None);
        }
    }
    BankConfig {
        accounts,
        clients,
        replicas,
        attach,
        contention: raw.contention.clone(),
        transfers,
        start_jitter: raw.start_jitter.0,
        think_time: raw.think_time.0,
        request_timeout: raw.request_timeout.0,
        lease: raw.lease.0,
    }
}

pub(super) fn policy(raw: &RawBankPolicy, config: &BankConfig, c: &mut Check) -> BankPolicy {
    let field =
        |names: &[&'static str]| names.iter().map(|name| Field(name)).collect::<Vec<Step>>();
    let attempts = |c: &mut Check, at: &[Step], n: u32| {
        if n == 0 || n > MAX_ATTEMPTS {
            c.error(at, format!("max_attempts must be 1 to {MAX_ATTEMPTS}, not {n}"), None);
        }
    };
    let strategy = match &raw.strategy {
        RawStrategy::CheckThenDebit => Strategy::CheckThenDebit,
        RawStrategy::ReadModifyWrite => Strategy::ReadModifyWrite,
        RawStrategy::Atomic => Strategy::Atomic,
        RawStrategy::SingleWriter => Strategy::SingleWriter,
        RawStrategy::CompareAndSet { max_attempts, backoff: raw_backoff } => {
            attempts(c, &field(&["strategy"]), *max_attempts);
            let backoff = c.backoff(&field(&["strategy"]), raw_backoff);
            Strategy::CompareAndSet { max_attempts: *max_attempts, backoff }
        }
        RawStrategy::LockLease { fencing, transaction, max_attempts, backoff: raw_backoff } => {
            attempts(c, &field(&["strategy"]), *max_attempts);
            let backoff = c.backoff(&field(&["strategy"]), raw_backoff);
            let (fencing, transaction, max_attempts) = (*fencing, *transaction, *max_attempts);
            Strategy::LockLease { fencing, transaction, max_attempts, backoff }
        }
        RawStrategy::AsyncReplication => Strategy::Replicated(Replication::Async),
        RawStrategy::Quorum => Strategy::Replicated(Replication::Quorum),
        RawStrategy::SyncPrimary { primary } => {
            let names: Vec<&str> = config.replicas.iter().map(String::as_str).collect();
            let index = names.iter().position(|n| n == primary).unwrap_or_else(|| {
                let help = suggestion(primary, &names);
                c.error(&field(&["strategy"]), format!("unknown replica `{primary}`"), Some(help));
                0
            });
            Strategy::Replicated(Replication::SyncPrimary { primary: index })
        }
    };
    let replicated = matches!(strategy, Strategy::Replicated(_));
    if replicated && raw.retry.is_some() {
        // Replicas would need to keep idempotency keys across replication and failover;
        // until they do, retries of replicated transfers would teach the wrong lesson.
        let message = "retries are not modelled for replicated strategies".to_string();
        c.error(&field(&["retry"]), message, Some("remove `retry`".into()));
    }
    let has_replicas = !config.replicas.is_empty();
    if replicated != has_replicas {
        let message = if replicated {
            "a replicated strategy needs `replication: (replicas: [...], attach: [...])` in the model"
        } else {
            "with replicated accounts, use AsyncReplication, SyncPrimary(primary: ...) or Quorum"
        };
        c.error(&field(&["strategy"]), message.into(), None);
    }
    let retry = raw.retry.as_ref().map(|r| {
        attempts(c, &field(&["retry", "max_attempts"]), r.max_attempts);
        let backoff = c.backoff(&field(&["retry", "backoff"]), &r.backoff);
        TransferRetry { max_attempts: r.max_attempts, backoff, idempotency_key: r.idempotency_key }
    });
    BankPolicy { strategy, retry }
}
