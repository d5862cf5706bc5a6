//! The bank's processes: clients running a transfer strategy, the bank that holds the
//! accounts (and, as a single writer, serialises whole transfers), and a lock service that
//! grants leases with fencing tokens.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use faultline_engine::{
    Ctx, Names, Node, NodeId, Purpose, SimDuration, SimTime, TimerId, TraceEncode, TraceHasher,
    attempt_key,
};

use super::checker::dollars;
use super::replica::{Replica, Replication};
use super::{BankConfig, BankPolicy, TransferRetry, TransferSpec};
use crate::resilience::{Backoff, BackoffState};

/// How a client moves money.
#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    /// The article's race: read the balance, and if it covers the amount, debit and credit
    /// in separate operations.
    CheckThenDebit,
    /// Read both balances, write both back as absolute values: a lost update.
    ReadModifyWrite,
    /// Debit only if the balance covers it, as one operation; then credit.
    Atomic,
    /// Read a version, write only if it is unchanged; on a conflict back off and retry.
    CompareAndSet { max_attempts: u32, backoff: Backoff },
    /// Take a lease on the source account, read, think, write; with fencing, writes carry
    /// the lease's token and the bank refuses tokens older than one it has seen. With
    /// `transaction`, the debit and the credit are one request the bank applies whole or not
    /// at all; without, they are two, and a client that gives up between them loses the debit.
    LockLease { fencing: bool, transaction: bool, max_attempts: u32, backoff: Backoff },
    /// Send the whole transfer to the account's owner, which applies it atomically.
    SingleWriter,
    /// Send the whole transfer to the client's replica, which agrees with the others as the
    /// replication mode says.
    Replicated(Replication),
}

/// Identifies one request of one transfer: responses are matched on it.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Op {
    pub transfer: u32,
    pub step: u32,
}

#[derive(Clone, PartialEq, Eq)]
pub enum BankMsg {
    /// `token`: with fencing, a lease holder's read raises the fence too, so an older
    /// holder's write is refused even before the newer one writes.
    Read {
        op: Op,
        acct: u8,
        token: Option<u64>,
    },
    /// Unconditional relative changes.
    Debit {
        op: Op,
        acct: u8,
        cents: i64,
    },
    /// `token`: a lease holder's credit carries its fencing token, so a holder whose lease
    /// ran out cannot add to an account a newer holder has read to overwrite.
    Credit {
        op: Op,
        acct: u8,
        cents: i64,
        token: Option<u64>,
    },
    /// Debit only if the balance covers it.
    DebitIfCovered {
        op: Op,
        acct: u8,
        cents: i64,
    },
    /// An absolute write; `base_version` is the version the client read (for the checker),
    /// `token` the fencing token when the strategy uses one.
    Write {
        op: Op,
        acct: u8,
        cents: i64,
        base_version: u64,
        token: Option<u64>,
    },
    Cas {
        op: Op,
        acct: u8,
        version: u64,
        cents: i64,
    },
    /// A lease holder's transfer as one transaction: write `from` := `from_cents` and credit
    /// `to` with `credit_cents`, both or neither; only if `token` is current on both accounts
    /// and `from` is still at `base_version` (so a resent copy is refused, not applied twice).
    Commit {
        op: Op,
        from: u8,
        from_cents: i64,
        base_version: u64,
        to: u8,
        credit_cents: i64,
        token: Option<u64>,
    },
    /// A whole transfer for the single writer; `key` makes retries idempotent.
    Transfer {
        op: Op,
        from: u8,
        to: u8,
        cents: i64,
        key: Option<u32>,
    },
    ReadOk {
        op: Op,
        cents: i64,
        version: u64,
    },
    /// `ok: false`: insufficient funds, a version conflict, or a stale fencing token.
    Done {
        op: Op,
        ok: bool,
    },
    /// A lease on both accounts of a transfer: every write to an account, credits included,
    /// comes from a holder of its lease, so an absolute write cannot erase a credit.
    Acquire {
        op: Op,
        from: u8,
        to: u8,
    },
    Granted {
        op: Op,
        token: u64,
    },
    Denied {
        op: Op,
    },
    Release {
        from: u8,
        to: u8,
        token: u64,
    },
    /// Replication: a transfer's deltas, applied once per replica in the order their origin
    /// made them (`seq`), and their acknowledgement.
    Update {
        id: u32,
        seq: u32,
        from: u8,
        to: u8,
        cents: i64,
    },
    UpdateAck {
        id: u32,
    },
    /// A replica passes a client's transfer to the primary; the answer comes back through it.
    Forward {
        op: Op,
        client: u32,
        from: u8,
        to: u8,
        cents: i64,
    },
    Forwarded {
        op: Op,
        client: u32,
        ok: bool,
    },
    /// Quorum: lock the source at a majority, read the newest versions, write, unlock.
    QLock {
        txn: Op,
        from: u8,
        to: u8,
    },
    QLockOk {
        txn: Op,
    },
    QLockBusy {
        txn: Op,
    },
    QUnlock {
        txn: Op,
    },
    QRead {
        txn: Op,
        from: u8,
        to: u8,
    },
    QReadOk {
        txn: Op,
        from: (i64, u64),
        to: (i64, u64),
    },
    /// Stage this write (each account's new balance and version) while holding my lock.
    QWrite {
        txn: Op,
        from: (u8, i64, u64),
        to: (u8, i64, u64),
    },
    QWriteOk {
        txn: Op,
    },
    /// The lock ran out or went to another transfer: not staged.
    QWriteRefused {
        txn: Op,
    },
    /// A majority staged it: apply it (newer versions win) and free the locks.
    QCommit {
        txn: Op,
        from: (u8, i64, u64),
        to: (u8, i64, u64),
    },
    /// No majority staged it: forget it and free the locks.
    QAbort {
        txn: Op,
    },
    /// A commit or an abort has been applied here.
    QSettled {
        txn: Op,
    },
    /// The transfer could not be decided (no quorum): not a refusal for lack of funds.
    Unavailable {
        op: Op,
    },
}

#[derive(Clone, PartialEq, Eq)]
pub enum BankTimer {
    /// Transfer `transfer` starts.
    Start {
        transfer: u32,
    },
    /// The answer to `op` is overdue.
    Timeout {
        op: Op,
    },
    /// Back-off over: try again.
    Again {
        transfer: u32,
    },
    /// Done thinking: write.
    Think {
        transfer: u32,
    },
    /// Time to resend the request `op` that got no answer.
    Resend {
        op: Op,
    },
    /// A replica resends updates its peers have not acknowledged.
    ResendUpdates,
    /// A quorum round got no majority in time.
    QuorumTimeout {
        txn: Op,
    },
    QuorumRetry {
        transfer: u32,
    },
}

