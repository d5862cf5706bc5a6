//! Replicated accounts: every replica holds every account, and clients talk to the replica
//! they are attached to. Three ways to keep replicas in step, three answers to the CAP
//! question when a partition separates the clients' replicas:
//! - `AsyncReplication`: a replica approves a transfer against its own copy and tells the
//!   others afterwards, resending until they acknowledge. Always available; both sides of a
//!   partition approve, and once the updates cross, the account is overdrawn everywhere.
//! - `SyncPrimary`: transfers go through one primary, which commits once a majority
//!   (itself included) holds the update. The side without the primary is unavailable.
//! - `Quorum`: the client's replica coordinates: it locks both accounts at a majority of
//!   replicas, reads the newest versions from that majority, and writes in two phases: each
//!   replica still holding the lock stages the write (and keeps the lock until it hears the
//!   outcome); once a majority has staged it, the transfer is committed and every replica
//!   applies it. A write that no majority staged is aborted and never applied anywhere, so a
//!   coordinator cut off or crashed halfway leaves no trace. Without a majority there is no
//!   transfer.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{Ctx, NodeId, Purpose, SimDuration, SimTime, attempt_key};

use super::nodes::{BankMsg, BankNode, BankObs, BankTimer, Op};

/// How replicas agree.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Replication {
    Async,
    /// The primary, by index among the replicas.
    SyncPrimary {
        primary: usize,
    },
    Quorum,
}

/// How often unacknowledged updates are sent again, and how long a quorum lock lasts.
const RESEND_EVERY: SimDuration = SimDuration::from_millis(200);
const LOCK_LEASE: SimDuration = SimDuration::from_millis(500);
/// A lock whose holder's write is staged here: it lasts until the outcome arrives, since the
/// write may be committed already and nobody else may read the account before it lands.
const STAGED: SimTime = SimTime::MAX;
const QUORUM_ATTEMPTS: u32 = 5;

/// An account's new balance and version: (account, cents, version).
type Versioned = (u8, i64, u64);

/// A transfer a quorum coordinator is working on.
struct Coordination {
    op: Op,
    client: NodeId,
    from: u8,
    to: u8,
    cents: i64,
    attempt: u32,
    /// Answers are counted by replica, not by message: the network may duplicate them.
    granted: BTreeSet<NodeId>,
    refused: BTreeSet<NodeId>,
    /// Newest (balance, version) of the source and destination seen so far, and the
    /// replicas that answered the read.
    read_from: (i64, u64),
    read_to: (i64, u64),
    readers: BTreeSet<NodeId>,
    /// In the write phase: the replicas that staged the write, and those that refused.
    staged: BTreeSet<NodeId>,
    unstaged: BTreeSet<NodeId>,
    /// In the write phase, the write.
    write: Option<(Versioned, Versioned)>,
    /// Whether the current round still counts answers.
    active: bool,
}

/// A write the primary is waiting to see on a majority.
struct Pending {
    op: Op,
    reply_to: NodeId,
    /// The client, when `reply_to` is the replica that forwarded the transfer.
    client: Option<u32>,
    acks: u32,
}

/// One replica. Durable, as a database's disk would hold them: balances and versions, the
/// updates applied and how far into each origin's sequence, the outbox of updates and quorum
/// outcomes its peers have not acknowledged (written with the change they carry, so nothing
/// applied or decided here is left unsent), the quorum locks it has granted and the writes it
/// staged (forgetting one would let two coordinators lock the same account), and, as a
/// coordinator, the writes it asked replicas to stage and has not decided yet.
/// Volatile: who is waiting for an answer (a primary's pending commits, a coordinator's
/// rounds; their clients time out) and the resend timer.
pub struct Replica {
    index: usize,
    /// Every replica, this one included, by index.
    replicas: Vec<NodeId>,
    mode: Replication,
    /// Balance and version per account.
    accounts: Vec<(i64, u64)>,
    /// Updates already applied, by transfer id.
    applied: BTreeSet<u32>,
    /// How many updates this replica has originated: the next one's sequence number.
    originated: u32,
    /// Per origin, the sequence number of the next of its updates to apply.
    next_update: BTreeMap<NodeId, u32>,
    /// Updates that overtook an earlier one from the same origin, by (origin, sequence
    /// number): they wait, unacknowledged, for the gap to fill. Volatile: the origin resends
    /// whatever is not acknowledged.
    early: BTreeMap<(NodeId, u32), (u32, u8, u8, i64)>,
    /// Updates not yet acknowledged, per peer: resent until they are.
    outbox: BTreeMap<(NodeId, u32), BankMsg>,
    /// Whether the resend timer is pending; it dies with a crash.
    resend_armed: bool,
    pending: BTreeMap<u32, Pending>,
    /// Quorum locks held here: account → (holder, until); `STAGED` while its write is staged.
    locks: BTreeMap<u8, (Op, SimTime)>,
    /// As a coordinator: writes sent for staging and not decided yet, by transfer. A restart
    /// aborts them, so no replica holds a staged write for ever.
    undecided: BTreeMap<u32, Op>,
    coordinating: BTreeMap<u32, Coordination>,
}

