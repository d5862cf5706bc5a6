//! Each model's part of a generated scenario: its configuration, a few policies, its real
//! node names and invariants, kept within what the model's validation accepts and small
//! enough that a run takes a fraction of a second.

use super::{CONTENTION_UNFINISHED, Draw, HUGE_AMOUNTS, ModelPart, dur, latency, list, num};

/// When the workload may last until: the whole run, or its first 30 s when it is hours long.
fn busy_until(end_us: u64) -> u64 {
    end_us.min(30_000_000)
}

/// A rate that keeps at most `budget` arrivals within `until_us`, at least `floor` and at
/// most `cap` a second.
fn rate(d: &mut Draw, until_us: u64, budget: f64, (floor, cap): (f64, f64)) -> f64 {
    let seconds = (until_us as f64 / 1e6).max(1e-6);
    let ceiling = (budget / seconds).clamp(floor, cap);
    d.float(floor, ceiling)
}

pub fn chat(d: &mut Draw, end_us: u64) -> ModelPart {
    let send_until = d.micros(0, busy_until(end_us));
    let rate = rate(d, send_until, 300.0, (0.01, 10_000.0));
    let policies = (0..d.between(1, 4))
        .map(|_| {
            if d.chance(0.3) {
                return "Chat(delivery: FireAndForget)".to_string();
            }
            let rto = d.micros(1, 1_000_000);
            let rto_max = d.micros(rto, 5_000_000);
            format!(
                "Chat(delivery: AckRetransmit(rto: {}, rto_max: {}, backoff: {}))",
                dur(rto),
                dur(rto_max),
                num(d.float(1.0, 4.0))
            )
        })
        .collect();
    ModelPart {
        config: format!("Chat(rate_per_s: {}, send_until: {})", num(rate), dur(send_until)),
        policies,
        nodes: names(&["alice", "server-a", "server-b", "bob"]),
        invariants: &["no-loss", "no-duplicate", "in-order"],
        model_fault: None,
        faults: Vec::new(),
        faults_allowed: true,
        quiet_network: false,
    }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn backoff(d: &mut Draw) -> String {
    match d.between(0, 2) {
        0 => "Immediate".to_string(),
        1 => format!("Fixed({})", dur(d.micros(0, 500_000))),
        _ => {
            let base = d.micros(0, 100_000);
            format!(
                "Exponential(base: {}, multiplier: {}, cap: {}, jitter: {})",
                dur(base),
                num(d.float(1.0, 10.0)),
                dur(d.micros(base, 2_000_000)),
                d.pick(&["None", "Full", "Equal", "Decorrelated"])
            )
        }
    }
}

pub fn payment(d: &mut Draw, end_us: u64) -> ModelPart {
    let deadline = d.micros(1, end_us.min(5_000_000));
    let until = d.micros(0, busy_until(end_us - deadline));
    let base = rate(d, until, 1500.0, (0.01, 1e6));
    let mut phases = Vec::new();
    let mut from = 0;
    while until > from + 1 && phases.len() < 3 && d.chance(0.4) {
        from = d.between(from + 1, until - 1);
        phases.push(format!(
            "(from: {}, rate_per_s: {})",
            dur(from),
            num(rate(d, until, 1500.0, (0.0, 1e6)))
        ));
    }
    let mut faults = Vec::new();
    let grid = if d.chance(0.1) {
        let from = d.between(0, end_us - 1);
        let factor = num(d.float(1.0, 1000.0));
        faults.push(format!("Slowdown(node: \"payments\", factor: {factor}, from: {})", dur(from)));
        let rates: Vec<String> =
            (0..d.between(1, 2)).map(|_| num(rate(d, until, 1000.0, (0.01, 1e6)))).collect();
        let triggers: Vec<String> =
            (0..d.between(1, 2)).map(|_| dur(d.micros(1, 2_000_000))).collect();
        format!(
            ", grid: (rates_per_s: [{}], triggers: [{}])",
            rates.join(", "),
            triggers.join(", ")
        )
    } else {
        String::new()
    };
    let config = format!(
        "Payment(clients: (rate_per_s: {}, pay_fraction: {}, until: {}, phases: [{}], deadline: {}), \
         auth: (workers: {}, queue: {}, login_time: {}, pay_time: {}), payments: (workers: {}, \
         queue: {}, service_time: {}){grid})",
        num(base),
        num(d.float(0.0, 1.0)),
        dur(until),
        phases.join(", "),
        dur(deadline),
        d.between(1, 256),
        d.between(0, 256),
        latency(d, 0, 20_000),
        latency(d, 0, 20_000),
        d.between(1, 64),
        d.between(0, 256),
        latency(d, 0, 100_000),
    );
    ModelPart {
        config,
        policies: (0..d.between(1, 4)).map(|_| call_policy(d)).collect(),
        nodes: names(&["clients", "auth", "payments"]),
        invariants: &[],
        model_fault: Some(("Slowdown", "payments", (1.0, 1000.0))),
        faults,
        faults_allowed: true,
        quiet_network: false,
    }
}

fn call_policy(d: &mut Draw) -> String {
    let mut fields = Vec::new();
    if d.chance(0.8) {
        fields.push(format!("timeout: {}", dur(d.micros(1, 3_000_000))));
    }
    if d.chance(0.6) {
        let budget = if d.chance(0.4) {
            format!(
                ", budget: (ratio: {}, max_tokens: {})",
                num(d.float(0.0001, 1.0)),
                d.between(0, 100)
            )
        } else {
            String::new()
        };
        fields.push(format!(
            "retry: (max_attempts: {}, backoff: {}{budget})",
            d.between(1, 6),
            backoff(d)
        ));
    }
    if d.chance(0.4) {
        fields.push(format!("breaker: {}", breaker(d)));
    }
    if d.chance(0.3) {
        fields.push("fallback: AcceptForLater".to_string());
    }
    if d.chance(0.3) {
        fields.push("propagate_deadlines: true".to_string());
    }
    format!("Payment({})", fields.join(", "))
}

fn breaker(d: &mut Draw) -> String {
    if d.chance(0.2) {
        return "Article".to_string();
    }
    let window = if d.chance(0.5) {
        format!("Count({})", d.between(1, 200))
    } else {
        format!("Time(\"{}s\")", d.between(1, 3600))
    };
    format!(
        "Resilient(failure_rate: {}, slow_call_rate: {}, slow_call: {}, window: {window}, \
         minimum_calls: {}, wait_in_open: {}, half_open_calls: {})",
        num(d.float(0.0001, 1.0)),
        num(d.float(0.0001, 1.0)),
        dur(d.micros(0, 5_000_000)),
        d.between(1, 200),
        dur(d.micros(0, 10_000_000)),
        d.between(1, 20)
    )
}

/// The largest opening balance and amount a bank scenario may have, in cents.
const MAX_CENTS: u64 = 100_000_000_000;

/// Accounts, transfers by clients with names of their own, replication or contention now
/// and then, and strategies that fit: replicated ones only with replicas.
pub fn bank(d: &mut Draw, end_us: u64) -> ModelPart {
    let huge = d.feature(HUGE_AMOUNTS, 0.05);
    let accounts: Vec<String> = ["X", "Y", "acct.3", "Z-4", "w_5"][..d.between(2, 5) as usize]
        .iter()
        .map(|n| n.to_string())
        .collect();
    let opening = |d: &mut Draw| {
        if huge { MAX_CENTS - d.between(0, 10) } else { d.between(0, 1_000_000_000) }
    };
    let balances: Vec<String> =
        accounts.iter().map(|a| format!("({a:?}, {})", opening(d))).collect();
    let replicated = d.chance(0.25);
    let contention = !replicated && end_us >= 1_000_000 && d.chance(0.2);
    // Unless unfinished contention reruns are asked for, contention comes in a shape where
    // the first transfer finishes: early, short waits, no faults, a quiet network.
    let safe = contention && !d.feature(CONTENTION_UNFINISHED, 0.7);
    let short = |d: &mut Draw, hi_us: u64| d.micros(0, if safe { end_us / 10 } else { hi_us });
    let (transfers, clients) = transfers(d, &accounts, end_us, huge, contention);
    let mut config = format!(
        "Bank(accounts: [{}], transfers: [{}], start_jitter: {}, think_time: {}, \
         request_timeout: {}, lease: {}",
        balances.join(", "),
        transfers.join(", "),
        dur(short(d, 100_000)),
        dur(short(d, 500_000)),
        dur(short(d, 5_000_000).max(1)),
        dur(d.micros(1, 2_000_000)),
    );
    let mut nodes = clients.clone();
    let replicas: Vec<String> = (1..=d.between(2, 5)).map(|r| format!("replica-{r}")).collect();
    if replicated {
        config.push_str(&replication(d, &clients, &replicas));
        nodes.extend(replicas.iter().cloned());
    } else {
        nodes.extend(names(&["bank", "locks"]));
    }
    if contention {
        let counts: Vec<String> =
            (0..d.between(1, 4)).map(|_| d.between(1, 24).to_string()).collect();
        config.push_str(&format!(", contention: [{}]", counts.join(", ")));
    }
    config.push(')');
    let policies =
        (0..d.between(1, 4)).map(|_| bank_policy(d, replicated.then_some(&replicas[..]))).collect();
    ModelPart {
        config,
        policies,
        nodes,
        // What applies: replica convergence only with replicas, lost updates (absolute
        // writes at the one bank) only without.
        invariants: if replicated {
            &["no-negative-balance", "conservation", "exactly-once", "replica-convergence"]
        } else {
            &["no-negative-balance", "conservation", "exactly-once", "no-lost-update"]
        },
        model_fault: None,
        faults: Vec::new(),
        faults_allowed: !safe,
        quiet_network: safe,
    }
}

/// The replicas, and most clients attached to one of them (the others talk to the first).
fn replication(d: &mut Draw, clients: &[String], replicas: &[String]) -> String {
    let mut attach = Vec::new();
    for client in clients {
        if d.chance(0.7) {
            attach.push(format!("({client:?}, {:?})", d.pick(replicas)));
        }
    }
    format!(", replication: (replicas: {}, attach: [{}])", list(replicas), attach.join(", "))
}

/// Up to four transfers (the first one early, so contention reruns have time to finish),
/// and the names of the clients they make.
fn transfers(
    d: &mut Draw,
    accounts: &[String],
    end_us: u64,
    huge: bool,
    contention: bool,
) -> (Vec<String>, Vec<String>) {
    let mut texts = Vec::new();
    let mut clients: Vec<String> = Vec::new();
    for i in 0..d.between(1, 4) {
        let client = format!("{}{}", d.pick(&["alice", "bob", "c.7", "client_"]), i);
        let from = d.between(0, accounts.len() as u64 - 1) as usize;
        let to = (from + d.between(1, accounts.len() as u64 - 1) as usize) % accounts.len();
        let amount = if huge { MAX_CENTS - d.between(0, 10) } else { d.between(1, 100_000_000) };
        let at =
            if i == 0 && contention { d.micros(0, end_us / 10) } else { d.micros(0, end_us - 1) };
        // Every repeat starts before the run ends.
        let room_us = end_us - 1 - at;
        let repeat = if d.chance(0.3) { d.between(2, 20).min(room_us.max(1)) } else { 1 };
        let every = d.micros(1, (room_us / repeat).max(1));
        let many = if d.chance(0.3) { d.between(2, 8) } else { 1 };
        texts.push(format!(
            "(client: {client:?}, from: {:?}, to: {:?}, amount: {amount}, at: {}, repeat: {repeat}, every: {}, clients: {many})",
            accounts[from],
            accounts[to],
            dur(at),
            dur(every)
        ));
        if many == 1 {
            clients.push(client);
        } else {
            clients.extend((1..=many).map(|k| format!("{client}-{k}")));
        }
    }
    (texts, clients)
}

fn bank_policy(d: &mut Draw, replicas: Option<&[String]>) -> String {
    if let Some(replicas) = replicas {
        let strategy = match d.between(0, 2) {
            0 => "AsyncReplication".to_string(),
            1 => format!("SyncPrimary(primary: {:?})", d.pick(replicas)),
            _ => "Quorum".to_string(),
        };
        return format!("Bank(strategy: {strategy})");
    }
    let strategy = match d.between(0, 5) {
        0 => "CheckThenDebit".to_string(),
        1 => "ReadModifyWrite".to_string(),
        2 => "Atomic".to_string(),
        3 => format!("CompareAndSet(max_attempts: {}, backoff: {})", d.between(1, 50), backoff(d)),
        4 => format!(
            "LockLease(fencing: {}, transaction: {}, max_attempts: {}, backoff: {})",
            d.chance(0.5),
            d.chance(0.5),
            d.between(1, 50),
            backoff(d)
        ),
        _ => "SingleWriter".to_string(),
    };
    let retry = if d.chance(0.4) {
        format!(
            ", retry: (max_attempts: {}, backoff: {}, idempotency_key: {})",
            d.between(1, 10),
            backoff(d),
            d.chance(0.5)
        )
    } else {
        String::new()
    };
    format!("Bank(strategy: {strategy}{retry})")
}

pub fn kv(d: &mut Draw, end_us: u64) -> ModelPart {
    let replicas = if d.chance(0.1) { *d.pick(&[1, 15]) } else { d.between(1, 5) };
    let timeout = d.micros(1, end_us.min(2_000_000));
    let writes_until = d.micros(0, busy_until(end_us - timeout));
    let reads_until = d.micros(0, busy_until(end_us - timeout));
    let config = format!(
        "Kv(replicas: {replicas}, keys: {}, writes_per_s: {}, writes_until: {}, reads_per_s: {}, \
         reads_until: {}, timeout: {})",
        if d.chance(0.1) { 1 } else { d.between(1, 1000) },
        num(rate(d, writes_until, 400.0, (0.0, 1e4))),
        dur(writes_until),
        num(rate(d, reads_until, 400.0, (0.0, 1e4))),
        dur(reads_until),
        dur(timeout)
    );
    let policies = (0..d.between(1, 4))
        .map(|_| {
            format!(
                "Kv(write_quorum: {}, read_quorum: {}, read_repair: {})",
                d.between(1, replicas),
                d.between(1, replicas),
                d.chance(0.5)
            )
        })
        .collect();
    let mut nodes = vec!["client".to_string()];
    nodes.extend((1..=replicas).map(|r| format!("r{r}")));
    ModelPart {
        config,
        policies,
        nodes,
        invariants: &["no-stale-read", "convergence"],
        model_fault: None,
        faults: Vec::new(),
        faults_allowed: true,
        quiet_network: false,
    }
}

pub fn orders(d: &mut Draw, end_us: u64) -> ModelPart {
    let until = d.micros(0, busy_until(end_us - 1));
    let stock = match d.between(0, 4) {
        0 => 0,
        1 => u64::from(u32::MAX),
        _ => d.between(0, 50),
    };
    let config = format!(
        "Orders(rate_per_s: {}, until: {}, products: {}, stock: {stock}, processing: {}, decline: {}, \
         reserve_time: {}, visibility_timeout: {})",
        num(rate(d, until, 300.0, (0.01, 1e4))),
        dur(until),
        if d.chance(0.1) { 10_000 } else { d.between(1, 20) },
        latency(d, 0, 500_000),
        num(d.float(0.0, 1.0)),
        latency(d, 0, 100_000),
        dur(d.micros(1, 10_000_000))
    );
    ModelPart {
        config,
        policies: (0..d.between(1, 4)).map(|_| orders_policy(d)).collect(),
        nodes: names(&["customers", "shop", "broker", "worker", "inventory"]),
        invariants: &[
            "no-lost-event",
            "exactly-once-charge",
            "truthful-answer",
            "no-oversell",
            "convergence",
        ],
        model_fault: Some(("Slowdown", "worker", (1.0, 1000.0))),
        faults: Vec::new(),
        faults_allowed: true,
        quiet_network: false,
    }
}

fn orders_policy(d: &mut Draw) -> String {
    let answer = match d.between(0, 2) {
        0 => format!("SleepThenRead({})", dur(d.micros(1, 3_000_000))),
        1 => {
            let every = d.micros(1, 1_000_000);
            format!("Poll(every: {}, deadline: {})", dur(every), dur(d.micros(every, 5_000_000)))
        }
        _ => format!("Confirmation(deadline: {})", dur(d.micros(1, 5_000_000))),
    };
    format!(
        "Orders(channel: {}, producer: {}, consumer: {}, answer: {answer}, inventory: {})",
        d.pick(&["PubSub", "Log"]),
        d.pick(&["DualWrite", "Outbox"]),
        d.pick(&["Plain", "Idempotent"]),
        d.pick(&["ChargeThenDecrement", "ChargeThenRefund", "ReserveThenCharge"])
    )
}