// The trace hash's encoding (see the engine's `trace.rs`): a variant's tag, then its fields
// in declaration order; an `Op` is its transfer, then its step.
impl TraceEncode for Op {
    fn encode(&self, out: &mut TraceHasher) {
        (self.transfer, self.step).encode(out);
    }
}

impl TraceEncode for BankMsg {
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            BankMsg::Read { op, acct, token } => {
                out.word(0);
                (op, acct, token).encode(out);
            }
            BankMsg::Debit { op, acct, cents } => {
                out.word(1);
                (op, acct, cents).encode(out);
            }
            BankMsg::Credit { op, acct, cents, token } => {
                out.word(2);
                (op, acct, cents).encode(out);
                token.encode(out);
            }
            BankMsg::DebitIfCovered { op, acct, cents } => {
                out.word(3);
                (op, acct, cents).encode(out);
            }
            BankMsg::Write { op, acct, cents, base_version, token } => {
                out.word(4);
                (op, acct, cents).encode(out);
                (base_version, token).encode(out);
            }
            BankMsg::Cas { op, acct, version, cents } => {
                out.word(5);
                (op, acct, version).encode(out);
                cents.encode(out);
            }
            BankMsg::Transfer { op, from, to, cents, key } => {
                out.word(6);
                (op, from, to).encode(out);
                (cents, key).encode(out);
            }
            BankMsg::ReadOk { op, cents, version } => {
                out.word(7);
                (op, cents, version).encode(out);
            }
            BankMsg::Done { op, ok } => {
                out.word(8);
                (op, ok).encode(out);
            }
            BankMsg::Acquire { op, from, to } => {
                out.word(9);
                (op, from, to).encode(out);
            }
            BankMsg::Granted { op, token } => {
                out.word(10);
                (op, token).encode(out);
            }
            BankMsg::Denied { op } => {
                out.word(11);
                op.encode(out);
            }
            BankMsg::Release { from, to, token } => {
                out.word(12);
                (from, to, token).encode(out);
            }
            BankMsg::Update { id, seq, from, to, cents } => {
                out.word(13);
                (id, seq, from).encode(out);
                (to, cents).encode(out);
            }
            BankMsg::UpdateAck { id } => {
                out.word(14);
                id.encode(out);
            }
            BankMsg::Forward { op, client, from, to, cents } => {
                out.word(15);
                (op, client, from).encode(out);
                (to, cents).encode(out);
            }
            BankMsg::Forwarded { op, client, ok } => {
                out.word(16);
                (op, client, ok).encode(out);
            }
            BankMsg::QLock { txn, from, to } => {
                out.word(17);
                (txn, from, to).encode(out);
            }
            BankMsg::QLockOk { txn } => {
                out.word(18);
                txn.encode(out);
            }
            BankMsg::QLockBusy { txn } => {
                out.word(19);
                txn.encode(out);
            }
            BankMsg::QUnlock { txn } => {
                out.word(20);
                txn.encode(out);
            }
            BankMsg::QRead { txn, from, to } => {
                out.word(21);
                (txn, from, to).encode(out);
            }
            BankMsg::QReadOk { txn, from, to } => {
                out.word(22);
                (txn, from, to).encode(out);
            }
            BankMsg::QWrite { txn, from, to } => {
                out.word(23);
                (txn, from, to).encode(out);
            }
            BankMsg::QWriteOk { txn } => {
                out.word(24);
                txn.encode(out);
            }
            BankMsg::Unavailable { op } => {
                out.word(25);
                op.encode(out);
            }
            BankMsg::QWriteRefused { txn } => {
                out.word(26);
                txn.encode(out);
            }
            BankMsg::QCommit { txn, from, to } => {
                out.word(27);
                (txn, from, to).encode(out);
            }
            BankMsg::QAbort { txn } => {
                out.word(28);
                txn.encode(out);
            }
            BankMsg::QSettled { txn } => {
                out.word(29);
                txn.encode(out);
            }
            BankMsg::Commit { op, from, from_cents, base_version, to, credit_cents, token } => {
                out.word(30);
                (op, from, from_cents).encode(out);
                (base_version, to, credit_cents).encode(out);
                token.encode(out);
            }
        }
    }
}

impl TraceEncode for BankTimer {
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            BankTimer::Start { transfer } => {
                out.word(0);
                transfer.encode(out);
            }
            BankTimer::Timeout { op } => {
                out.word(1);
                op.encode(out);
            }
            BankTimer::Again { transfer } => {
                out.word(2);
                transfer.encode(out);
            }
            BankTimer::Think { transfer } => {
                out.word(3);
                transfer.encode(out);
            }
            BankTimer::Resend { op } => {
                out.word(4);
                op.encode(out);
            }
            BankTimer::ResendUpdates => out.word(5),
            BankTimer::QuorumTimeout { txn } => {
                out.word(6);
                txn.encode(out);
            }
            BankTimer::QuorumRetry { transfer } => {
                out.word(7);
                transfer.encode(out);
            }
        }
    }
}

// Traces and spacetime diagrams show messages by their `Debug` text: keep it short enough
// to label an arrow ("T2 debit #0 $100.00"), with the transfer named as in violations.
impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.transfer + 1)
    }
}