impl Replica {
    pub(super) fn new(
        index: usize,
        replicas: Vec<NodeId>,
        mode: Replication,
        accounts: &[(String, i64)],
    ) -> Replica {
        Replica {
            index,
            replicas,
            mode,
            accounts: accounts.iter().map(|(_, c)| (*c, 0)).collect(),
            applied: BTreeSet::new(),
            originated: 0,
            next_update: BTreeMap::new(),
            early: BTreeMap::new(),
            outbox: BTreeMap::new(),
            resend_armed: false,
            pending: BTreeMap::new(),
            locks: BTreeMap::new(),
            undecided: BTreeMap::new(),
            coordinating: BTreeMap::new(),
        }
    }

    /// Drops what lived in memory (see [`Replica`]).
    pub(super) fn crash(&mut self) {
        self.resend_armed = false;
        self.early.clear();
        self.pending.clear();
        self.coordinating.clear();
    }

    /// The resend timer died with the crash: without it the outbox would never drain, and
    /// peers that missed an update would disagree for ever. Writes this coordinator had sent
    /// for staging but not decided are aborted: their clients have been let down anyway, and
    /// the replicas that staged them are holding their locks until they hear.
    pub(super) fn restart(&mut self, ctx: &mut Ctx<'_, BankNode>) {
        for txn in std::mem::take(&mut self.undecided).into_values() {
            self.decide(ctx, txn, BankMsg::QAbort { txn });
        }
        self.arm_resend(ctx);
    }

    fn majority(&self) -> u32 {
        self.replicas.len() as u32 / 2 + 1
    }

    fn set(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        transfer: u32,
        acct: u8,
        cents: i64,
        version: u64,
    ) {
        self.accounts[acct as usize] = (cents, version);
        let store = self.index as u8;
        ctx.observe(BankObs::Changed { transfer, store, acct, cents });
    }

    /// Applies a transfer's two deltas once.
    fn apply(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32, from: u8, to: u8, cents: i64) {
        if !self.applied.insert(transfer) {
            return;
        }
        let (f, fv) = self.accounts[from as usize];
        let (t, tv) = self.accounts[to as usize];
        self.set(ctx, transfer, from, f - cents, fv + 1);
        self.set(ctx, transfer, to, t + cents, tv + 1);
    }

    /// Applies a transfer this replica decided, and replicates it as its next update.
    fn originate(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        transfer: u32,
        from: u8,
        to: u8,
        cents: i64,
    ) {
        if self.applied.contains(&transfer) {
            return; // a copy of a transfer decided already: it is replicating
        }
        self.apply(ctx, transfer, from, to, cents);
        let seq = self.originated;
        self.originated += 1;
        self.replicate(ctx, transfer, BankMsg::Update { id: transfer, seq, from, to, cents });
    }

    /// Applies `origin`'s updates in the order it made them, so this replica only ever holds
    /// balances the origin held too: an update that overtook an earlier one (a resend after a
    /// partition, jitter) waits for it. Each is acknowledged once applied.
    fn receive_update(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        origin: NodeId,
        seq: u32,
        update: (u32, u8, u8, i64),
    ) {
        let mut next = self.next_update.get(&origin).copied().unwrap_or(0);
        if seq < next {
            // A copy of one applied already: its acknowledgement was lost, send it again.
            return ctx.send(origin, BankMsg::UpdateAck { id: update.0 });
        }
        self.early.insert((origin, seq), update);
        while let Some((id, from, to, cents)) = self.early.remove(&(origin, next)) {
            self.apply(ctx, id, from, to, cents);
            ctx.send(origin, BankMsg::UpdateAck { id });
            next += 1;
        }
        self.next_update.insert(origin, next);
    }

    /// Sends `msg` to every other replica, and keeps resending it until each acknowledges.
    fn replicate(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32, msg: BankMsg) {
        for (i, &peer) in self.replicas.iter().enumerate() {
            if i != self.index {
                ctx.send(peer, msg.clone());
                self.outbox.insert((peer, transfer), msg.clone());
            }
        }
        self.arm_resend(ctx);
    }

    fn arm_resend(&mut self, ctx: &mut Ctx<'_, BankNode>) {
        if !self.resend_armed && !self.outbox.is_empty() {
            self.resend_armed = true;
            ctx.set_timer(RESEND_EVERY, BankTimer::ResendUpdates);
        }
    }

    pub(super) fn resend(&mut self, ctx: &mut Ctx<'_, BankNode>) {
        self.resend_armed = false;
        for (&(peer, _), msg) in &self.outbox {
            ctx.send(peer, msg.clone());
        }
        self.arm_resend(ctx);
    }

    pub(super) fn serve(&mut self, ctx: &mut Ctx<'_, BankNode>, from: NodeId, msg: BankMsg) {
        if matches!(msg, BankMsg::Transfer { .. }) {
            ctx.observe(BankObs::WriteAttempt);
        }
        match msg {
            BankMsg::Transfer { op, from: source, to, cents, .. } => match self.mode {
                Replication::Async => {
                    let ok = self.accounts[source as usize].0 >= cents;
                    ctx.observe(BankObs::Approved {
                        transfer: op.transfer,
                        store: self.index as u8,
                        ok,
                    });
                    if ok {
                        self.originate(ctx, op.transfer, source, to, cents);
                    }
                    ctx.send(from, BankMsg::Done { op, ok });
                }
                Replication::SyncPrimary { primary } if primary != self.index => {
                    // Not the primary: pass it on; the answer comes back the same way.
                    let forward = BankMsg::Forward { op, client: from.0, from: source, to, cents };
                    ctx.send(self.replicas[primary], forward);
                }
                Replication::SyncPrimary { .. } => {
                    self.primary_write(ctx, from, None, op, source, to, cents);
                }
                Replication::Quorum => self.coordinate(ctx, from, op, source, to, cents),
            },
            BankMsg::Forward { op, client, from: source, to, cents } => {
                self.primary_write(ctx, from, Some(client), op, source, to, cents);
            }
            BankMsg::Forwarded { op, client, ok } => {
                ctx.send(NodeId(client), BankMsg::Done { op, ok })
            }
            BankMsg::Update { id, seq, from: source, to, cents } => {
                self.receive_update(ctx, from, seq, (id, source, to, cents));
            }
            BankMsg::UpdateAck { id } => {
                self.outbox.remove(&(from, id));
                let majority = self.majority();
                if let Some(p) = self.pending.get_mut(&id) {
                    p.acks += 1;
                    if p.acks >= majority {
                        let p = self.pending.remove(&id).expect("present");
                        self.answer(ctx, &p, true);
                    }
                }
            }
            BankMsg::QLock { txn, from: source, to } => {
                // Both accounts or neither: two transfers that share any account cannot
                // both hold a majority, because two majorities share a replica.
                let now = ctx.now();
                let free = [source, to].iter().all(|acct| {
                    self.locks
                        .get(acct)
                        .is_none_or(|&(holder, until)| holder == txn || until <= now)
                });
                if free {
                    for acct in [source, to] {
                        let staged = self.locks.get(&acct) == Some(&(txn, STAGED));
                        if !staged {
                            self.locks.insert(acct, (txn, now + LOCK_LEASE));
                        }
                    }
                }
                ctx.send(
                    from,
                    if free { BankMsg::QLockOk { txn } } else { BankMsg::QLockBusy { txn } },
                );
            }
            BankMsg::QUnlock { txn } => self.unlock(txn),
            BankMsg::QRead { txn, from: source, to } => {
                let reply = BankMsg::QReadOk {
                    txn,
                    from: self.accounts[source as usize],
                    to: self.accounts[to as usize],
                };
                ctx.send(from, reply);
            }
            BankMsg::QWrite { txn, from: (source, ..), to: (dest, ..) } => {
                // Staged only while this replica still holds the transfer's lock on both
                // accounts: a lock that ran out may have gone to someone else since.
                let now = ctx.now();
                let holds = [source, dest].iter().all(|acct| {
                    self.locks
                        .get(acct)
                        .is_some_and(|&(holder, until)| holder == txn && until > now)
                });
                if holds {
                    self.locks.insert(source, (txn, STAGED));
                    self.locks.insert(dest, (txn, STAGED));
                }
                let reply =
                    if holds { BankMsg::QWriteOk { txn } } else { BankMsg::QWriteRefused { txn } };
                ctx.send(from, reply);
            }
            BankMsg::QCommit { txn, from: (source, f, fv), to: (dest, t, tv) } => {
                // Newer versions win: a late or repeated commit never rolls a copy back, and
                // a replica that missed an earlier commit catches up on whichever comes.
                if fv > self.accounts[source as usize].1 {
                    self.set(ctx, txn.transfer, source, f, fv);
                }
                if tv > self.accounts[dest as usize].1 {
                    self.set(ctx, txn.transfer, dest, t, tv);
                }
                self.settle(txn);
                ctx.send(from, BankMsg::QSettled { txn });
            }
            BankMsg::QAbort { txn } => {
                self.settle(txn);
                ctx.send(from, BankMsg::QSettled { txn });
            }
            BankMsg::QSettled { txn } => {
                // Only if the outbox still holds this outcome, or an older attempt's: a later
                // attempt's outcome replaced it and must still be delivered.
                let settles = |msg: &BankMsg| match msg {
                    BankMsg::QCommit { txn: sent, .. } | BankMsg::QAbort { txn: sent } => {
                        sent.step <= txn.step
                    }
                    other => unreachable!("a quorum outcome in the outbox, not {other:?}"),
                };
                if self.outbox.get(&(from, txn.transfer)).is_some_and(settles) {
                    self.outbox.remove(&(from, txn.transfer));
                }
            }
            BankMsg::QLockOk { txn } => self.lock_answer(ctx, from, txn, true),
            BankMsg::QLockBusy { txn } => self.lock_answer(ctx, from, txn, false),
            BankMsg::QReadOk { txn, from: f, to: t } => self.read_answer(ctx, from, txn, f, t),
            BankMsg::QWriteOk { txn } => self.write_answer(ctx, from, txn, true),
            BankMsg::QWriteRefused { txn } => self.write_answer(ctx, from, txn, false),
            // Clients of replicated accounts send whole transfers only, and replicas answer
            // them; single-account requests and leases belong to the unreplicated bank.
            BankMsg::Read { .. }
            | BankMsg::Debit { .. }
            | BankMsg::Credit { .. }
            | BankMsg::DebitIfCovered { .. }
            | BankMsg::Write { .. }
            | BankMsg::Commit { .. }
            | BankMsg::Cas { .. }
            | BankMsg::ReadOk { .. }
            | BankMsg::Done { .. }
            | BankMsg::Acquire { .. }
            | BankMsg::Granted { .. }
            | BankMsg::Denied { .. }
            | BankMsg::Release { .. }
            | BankMsg::Unavailable { .. } => unreachable!("a replica never receives {msg:?}"),
        }
    }