impl BankMsg {
    /// The message in the reader's words, accounts named by `name` ("T2: debit X $100.00"):
    /// the trace's description with the scenario's account names, and `Debug` with indices.
    fn write_text<A: fmt::Display>(
        &self,
        f: &mut impl fmt::Write,
        name: impl Fn(u8) -> A,
    ) -> fmt::Result {
        let money = |cents: i64| dollars(cents);
        let fence = |token: &Option<u64>| match token {
            Some(token) => format!(" (token {token})"),
            None => String::new(),
        };
        match self {
            BankMsg::Read { op, acct, token } => {
                write!(f, "{op:?}: read {}{}", name(*acct), fence(token))
            }
            BankMsg::Debit { op, acct, cents } => {
                write!(f, "{op:?}: debit {} {}", name(*acct), money(*cents))
            }
            BankMsg::Credit { op, acct, cents, token } => {
                write!(f, "{op:?}: credit {} {}{}", name(*acct), money(*cents), fence(token))
            }
            BankMsg::DebitIfCovered { op, acct, cents } => {
                write!(f, "{op:?}: debit {} {} if covered", name(*acct), money(*cents))
            }
            BankMsg::Write { op, acct, cents, token, .. } => {
                write!(f, "{op:?}: {} := {}{}", name(*acct), money(*cents), fence(token))
            }
            BankMsg::Cas { op, acct, version, cents } => {
                write!(f, "{op:?}: {} := {} if v{version}", name(*acct), money(*cents))
            }
            BankMsg::Commit { op, from, from_cents, to, credit_cents, token, .. } => {
                let (source, destination) = (name(*from), name(*to));
                let (debited, credited) = (money(*from_cents), money(*credit_cents));
                write!(f, "{op:?}: {source} := {debited}, {destination} += {credited} at once")?;
                write!(f, "{}", fence(token))
            }
            BankMsg::Transfer { op, from, to, cents, key } => {
                write!(f, "{op:?}: move {} {}→{}", money(*cents), name(*from), name(*to))?;
                match key {
                    Some(key) => write!(f, " key {key}"),
                    None => Ok(()),
                }
            }
            BankMsg::ReadOk { op, cents, version } => {
                write!(f, "{op:?}: {} (v{version})", money(*cents))
            }
            BankMsg::Done { op, ok: true } => write!(f, "{op:?}: ok"),
            BankMsg::Done { op, ok: false } => write!(f, "{op:?}: refused"),
            BankMsg::Acquire { op, from, to } => {
                write!(f, "{op:?}: lock {} and {}", name(*from), name(*to))
            }
            BankMsg::Granted { op, token } => write!(f, "{op:?}: lease, token {token}"),
            BankMsg::Denied { op } => write!(f, "{op:?}: lock busy"),
            BankMsg::Release { from, to, token } => {
                write!(f, "unlock {} and {} (token {token})", name(*from), name(*to))
            }
            BankMsg::Update { id, from, to, cents, .. } => {
                let transfer = id + 1;
                write!(f, "T{transfer}: replicate {} {}→{}", money(*cents), name(*from), name(*to))
            }
            BankMsg::UpdateAck { id } => write!(f, "T{}: replicated", id + 1),
            BankMsg::Forward { op, cents, .. } => {
                write!(f, "{op:?}: to primary, {}", money(*cents))
            }
            BankMsg::Forwarded { op, ok, .. } => {
                write!(f, "{op:?}: {}", if *ok { "ok" } else { "refused" })
            }
            BankMsg::QLock { txn, from, to } => {
                write!(f, "{txn:?}: lock {} and {}", name(*from), name(*to))
            }
            BankMsg::QLockOk { txn } => write!(f, "{txn:?}: locked"),
            BankMsg::QLockBusy { txn } => write!(f, "{txn:?}: busy"),
            BankMsg::QUnlock { txn } => write!(f, "{txn:?}: unlock"),
            BankMsg::QRead { txn, from, to } => {
                write!(f, "{txn:?}: read {} and {}", name(*from), name(*to))
            }
            BankMsg::QReadOk { txn, from, .. } => {
                write!(f, "{txn:?}: {} (v{})", money(from.0), from.1)
            }
            BankMsg::QWrite { txn, from, .. } => {
                let (acct, cents, version) = *from;
                write!(f, "{txn:?}: stage {} := {} (v{version})", name(acct), money(cents))
            }
            BankMsg::QWriteOk { txn } => write!(f, "{txn:?}: staged"),
            BankMsg::QWriteRefused { txn } => write!(f, "{txn:?}: lock lost"),
            BankMsg::QCommit { txn, from, .. } => {
                let (acct, cents, version) = *from;
                write!(f, "{txn:?}: commit {} := {} (v{version})", name(acct), money(cents))
            }
            BankMsg::QAbort { txn } => write!(f, "{txn:?}: abort"),
            BankMsg::QSettled { txn } => write!(f, "{txn:?}: settled"),
            BankMsg::Unavailable { op } => write!(f, "{op:?}: unavailable"),
        }
    }
}

impl fmt::Debug for BankMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_text(f, |acct| format!("#{acct}"))
    }
}

impl fmt::Debug for BankTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BankTimer::Start { transfer } => write!(f, "T{}: starts", transfer + 1),
            BankTimer::Timeout { op } => write!(f, "{op:?}: times out"),
            BankTimer::Again { transfer } => write!(f, "T{}: tries again", transfer + 1),
            BankTimer::Think { transfer } => write!(f, "T{}: done thinking", transfer + 1),
            BankTimer::Resend { op } => write!(f, "{op:?}: resends"),
            BankTimer::ResendUpdates => write!(f, "resend updates"),
            BankTimer::QuorumTimeout { txn } => write!(f, "{txn:?}: no quorum yet"),
            BankTimer::QuorumRetry { transfer } => write!(f, "T{}: quorum again", transfer + 1),
        }
    }
}

/// How a transfer ended, as its client saw it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Committed,
    /// Insufficient funds.
    Rejected,
    /// No answer, a refused lease or a stale token: it could not complete.
    Unavailable,
}

/// What the processes report to the checker.
#[derive(Clone, Debug, PartialEq)]
pub enum BankObs {
    Submitted {
        transfer: u32,
    },
    Finished {
        transfer: u32,
        ending: Ending,
    },
    /// The bank served a read.
    Read {
        transfer: u32,
        acct: u8,
        cents: i64,
    },
    /// The bank changed a balance on behalf of a transfer (`debit`: taken from the source).
    Changed {
        transfer: u32,
        /// The bank (0), or a replica by index.
        store: u8,
        acct: u8,
        cents: i64,
    },
    /// The bank received a request that writes (a debit, a write, a compare-and-set, a whole
    /// transfer): what contention multiplies.
    WriteAttempt,
    /// A replica (the primary, a quorum coordinator) decided a transfer.
    Approved {
        transfer: u32,
        store: u8,
        ok: bool,
    },
    /// An absolute write replaced a version other than the one its client read.
    LostUpdate {
        transfer: u32,
        acct: u8,
        base_version: u64,
        version: u64,
    },
}

/// Which request of a transfer is in flight.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    Acquire,
    ReadSource,
    ReadDestination,
    Debit,
    WriteSource,
    WriteDestination,
    Cas,
    Credit,
    /// A lease holder's debit and credit in one transaction.
    Commit,
    Transfer,
}

/// What a job is waiting for. Its timer dies with a crash; this is what a restart sets again.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Wait {
    /// Its start time: it has not begun.
    Start,
    /// The answer to `pending`, until the request's timeout.
    Answer,
    /// The end of the client's own work between reading and writing.
    Think,
    /// The end of a back-off before starting over (a refused lease, a version conflict).
    Again,
    /// The end of a back-off before sending `pending` again.
    Resend,
}

/// One transfer a client is working on, and where it is: the client's journal, durable.
pub struct Job {
    id: u32,
    spec: TransferSpec,
    start: SimTime,
    step: u32,
    phase: Phase,
    attempts: u32,
    backoff: BackoffState,
    /// What the source's read returned (balance, version), and the destination's.
    read: Option<(i64, u64)>,
    read_to: Option<(i64, u64)>,
    token: Option<u64>,
    wait: Wait,
    /// The timer of what it waits for, cancelled when the answer comes first. Volatile.
    timer: Option<TimerId>,
    /// The request awaiting an answer, for resending on timeout.
    pending: Option<BankMsg>,
}