    /// Frees what `txn` holds, and nothing else: a late unlock must not free a lock that
    /// someone else holds now, nor one whose write is staged (only its outcome frees that).
    fn unlock(&mut self, txn: Op) {
        self.locks.retain(|_, &mut (holder, until)| holder != txn || until == STAGED);
    }

    /// The outcome of `txn` arrived: its locks, staged or not, are free, and so are those of
    /// the transfer's earlier attempts (a coordinator decides its attempts in order, and a
    /// later outcome may have replaced an earlier one in its outbox).
    fn settle(&mut self, txn: Op) {
        self.locks.retain(|_, &mut (holder, _)| {
            holder.transfer != txn.transfer || holder.step > txn.step
        });
    }

    /// Records a coordinator's decision in the outbox, for every replica this one included,
    /// and sends it: resent until each has settled it.
    fn decide(&mut self, ctx: &mut Ctx<'_, BankNode>, txn: Op, outcome: BankMsg) {
        for &replica in &self.replicas {
            ctx.send(replica, outcome.clone());
            self.outbox.insert((replica, txn.transfer), outcome.clone());
        }
        self.arm_resend(ctx);
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, BankNode>, p: &Pending, ok: bool) {
        let op = p.op;
        match p.client {
            Some(client) => ctx.send(p.reply_to, BankMsg::Forwarded { op, client, ok }),
            None => ctx.send(p.reply_to, BankMsg::Done { op, ok }),
        }
    }

    /// The primary checks its own copy (the authoritative one), applies, and answers once a
    /// majority holds the update.
    #[allow(clippy::too_many_arguments)]
    fn primary_write(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        reply_to: NodeId,
        client: Option<u32>,
        op: Op,
        from: u8,
        to: u8,
        cents: i64,
    ) {
        if self.applied.contains(&op.transfer) {
            // A copy of a transfer committed or committing here: its answer is on the way,
            // or was lost with a crash and the client has timed out.
            return;
        }
        let pending = Pending { op, reply_to, client, acks: 1 };
        let ok = self.accounts[from as usize].0 >= cents;
        ctx.observe(BankObs::Approved { transfer: op.transfer, store: self.index as u8, ok });
        if !ok {
            return self.answer(ctx, &pending, false);
        }
        self.pending.insert(op.transfer, pending);
        self.originate(ctx, op.transfer, from, to, cents);
    }

    fn coordinate(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        client: NodeId,
        op: Op,
        from: u8,
        to: u8,
        cents: i64,
    ) {
        // A copy of the request (the network duplicates it) while its transfer is being
        // decided: the coordination under way answers it. Starting over would reuse the
        // rounds' ids, and the first coordination's late answers would pass for the new one's.
        if self.coordinating.get(&op.transfer).is_some_and(|c| c.op == op) {
            return;
        }
        let coordination = Coordination {
            op,
            client,
            from,
            to,
            cents,
            attempt: 0,
            granted: BTreeSet::new(),
            refused: BTreeSet::new(),
            read_from: (0, 0),
            read_to: (0, 0),
            readers: BTreeSet::new(),
            staged: BTreeSet::new(),
            unstaged: BTreeSet::new(),
            write: None,
            active: false,
        };
        self.coordinating.insert(op.transfer, coordination);
        self.lock_round(ctx, op.transfer);
    }

    /// Asks every replica for the source account's lock.
    fn lock_round(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32) {
        // Rounds start when a coordination begins or its retry timer fires; only a crash
        // ends it in between, and the crash kills the timer too.
        let c = self.coordinating.get_mut(&transfer).expect("a round of a live coordination");
        c.attempt += 1;
        c.active = true;
        c.granted.clear();
        c.refused.clear();
        let txn = Op { transfer, step: c.attempt };
        let (from, to) = (c.from, c.to);
        for &replica in &self.replicas {
            ctx.send(replica, BankMsg::QLock { txn, from, to });
        }
        ctx.set_timer(LOCK_LEASE, BankTimer::QuorumTimeout { txn });
    }

    fn current(&self, txn: Op) -> bool {
        self.coordinating.get(&txn.transfer).is_some_and(|c| c.active && c.attempt == txn.step)
    }

    fn lock_answer(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        replica: NodeId,
        txn: Op,
        granted: bool,
    ) {
        if !self.current(txn) {
            if granted {
                // A grant for an attempt already given up: hand it straight back.
                ctx.send(replica, BankMsg::QUnlock { txn });
            }
            return;
        }
        let majority = self.majority();
        let total = self.replicas.len() as u32;
        let c = self.coordinating.get_mut(&txn.transfer).expect("current");
        if granted {
            c.granted.insert(replica);
        } else {
            c.refused.insert(replica);
        }
        if granted && c.granted.len() as u32 == majority {
            let (from, to) = (c.from, c.to);
            c.readers.clear();
            c.read_from = (0, 0);
            c.read_to = (0, 0);
            let holders: Vec<NodeId> = c.granted.iter().copied().collect();
            for replica in holders {
                ctx.send(replica, BankMsg::QRead { txn, from, to });
            }
        } else if c.refused.len() as u32 > total - majority {
            // A majority is out of reach this round: let go, wait a little, try again.
            self.give_up_round(ctx, txn);
        }
    }