impl Job {
    pub(super) fn new(id: u32, spec: TransferSpec, start: SimTime) -> Job {
        Job {
            id,
            spec,
            start,
            step: 0,
            phase: Phase::ReadSource,
            attempts: 0,
            backoff: Backoff::Immediate.start(),
            read: None,
            read_to: None,
            token: None,
            wait: Wait::Start,
            timer: None,
            pending: None,
        }
    }

    /// Waits for `wait`, which `timer` ends after `delay`.
    fn wait_for(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        wait: Wait,
        delay: SimDuration,
        timer: BankTimer,
    ) {
        self.wait = wait;
        self.timer = Some(ctx.set_timer(delay, timer));
    }

    fn accounts(&self) -> (u8, u8, i64) {
        (self.spec.from as u8, self.spec.to as u8, self.spec.amount_cents)
    }
}

/// A client making transfers. Its journal of transfers (where each stands, what it read, its
/// lease token, the request in flight) is durable; its timers are not. After a crash it picks
/// every transfer up where the journal says: one not begun starts (at once, if its time
/// passed while the client was down); a request in flight counts as timed out — sent again if
/// the policy retries, given up as unavailable otherwise — because the client cannot know
/// whether it was applied; an interrupted think or back-off starts its next step.
pub struct Client {
    jobs: BTreeMap<u32, Job>,
    strategy: Strategy,
    retry: Option<TransferRetry>,
    think_time: SimDuration,
    request_timeout: SimDuration,
    bank: NodeId,
    locks: NodeId,
}

pub struct Bank {
    /// Balance in cents and version, per account.
    accounts: Vec<(i64, u64)>,
    /// The highest fencing token seen per account.
    fence: Vec<u64>,
    /// Idempotency keys already applied, with their result.
    applied: BTreeMap<u32, bool>,
    /// Lease holders' transactions already applied, so that a copy is answered, not refused.
    committed: BTreeSet<Op>,
}

pub struct Locks {
    lease: SimDuration,
    /// Per account: the holder's token and when its lease ends.
    held: BTreeMap<u8, (u64, SimTime)>,
    next_token: u64,
}

pub enum BankNode {
    Client(Box<Client>),
    Bank(Bank),
    Locks(Locks),
    Replica(Box<Replica>),
}

impl BankNode {
    pub(super) fn client(
        jobs: Vec<Job>,
        config: &BankConfig,
        policy: &BankPolicy,
        bank: NodeId,
        locks: NodeId,
    ) -> BankNode {
        BankNode::Client(Box::new(Client {
            jobs: jobs.into_iter().map(|j| (j.id, j)).collect(),
            strategy: policy.strategy.clone(),
            retry: policy.retry.clone(),
            think_time: config.think_time,
            request_timeout: config.request_timeout,
            bank,
            locks,
        }))
    }

    pub(super) fn bank(accounts: &[(String, i64)]) -> BankNode {
        BankNode::Bank(Bank {
            accounts: accounts.iter().map(|(_, cents)| (*cents, 0)).collect(),
            fence: vec![0; accounts.len()],
            applied: BTreeMap::new(),
            committed: BTreeSet::new(),
        })
    }

    pub(super) fn replica(
        index: usize,
        replicas: Vec<NodeId>,
        mode: Replication,
        accounts: &[(String, i64)],
    ) -> BankNode {
        BankNode::Replica(Box::new(Replica::new(index, replicas, mode, accounts)))
    }

    pub(super) fn locks(lease: SimDuration) -> BankNode {
        BankNode::Locks(Locks { lease, held: BTreeMap::new(), next_token: 1 })
    }
}