    fn give_up_round(&mut self, ctx: &mut Ctx<'_, BankNode>, txn: Op) {
        let c = self.coordinating.get_mut(&txn.transfer).expect("the caller checked `current`");
        if c.write.take().is_some() {
            // Staged writes hold their locks until they hear: abort, durably.
            self.undecided.remove(&txn.transfer);
            self.decide(ctx, txn, BankMsg::QAbort { txn });
        }
        let c = self.coordinating.get_mut(&txn.transfer).expect("still coordinating");
        for &replica in &c.granted {
            ctx.send(replica, BankMsg::QUnlock { txn });
        }
        c.granted.clear();
        c.active = false; // late answers to this round are ignored from now on
        if c.attempt >= QUORUM_ATTEMPTS {
            let (client, op) = (c.client, c.op);
            self.coordinating.remove(&txn.transfer);
            return ctx.send(client, BankMsg::Unavailable { op });
        }
        // Keyed by transfer and round, so one transfer's retries never shift another's.
        let key = attempt_key(u64::from(txn.transfer), c.attempt);
        let (min, max) = (SimDuration::from_millis(5), SimDuration::from_millis(50));
        let delay = ctx.draw(Purpose::Jitter, key, |rng| rng.duration_between(min, max));
        ctx.set_timer(delay, BankTimer::QuorumRetry { transfer: txn.transfer });
    }

    /// Every round's timeout fires (rounds do not cancel it): a round still gathering locks,
    /// reads or staged writes gives up; one that was decided or retried ignores it.
    pub(super) fn quorum_timeout(&mut self, ctx: &mut Ctx<'_, BankNode>, txn: Op) {
        if self.current(txn) {
            self.give_up_round(ctx, txn);
        }
    }

    pub(super) fn quorum_retry(&mut self, ctx: &mut Ctx<'_, BankNode>, transfer: u32) {
        self.lock_round(ctx, transfer);
    }

    fn read_answer(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        replica: NodeId,
        txn: Op,
        from: (i64, u64),
        to: (i64, u64),
    ) {
        if !self.current(txn) {
            return;
        }
        let majority = self.majority();
        let c = self.coordinating.get_mut(&txn.transfer).expect("current");
        // The newest version among a majority is the latest committed one: every commit
        // reached a majority, and two majorities share a replica.
        if from.1 >= c.read_from.1 {
            c.read_from = from;
        }
        if to.1 >= c.read_to.1 {
            c.read_to = to;
        }
        if !c.readers.insert(replica) || c.readers.len() as u32 != majority {
            return;
        }
        let (op, client, cents) = (c.op, c.client, c.cents);
        let store = self.index as u8;
        let ok = c.read_from.0 >= cents;
        ctx.observe(BankObs::Approved { transfer: txn.transfer, store, ok });
        if !ok {
            for &replica in &c.granted {
                ctx.send(replica, BankMsg::QUnlock { txn });
            }
            self.coordinating.remove(&txn.transfer);
            return ctx.send(client, BankMsg::Done { op, ok: false });
        }
        c.staged.clear();
        c.unstaged.clear();
        let from = (c.from, c.read_from.0 - cents, c.read_from.1 + 1);
        let to = (c.to, c.read_to.0 + cents, c.read_to.1 + 1);
        c.write = Some((from, to));
        // Logged before it is sent, so a restart can abort it.
        self.undecided.insert(txn.transfer, txn);
        for &replica in &self.replicas {
            ctx.send(replica, BankMsg::QWrite { txn, from, to });
        }
    }

    /// A replica staged the write, or no longer held the lock to. A majority staged commits
    /// the transfer; a majority out of reach aborts the round.
    fn write_answer(
        &mut self,
        ctx: &mut Ctx<'_, BankNode>,
        replica: NodeId,
        txn: Op,
        staged: bool,
    ) {
        if !self.current(txn) {
            return; // the round was decided; its outcome settles this replica too
        }
        let majority = self.majority();
        let total = self.replicas.len() as u32;
        let c = self.coordinating.get_mut(&txn.transfer).expect("current");
        let Some((from, to)) = c.write else {
            unreachable!("{txn:?} was answered a write it has not sent")
        };
        if !staged {
            c.unstaged.insert(replica);
            if c.unstaged.len() as u32 > total - majority {
                self.give_up_round(ctx, txn);
            }
            return;
        }
        c.staged.insert(replica);
        if c.staged.len() as u32 == majority {
            let (client, op) = (c.client, c.op);
            self.coordinating.remove(&txn.transfer);
            self.undecided.remove(&txn.transfer);
            self.decide(ctx, txn, BankMsg::QCommit { txn, from, to });
            ctx.send(client, BankMsg::Done { op, ok: true });
        }
    }
}