impl Node for BankNode {
    type Msg = BankMsg;
    type Timer = BankTimer;
    type Obs = BankObs;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let BankNode::Client(client) = self {
            let now = ctx.now();
            for job in client.jobs.values_mut() {
                let start = BankTimer::Start { transfer: job.id };
                job.wait_for(ctx, Wait::Start, job.start.since(now), start);
            }
        }
    }

    /// Each transfer is a story: its requests, leases, replication and answers.
    fn subject(msg: &BankMsg) -> Option<u64> {
        let transfer = match *msg {
            BankMsg::Read { op, .. }
            | BankMsg::Debit { op, .. }
            | BankMsg::Credit { op, .. }
            | BankMsg::DebitIfCovered { op, .. }
            | BankMsg::Write { op, .. }
            | BankMsg::Cas { op, .. }
            | BankMsg::Commit { op, .. }
            | BankMsg::Transfer { op, .. }
            | BankMsg::ReadOk { op, .. }
            | BankMsg::Done { op, .. }
            | BankMsg::Acquire { op, .. }
            | BankMsg::Granted { op, .. }
            | BankMsg::Denied { op }
            | BankMsg::Forward { op, .. }
            | BankMsg::Forwarded { op, .. }
            | BankMsg::Unavailable { op } => op.transfer,
            BankMsg::QLock { txn, .. }
            | BankMsg::QLockOk { txn }
            | BankMsg::QLockBusy { txn }
            | BankMsg::QUnlock { txn }
            | BankMsg::QRead { txn, .. }
            | BankMsg::QReadOk { txn, .. }
            | BankMsg::QWrite { txn, .. }
            | BankMsg::QWriteOk { txn }
            | BankMsg::QWriteRefused { txn }
            | BankMsg::QCommit { txn, .. }
            | BankMsg::QAbort { txn }
            | BankMsg::QSettled { txn } => txn.transfer,
            BankMsg::Update { id, .. } | BankMsg::UpdateAck { id } => id,
            // A release names the accounts and the token, not the transfer.
            BankMsg::Release { .. } => return None,
        };
        Some(u64::from(transfer))
    }

    fn timer_subject(timer: &BankTimer) -> Option<u64> {
        let transfer = match *timer {
            BankTimer::Start { transfer }
            | BankTimer::Again { transfer }
            | BankTimer::Think { transfer }
            | BankTimer::QuorumRetry { transfer } => transfer,
            BankTimer::Timeout { op } | BankTimer::Resend { op } => op.transfer,
            BankTimer::QuorumTimeout { txn } => txn.transfer,
            BankTimer::ResendUpdates => return None,
        };
        Some(u64::from(transfer))
    }

    /// Accounts by the scenario's names (the labels `Bank::run` gives the simulation).
    fn describe(msg: &BankMsg, names: Names<'_>) -> String {
        let mut text = String::new();
        let written = msg.write_text(&mut text, |acct| names.label(usize::from(acct)));
        written.expect("writing into a String cannot fail");
        text
    }

    /// The bank and the lock service keep everything on disk: balances, versions, fences and
    /// idempotency keys; leases and the token counter (forgetting a lease would hand the lock
    /// out twice, and forgetting the counter would reissue old tokens, defeating fencing).
    /// A client keeps its journal and loses its timers; a replica, see `Replica::crash`.
    fn on_crash(&mut self) {
        match self {
            BankNode::Client(client) => client.jobs.values_mut().for_each(|job| job.timer = None),
            BankNode::Bank(_) | BankNode::Locks(_) => {}
            BankNode::Replica(replica) => replica.crash(),
        }
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self {
            BankNode::Client(client) => client.restart(ctx),
            // Leases run out by the clock, so there is nothing to wait for.
            BankNode::Bank(_) | BankNode::Locks(_) => {}
            BankNode::Replica(replica) => replica.restart(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: BankMsg) {
        match self {
            BankNode::Client(client) => client.answer(ctx, msg),
            BankNode::Bank(bank) => bank.serve(ctx, from, msg),
            BankNode::Locks(locks) => locks.serve(ctx, from, msg),
            BankNode::Replica(replica) => replica.serve(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: BankTimer) {
        match self {
            BankNode::Client(client) => client.fired(ctx, timer),
            BankNode::Replica(replica) => match timer {
                BankTimer::ResendUpdates => replica.resend(ctx),
                BankTimer::QuorumTimeout { txn } => replica.quorum_timeout(ctx, txn),
                BankTimer::QuorumRetry { transfer } => replica.quorum_retry(ctx, transfer),
                BankTimer::Start { .. }
                | BankTimer::Timeout { .. }
                | BankTimer::Again { .. }
                | BankTimer::Think { .. }
                | BankTimer::Resend { .. } => unreachable!("a client's timer on a replica"),
            },
            BankNode::Bank(_) | BankNode::Locks(_) => {
                unreachable!("the bank and the lock service set no timers")
            }
        }
    }
}

impl Client {
    /// One of its jobs' timers fired: a job has at most one, and it is spent now.
    fn fired(&mut self, ctx: &mut Ctx<'_, BankNode>, timer: BankTimer) {
        let transfer = match timer {
            BankTimer::Start { transfer }
            | BankTimer::Again { transfer }
            | BankTimer::Think { transfer } => transfer,
            BankTimer::Timeout { op } | BankTimer::Resend { op } => op.transfer,
            BankTimer::ResendUpdates
            | BankTimer::QuorumTimeout { .. }
            | BankTimer::QuorumRetry { .. } => unreachable!("a replica's timer on a client"),
        };
        // Finishing a job cancels its timer, so a timer that fires has its job.
        let job = self.jobs.get_mut(&transfer).expect("a timer of a finished transfer fired");
        job.timer = None;
        match timer {
            BankTimer::Start { transfer } => {
                ctx.observe(BankObs::Submitted { transfer });
                self.begin(ctx, transfer);
            }
            BankTimer::Again { transfer } => self.begin(ctx, transfer),
            BankTimer::Think { transfer } => self.write_after_thinking(ctx, transfer),
            BankTimer::Timeout { op } => self.timed_out(ctx, op),
            BankTimer::Resend { op } => self.resend(ctx, op),
            BankTimer::ResendUpdates
            | BankTimer::QuorumTimeout { .. }
            | BankTimer::QuorumRetry { .. } => unreachable!("ruled out above"),
        }
    }

    /// Picks every transfer up where the journal says (see [`Client`]).
    fn restart(&mut self, ctx: &mut Ctx<'_, BankNode>) {
        let now = ctx.now();
        let transfers: Vec<u32> = self.jobs.keys().copied().collect();
        for transfer in transfers {
            let job = self.jobs.get_mut(&transfer).expect("listed just now");
            let op = Op { transfer, step: job.step };
            match job.wait {
                Wait::Start => {
                    let start = BankTimer::Start { transfer };
                    job.wait_for(ctx, Wait::Start, job.start.since(now), start);
                }
                Wait::Answer => self.timed_out(ctx, op),
                Wait::Think => {
                    let think = BankTimer::Think { transfer };
                    job.wait_for(ctx, Wait::Think, self.think_time, think);
                }
                Wait::Again => {
                    job.wait_for(ctx, Wait::Again, SimDuration::ZERO, BankTimer::Again { transfer })
                }
                Wait::Resend => {
                    job.wait_for(ctx, Wait::Resend, SimDuration::ZERO, BankTimer::Resend { op })
                }
            }
        }
    }

    /// Sends the next request of a transfer and arms its timeout.
    fn request(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        transfer: u32,
        phase: Phase,
        msg: impl FnOnce(Op) -> BankMsg,
    ) {
        let job = self.jobs.get_mut(&transfer).expect("a request of a transfer in progress");
        job.step += 1;
        job.phase = phase;
        let op = Op { transfer, step: job.step };
        let msg = msg(op);
        let to = if phase == Phase::Acquire { self.locks } else { self.bank };
        job.pending = Some(msg.clone());
        ctx.send(to, msg);
        job.wait_for(ctx, Wait::Answer, self.request_timeout, BankTimer::Timeout { op });
    }

    fn finish(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32, ending: Ending) {
        let job = self.jobs.remove(&transfer).expect("a transfer finishes once");
        if let Some(timer) = job.timer {
            ctx.cancel_timer(timer);
        }
        if let Some(token) = job.token {
            let (from, to, _) = job.accounts();
            ctx.send(self.locks, BankMsg::Release { from, to, token });
        }
        ctx.observe(BankObs::Finished { transfer, ending });
    }

    /// The first request of a transfer (and of each retry after a back-off).
    fn begin(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32) {
        let job = self.jobs.get_mut(&transfer).expect("a transfer begins while in progress");
        job.attempts += 1;
        job.read = None;
        job.read_to = None;
        let (from, to, cents) = job.accounts();
        match self.strategy {
            Strategy::CheckThenDebit
            | Strategy::ReadModifyWrite
            | Strategy::CompareAndSet { .. } => {
                self.request(ctx, transfer, Phase::ReadSource, |op| BankMsg::Read {
                    op,
                    acct: from,
                    token: None,
                });
            }
            Strategy::Atomic => self.request(ctx, transfer, Phase::Debit, |op| {
                BankMsg::DebitIfCovered { op, acct: from, cents }
            }),
            Strategy::LockLease { .. } => {
                self.request(ctx, transfer, Phase::Acquire, |op| BankMsg::Acquire { op, from, to });
            }
            Strategy::SingleWriter | Strategy::Replicated(_) => {
                let keyed = self.retry.as_ref().is_some_and(|r| r.idempotency_key);
                let key = keyed.then_some(transfer);
                self.request(ctx, transfer, Phase::Transfer, |op| BankMsg::Transfer {
                    op,
                    from,
                    to,
                    cents,
                    key,
                });
            }
        }
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, BankNode>, msg: BankMsg) {
        let op = match &msg {
            BankMsg::ReadOk { op, .. }
            | BankMsg::Done { op, .. }
            | BankMsg::Granted { op, .. }
            | BankMsg::Denied { op }
            | BankMsg::Unavailable { op } => *op,
            BankMsg::Read { .. }
            | BankMsg::Debit { .. }
            | BankMsg::Credit { .. }
            | BankMsg::DebitIfCovered { .. }
            | BankMsg::Write { .. }
            | BankMsg::Cas { .. }
            | BankMsg::Commit { .. }
            | BankMsg::Transfer { .. }
            | BankMsg::Acquire { .. }
            | BankMsg::Release { .. }
            | BankMsg::Update { .. }
            | BankMsg::UpdateAck { .. }
            | BankMsg::Forward { .. }
            | BankMsg::Forwarded { .. }
            | BankMsg::QLock { .. }
            | BankMsg::QLockOk { .. }
            | BankMsg::QLockBusy { .. }
            | BankMsg::QUnlock { .. }
            | BankMsg::QRead { .. }
            | BankMsg::QReadOk { .. }
            | BankMsg::QWrite { .. }
            | BankMsg::QWriteOk { .. }
            | BankMsg::QWriteRefused { .. }
            | BankMsg::QCommit { .. }
            | BankMsg::QAbort { .. }
            | BankMsg::QSettled { .. } => {
                unreachable!("a client is only ever answered, never asked: {msg:?}")
            }
        };
        // Only the answer to the request in flight counts; a late one is ignored.
        let Some(job) = self.jobs.get_mut(&op.transfer).filter(|j| j.step == op.step) else {
            return;
        };
        if job.pending.take().is_none() {
            return; // a second answer to a resent request
        }
        // The answer beats the request's timeout, or the back-off before resending it.
        if let Some(timer) = job.timer.take() {
            ctx.cancel_timer(timer);
        }
        let transfer = op.transfer;
        let (from, to, cents) = job.accounts();
        let phase = job.phase;
        let fenced = matches!(self.strategy, Strategy::LockLease { fencing: true, .. });
        let credit_token = job.token.filter(|_| fenced);
        let credit = |op| BankMsg::Credit { op, acct: to, cents, token: credit_token };
        match (phase, msg) {
            (Phase::Acquire, BankMsg::Granted { token, .. }) => {
                job.token = Some(token);
                let token = fenced.then_some(token);
                self.request(ctx, transfer, Phase::ReadSource, |op| BankMsg::Read {
                    op,
                    acct: from,
                    token,
                });
            }
            (Phase::Acquire, BankMsg::Denied { .. }) => self.back_off(ctx, transfer),
            (Phase::ReadSource, BankMsg::ReadOk { cents: balance, version, .. }) => {
                if balance < cents {
                    return self.finish(ctx, transfer, Ending::Rejected);
                }
                job.read = Some((balance, version));
                match self.strategy {
                    Strategy::CheckThenDebit => self.request(ctx, transfer, Phase::Debit, |op| {
                        BankMsg::Debit { op, acct: from, cents }
                    }),
                    Strategy::ReadModifyWrite => {
                        self.request(ctx, transfer, Phase::ReadDestination, |op| BankMsg::Read {
                            op,
                            acct: to,
                            token: None,
                        })
                    }
                    Strategy::CompareAndSet { .. } => {
                        self.request(ctx, transfer, Phase::Cas, |op| BankMsg::Cas {
                            op,
                            acct: from,
                            version,
                            cents: balance - cents,
                        })
                    }
                    // The client's own work between read and write: where a pause lands.
                    Strategy::LockLease { .. } => {
                        let think = BankTimer::Think { transfer };
                        job.wait_for(ctx, Wait::Think, self.think_time, think);
                    }
                    Strategy::Atomic | Strategy::SingleWriter | Strategy::Replicated(_) => {
                        unreachable!("{:?} never reads", self.strategy)
                    }
                }
            }
            // Fenced: a newer lease holder has read or written since this client's lease
            // was granted; its lease is gone, so the transfer cannot complete.
            (Phase::ReadSource, BankMsg::Done { ok: false, .. }) => {
                assert!(job.token.is_some(), "only a fenced read is refused");
                self.finish(ctx, transfer, Ending::Unavailable);
            }
            (Phase::ReadDestination, BankMsg::ReadOk { cents: balance, version, .. }) => {
                job.read_to = Some((balance, version));
                let (source, source_version) = job.read.unwrap_or((0, 0));
                self.request(ctx, transfer, Phase::WriteSource, |op| BankMsg::Write {
                    op,
                    acct: from,
                    cents: source - cents,
                    base_version: source_version,
                    token: None,
                });
            }
            (Phase::WriteSource, BankMsg::Done { ok: true, .. }) => match job.read_to {
                Some((destination, version)) => {
                    self.request(ctx, transfer, Phase::WriteDestination, |op| BankMsg::Write {
                        op,
                        acct: to,
                        cents: destination + cents,
                        base_version: version,
                        token: None,
                    });
                }
                None => self.request(ctx, transfer, Phase::Credit, credit),
            },
            // Fenced: a newer lease holder has written since this client read.
            (Phase::WriteSource, BankMsg::Done { ok: false, .. }) => {
                self.finish(ctx, transfer, Ending::Unavailable);
            }
            (Phase::Debit, BankMsg::Done { ok: true, .. }) => {
                self.request(ctx, transfer, Phase::Credit, credit);
            }
            (Phase::Debit, BankMsg::Done { ok: false, .. }) => {
                self.finish(ctx, transfer, Ending::Rejected);
            }
            (Phase::Cas, BankMsg::Done { ok: true, .. }) => {
                self.request(ctx, transfer, Phase::Credit, credit);
            }
            (Phase::Cas, BankMsg::Done { ok: false, .. }) => self.back_off(ctx, transfer),
            // An unfenced credit or write is never refused.
            (Phase::Credit | Phase::WriteDestination, BankMsg::Done { ok: true, .. }) => {
                self.finish(ctx, transfer, Ending::Committed);
            }
            // Fenced: the lease ran out after the debit, and a newer holder has read the
            // destination since. The debit stands, the credit cannot: the money is gone, as
            // whenever a two-step transfer is abandoned halfway.
            (Phase::Credit, BankMsg::Done { ok: false, .. }) => {
                assert!(credit_token.is_some(), "only a fenced credit is refused");
                self.finish(ctx, transfer, Ending::Unavailable);
            }
            // Refused: a newer lease holder has been at one of the accounts, or the source
            // changed since the read. Nothing moved (a copy of an applied transaction is
            // answered ok).
            (Phase::Commit, BankMsg::Done { ok, .. }) => {
                let ending = if ok { Ending::Committed } else { Ending::Unavailable };
                self.finish(ctx, transfer, ending);
            }
            (Phase::Transfer, BankMsg::Done { ok, .. }) => {
                let ending = if ok { Ending::Committed } else { Ending::Rejected };
                self.finish(ctx, transfer, ending);
            }
            // A replica could not decide the transfer: no quorum, no primary.
            (Phase::Transfer, BankMsg::Unavailable { .. }) => {
                self.finish(ctx, transfer, Ending::Unavailable);
            }
            (phase, msg) => unreachable!("{msg:?} cannot answer a request of phase {phase:?}"),
        }
    }

    fn write_after_thinking(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32) {
        let Strategy::LockLease { fencing, transaction, .. } = self.strategy else {
            unreachable!("only a lease holder thinks between reading and writing")
        };
        let job = self.jobs.get_mut(&transfer).expect("a transfer thinks while in progress");
        let (balance, version) = job.read.expect("it thinks about what it read");
        let (from, to, cents) = job.accounts();
        let token = job.token.filter(|_| fencing);
        if transaction {
            return self.request(ctx, transfer, Phase::Commit, |op| BankMsg::Commit {
                op,
                from,
                from_cents: balance - cents,
                base_version: version,
                to,
                credit_cents: cents,
                token,
            });
        }
        self.request(ctx, transfer, Phase::WriteSource, |op| BankMsg::Write {
            op,
            acct: from,
            cents: balance - cents,
            base_version: version,
            token,
        });
    }

    /// A refused lease or a version conflict: wait, then start the transfer over.
    fn back_off(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32) {
        let (max_attempts, backoff) = match &self.strategy {
            Strategy::CompareAndSet { max_attempts, backoff }
            | Strategy::LockLease { max_attempts, backoff, .. } => (*max_attempts, backoff.clone()),
            strategy => unreachable!("{strategy:?} is never refused a lease or a version"),
        };
        let job = self.jobs.get_mut(&transfer).expect("a transfer backs off while in progress");
        if job.attempts >= max_attempts {
            return self.finish(ctx, transfer, Ending::Unavailable);
        }
        if job.attempts == 1 {
            job.backoff = backoff.start();
        }
        // Keyed by transfer and attempt: one transfer's jitter never shifts another's.
        let key = attempt_key(u64::from(transfer), job.attempts);
        let delay = ctx.draw(Purpose::Jitter, key, |rng| backoff.next_delay(&mut job.backoff, rng));
        job.wait_for(ctx, Wait::Again, delay, BankTimer::Again { transfer });
    }

    /// No answer in time: resend the same request if the policy retries, else give up.
    fn timed_out(&mut self, ctx: &mut Ctx<'_, BankNode>, op: Op) {
        // An answer cancels the timeout, so the request it times out is still unanswered.
        let job = self.jobs.get_mut(&op.transfer).expect("a timeout of a transfer in progress");
        assert!(job.step == op.step && job.pending.is_some(), "{op:?} was answered");
        let Some(retry) = self.retry.as_ref().filter(|r| job.attempts < r.max_attempts) else {
            return self.finish(ctx, op.transfer, Ending::Unavailable);
        };
        if job.attempts == 1 {
            job.backoff = retry.backoff.start();
        }
        let key = attempt_key(u64::from(op.transfer), job.attempts);
        job.attempts += 1;
        let delay =
            ctx.draw(Purpose::Jitter, key, |rng| retry.backoff.next_delay(&mut job.backoff, rng));
        job.wait_for(ctx, Wait::Resend, delay, BankTimer::Resend { op });
    }

    /// Sends the unanswered request again, unchanged: the same op, so an answer to either
    /// copy completes it, and the same idempotency key, if the policy uses one.
    fn resend(&mut self, ctx: &mut Ctx<'_, BankNode>, op: Op) {
        // An answer cancels the resend too, so the request is still unanswered.
        let job = self.jobs.get_mut(&op.transfer).expect("a resend of a transfer in progress");
        assert_eq!(job.step, op.step, "{op:?} was answered");
        let msg = job.pending.clone().expect("an unanswered request to resend");
        let to = if job.phase == Phase::Acquire { self.locks } else { self.bank };
        ctx.send(to, msg);
        job.wait_for(ctx, Wait::Answer, self.request_timeout, BankTimer::Timeout { op });
    }
}

impl Bank {
    fn serve(&mut self, ctx: &mut Ctx<'_, BankNode>, from: NodeId, msg: BankMsg) {
        if matches!(
            msg,
            BankMsg::Debit { .. }
                | BankMsg::DebitIfCovered { .. }
                | BankMsg::Write { .. }
                | BankMsg::Cas { .. }
                | BankMsg::Commit { .. }
                | BankMsg::Transfer { .. }
        ) {
            ctx.observe(BankObs::WriteAttempt);
        }
        let reply = match msg {
            BankMsg::Read { op, acct, token } => {
                if !self.fenced(acct, token) {
                    return ctx.send(from, BankMsg::Done { op, ok: false });
                }
                let (cents, version) = self.accounts[acct as usize];
                ctx.observe(BankObs::Read { transfer: op.transfer, acct, cents });
                BankMsg::ReadOk { op, cents, version }
            }
            BankMsg::Debit { op, acct, cents } => {
                self.change(ctx, op.transfer, acct, -cents);
                BankMsg::Done { op, ok: true }
            }
            BankMsg::Credit { op, acct, cents, token } => {
                if !self.fenced(acct, token) {
                    return ctx.send(from, BankMsg::Done { op, ok: false });
                }
                self.change(ctx, op.transfer, acct, cents);
                BankMsg::Done { op, ok: true }
            }
            BankMsg::DebitIfCovered { op, acct, cents } => {
                let ok = self.accounts[acct as usize].0 >= cents;
                if ok {
                    self.change(ctx, op.transfer, acct, -cents);
                }
                BankMsg::Done { op, ok }
            }
            BankMsg::Write { op, acct, cents, base_version, token } => {
                if !self.fenced(acct, token) {
                    return ctx.send(from, BankMsg::Done { op, ok: false });
                }
                let (old, version) = self.accounts[acct as usize];
                if base_version != version {
                    ctx.observe(BankObs::LostUpdate {
                        transfer: op.transfer,
                        acct,
                        base_version,
                        version,
                    });
                }
                self.change(ctx, op.transfer, acct, cents - old);
                BankMsg::Done { op, ok: true }
            }
            BankMsg::Cas { op, acct, version, cents } => {
                let (old, current) = self.accounts[acct as usize];
                let ok = version == current;
                if ok {
                    self.change(ctx, op.transfer, acct, cents - old);
                }
                BankMsg::Done { op, ok }
            }
            BankMsg::Commit {
                op,
                from: source,
                from_cents,
                base_version,
                to,
                credit_cents,
                token,
            } => {
                // A copy of a transaction already applied (resent, or duplicated by the
                // network) gets the first one's answer: it is neither applied twice nor
                // refused for the version change it made itself.
                if self.committed.contains(&op) {
                    return ctx.send(from, BankMsg::Done { op, ok: true });
                }
                // Both accounts or neither: a refused transaction raises no fence.
                let ok = self.admits(source, token)
                    && self.admits(to, token)
                    && self.accounts[source as usize].1 == base_version;
                if ok {
                    self.fenced(source, token);
                    self.fenced(to, token);
                    let old = self.accounts[source as usize].0;
                    self.change(ctx, op.transfer, source, from_cents - old);
                    self.change(ctx, op.transfer, to, credit_cents);
                    self.committed.insert(op);
                }
                BankMsg::Done { op, ok }
            }
            BankMsg::Transfer { op, from: source, to, cents, key } => {
                if let Some(&ok) = key.and_then(|k| self.applied.get(&k)) {
                    return ctx.send(from, BankMsg::Done { op, ok });
                }
                let ok = self.accounts[source as usize].0 >= cents;
                if ok {
                    self.change(ctx, op.transfer, source, -cents);
                    self.change(ctx, op.transfer, to, cents);
                }
                if let Some(k) = key {
                    self.applied.insert(k, ok);
                }
                BankMsg::Done { op, ok }
            }
            // Leases are the lock service's, answers the clients', the rest the replicas'.
            BankMsg::Acquire { .. }
            | BankMsg::Release { .. }
            | BankMsg::ReadOk { .. }
            | BankMsg::Done { .. }
            | BankMsg::Granted { .. }
            | BankMsg::Denied { .. }
            | BankMsg::Unavailable { .. }
            | BankMsg::Update { .. }
            | BankMsg::UpdateAck { .. }
            | BankMsg::Forward { .. }
            | BankMsg::Forwarded { .. }
            | BankMsg::QLock { .. }
            | BankMsg::QLockOk { .. }
            | BankMsg::QLockBusy { .. }
            | BankMsg::QUnlock { .. }
            | BankMsg::QRead { .. }
            | BankMsg::QReadOk { .. }
            | BankMsg::QWrite { .. }
            | BankMsg::QWriteOk { .. }
            | BankMsg::QWriteRefused { .. }
            | BankMsg::QCommit { .. }
            | BankMsg::QAbort { .. }
            | BankMsg::QSettled { .. } => unreachable!("the bank serves accounts only: {msg:?}"),
        };
        ctx.send(from, reply);
    }

    /// Whether a request with `token` may touch `acct`: not if a newer lease holder has read
    /// or written it already. An accepted token raises the fence to itself.
    fn fenced(&mut self, acct: u8, token: Option<u64>) -> bool {
        if !self.admits(acct, token) {
            return false;
        }
        if let Some(token) = token {
            self.fence[acct as usize] = token;
        }
        true
    }

    /// Whether a request with `token` may touch `acct`, without raising the fence.
    fn admits(&self, acct: u8, token: Option<u64>) -> bool {
        token.is_none_or(|token| token >= self.fence[acct as usize])
    }

    fn change(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32, acct: u8, delta: i64) {
        let account = &mut self.accounts[acct as usize];
        account.0 += delta;
        account.1 += 1;
        let cents = account.0;
        ctx.observe(BankObs::Changed { transfer, store: 0, acct, cents });
    }
}

impl Locks {
    fn release(&mut self, acct: u8, token: u64) {
        if self.held.get(&acct).is_some_and(|&(holder, _)| holder == token) {
            self.held.remove(&acct);
        }
    }

    fn serve(&mut self, ctx: &mut Ctx<'_, BankNode>, from: NodeId, msg: BankMsg) {
        match msg {
            BankMsg::Acquire { op, from: source, to } => {
                let now = ctx.now();
                // A lease that has run out is free, whether or not its holder knows it. Both
                // accounts or neither: a holder of one waiting for the other would deadlock.
                let free = [source, to]
                    .iter()
                    .all(|acct| self.held.get(acct).is_none_or(|&(_, until)| until <= now));
                if free {
                    let token = self.next_token;
                    self.next_token += 1;
                    self.held.insert(source, (token, now + self.lease));
                    self.held.insert(to, (token, now + self.lease));
                    ctx.send(from, BankMsg::Granted { op, token });
                } else {
                    ctx.send(from, BankMsg::Denied { op });
                }
            }
            // Only the current holder can release: a stale release must not free the
            // lease someone else now holds.
            BankMsg::Release { from, to, token } => {
                self.release(from, token);
                self.release(to, token);
            }
            // Account requests are the bank's, answers the clients', the rest the replicas'.
            BankMsg::Read { .. }
            | BankMsg::Debit { .. }
            | BankMsg::Credit { .. }
            | BankMsg::DebitIfCovered { .. }
            | BankMsg::Write { .. }
            | BankMsg::Cas { .. }
            | BankMsg::Commit { .. }
            | BankMsg::Transfer { .. }
            | BankMsg::ReadOk { .. }
            | BankMsg::Done { .. }
            | BankMsg::Granted { .. }
            | BankMsg::Denied { .. }
            | BankMsg::Unavailable { .. }
            | BankMsg::Update { .. }
            | BankMsg::UpdateAck { .. }
            | BankMsg::Forward { .. }
            | BankMsg::Forwarded { .. }
            | BankMsg::QLock { .. }
            | BankMsg::QLockOk { .. }
            | BankMsg::QLockBusy { .. }
            | BankMsg::QUnlock { .. }
            | BankMsg::QRead { .. }
            | BankMsg::QReadOk { .. }
            | BankMsg::QWrite { .. }
            | BankMsg::QWriteOk { .. }
            | BankMsg::QWriteRefused { .. }
            | BankMsg::QCommit { .. }
            | BankMsg::QAbort { .. }
            | BankMsg::QSettled { .. } => {
                unreachable!("the lock service only grants and takes back leases: {msg:?}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_encodings_are_pinned() {
        let op = Op { transfer: 1, step: 2 };
        let write = BankMsg::Write { op, acct: 0, cents: -5, base_version: 3, token: Some(9) };
        assert_eq!(
            TraceHasher::of(&write),
            TraceHasher::of_words(&[4, 1, 2, 0, u64::MAX - 4, 3, 1, 9])
        );
        let quorum = BankMsg::QWrite { txn: op, from: (0, 100, 4), to: (2, 0, 1) };
        assert_eq!(
            TraceHasher::of(&quorum),
            TraceHasher::of_words(&[23, 1, 2, 0, 100, 4, 2, 0, 1])
        );
        assert_eq!(
            TraceHasher::of(&BankMsg::Unavailable { op }),
            TraceHasher::of_words(&[25, 1, 2])
        );
        assert_eq!(TraceHasher::of(&BankTimer::ResendUpdates), TraceHasher::of_words(&[5]));
        assert_eq!(
            TraceHasher::of(&BankTimer::QuorumRetry { transfer: 1 }),
            TraceHasher::of_words(&[7, 1])
        );
    }
}
