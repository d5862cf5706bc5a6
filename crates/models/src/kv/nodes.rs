//! The key-value store's nodes: one client that reads and writes, and replicas that keep the
//! newest version of each key they have seen.

use std::collections::BTreeMap;

use faultline_engine::{Ctx, Names, Node, NodeId, SimDuration, SimTime, TraceEncode, TraceHasher};

use super::KvPolicy;

/// One operation of the workload, drawn before the run (the same in every variant).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Op {
    pub at: SimTime,
    pub key: u32,
    /// `Some(version)` for a write, `None` for a read. A single client writes, so versions
    /// grow with time and the newest version of a key is the last write.
    pub write: Option<u64>,
}

/// What the client asks a replica.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Store `version` of `key` if it is newer than what you hold.
    Put { op: u32, key: u32, version: u64 },
    /// What version of `key` do you hold?
    Get { op: u32, key: u32 },
}

/// What a replica answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Stored { op: u32 },
    Value { op: u32, version: u64 },
}

/// Messages, split by who receives them: a node can only be handed its own kind.
#[derive(Clone, Debug, PartialEq)]
pub enum KvMsg {
    ToReplica(Request),
    ToClient(Reply),
}

#[derive(Clone, Debug, PartialEq)]
pub enum KvTimer {
    /// Time for the next operation of the workload.
    NextOp,
    /// The client stops waiting for operation `op`.
    GiveUp { op: u32 },
}

impl TraceEncode for KvMsg {
    fn encode(&self, out: &mut TraceHasher) {
        let (tag, op, key_or_version, version) = match *self {
            KvMsg::ToReplica(Request::Put { op, key, version }) => (0, op, u64::from(key), version),
            KvMsg::ToReplica(Request::Get { op, key }) => (1, op, u64::from(key), 0),
            KvMsg::ToClient(Reply::Stored { op }) => (2, op, 0, 0),
            KvMsg::ToClient(Reply::Value { op, version }) => (3, op, version, 0),
        };
        out.word(tag);
        op.encode(out);
        key_or_version.encode(out);
        version.encode(out);
    }
}

impl TraceEncode for KvTimer {
    fn encode(&self, out: &mut TraceHasher) {
        match *self {
            KvTimer::NextOp => out.word(0),
            KvTimer::GiveUp { op } => {
                out.word(1);
                op.encode(out);
            }
        }
    }
}

/// What the nodes report to the checker (the history).
#[derive(Clone, Debug, PartialEq)]
pub enum KvObs {
    /// A quorum stored the write: it is acknowledged.
    WriteAcked { key: u32, version: u64 },
    /// A quorum answered the read `op`, started at `started`, with the newest version it saw.
    ReadDone { op: u32, key: u32, version: u64, started: SimTime },
    /// No quorum answered in time.
    Failed { write: bool },
    /// A replica now holds `version` of `key`.
    Applied { key: u32, version: u64 },
}

pub enum KvNode {
    Client(Client),
    Replica(Replica),
}

/// A replica: the newest version of each key, written to disk before it answers.
pub struct Replica {
    /// Durable: survives a crash.
    store: BTreeMap<u32, u64>,
}

impl Replica {
    pub(super) fn new() -> Replica {
        Replica { store: BTreeMap::new() }
    }

    fn handle(&mut self, ctx: &mut Ctx<'_, KvNode>, from: NodeId, request: Request) {
        match request {
            Request::Put { op, key, version } => {
                let held = self.store.entry(key).or_insert(0);
                if version > *held {
                    *held = version;
                    ctx.observe(KvObs::Applied { key, version });
                }
                // Acknowledge even an older version: the write is safe here either way.
                ctx.send(from, KvMsg::ToClient(Reply::Stored { op }));
            }
            Request::Get { op, key } => {
                let version = self.store.get(&key).copied().unwrap_or(0);
                ctx.send(from, KvMsg::ToClient(Reply::Value { op, version }));
            }
        }
    }
}

/// An operation waiting for its quorum (and, for a read that repairs, for every replica).
struct Pending {
    key: u32,
    write: bool,
    started: SimTime,
    /// Replies so far: who answered, and for reads the version each holds.
    replies: Vec<(NodeId, u64)>,
    /// The caller has its answer; a repairing read still waits for the other replicas.
    answered: bool,
}

/// The client: runs the workload against every replica and waits for a quorum.
pub struct Client {
    ops: Vec<Op>,
    /// The next operation of `ops` to start; its timer is pending while the client is up.
    next: usize,
    replicas: Vec<NodeId>,
    policy: KvPolicy,
    timeout: SimDuration,
    /// Volatile: lost in a crash, and the operations with it.
    pending: BTreeMap<u32, Pending>,
    /// Operations a crash cut short, by kind (true: a write). Not the process's state but the
    /// callers' view: they got no answer, which the client reports as failures on restart.
    unanswered: Vec<bool>,
}

impl Client {
    pub(super) fn new(
        ops: Vec<Op>,
        replicas: Vec<NodeId>,
        policy: KvPolicy,
        timeout: SimDuration,
    ) -> Client {
        Client {
            ops,
            next: 0,
            replicas,
            policy,
            timeout,
            pending: BTreeMap::new(),
            unanswered: Vec::new(),
        }
    }

    fn schedule_next(&mut self, ctx: &mut Ctx<'_, KvNode>) {
        if let Some(op) = self.ops.get(self.next) {
            ctx.set_timer(op.at.since(ctx.now()), KvTimer::NextOp);
        }
    }

    fn start(&mut self, ctx: &mut Ctx<'_, KvNode>) {
        let index = self.next as u32;
        let op = self.ops[self.next];
        self.next += 1;
        let request = match op.write {
            Some(version) => Request::Put { op: index, key: op.key, version },
            None => Request::Get { op: index, key: op.key },
        };
        for &replica in &self.replicas {
            ctx.send(replica, KvMsg::ToReplica(request.clone()));
        }
        let pending = Pending {
            key: op.key,
            write: op.write.is_some(),
            started: ctx.now(),
            replies: Vec::new(),
            answered: false,
        };
        self.pending.insert(index, pending);
        ctx.set_timer(self.timeout, KvTimer::GiveUp { op: index });
    }

    fn handle(&mut self, ctx: &mut Ctx<'_, KvNode>, from: NodeId, reply: Reply) {
        let (op, version) = match reply {
            Reply::Stored { op } => (op, 0),
            Reply::Value { op, version } => (op, version),
        };
        // A reply after the operation is over (or the client gave up) changes nothing.
        let Some(pending) = self.pending.get_mut(&op) else { return };
        if pending.replies.iter().any(|&(node, _)| node == from) {
            return; // a duplicate from the network
        }
        pending.replies.push((from, version));
        let quorum = if pending.write { self.policy.write_quorum } else { self.policy.read_quorum };
        if !pending.answered && pending.replies.len() >= quorum as usize {
            pending.answered = true;
            let (key, started) = (pending.key, pending.started);
            if pending.write {
                let version = self.ops[op as usize].write.expect("a write carries its version");
                ctx.observe(KvObs::WriteAcked { key, version });
            } else {
                let newest = pending.replies.iter().map(|&(_, v)| v).max().unwrap_or(0);
                ctx.observe(KvObs::ReadDone { op, key, version: newest, started });
            }
        }
        // A repairing read waits for every replica, as Dynamo-style stores do in the
        // background; anything else is over once answered.
        let repairing = !pending.write && self.policy.read_repair;
        let everyone = pending.replies.len() == self.replicas.len();
        if pending.answered && (!repairing || everyone) {
            let done = self.pending.remove(&op).expect("looked up above");
            if repairing {
                repair(ctx, op, &done);
            }
        }
    }
}

/// Sends the newest version a read saw to every replica that answered with an older one.
fn repair(ctx: &mut Ctx<'_, KvNode>, op: u32, read: &Pending) {
    let newest = read.replies.iter().map(|&(_, v)| v).max().unwrap_or(0);
    let put = Request::Put { op, key: read.key, version: newest };
    for &(replica, held) in &read.replies {
        if held < newest {
            ctx.send(replica, KvMsg::ToReplica(put.clone()));
        }
    }
}

impl Node for KvNode {
    type Msg = KvMsg;
    type Timer = KvTimer;
    type Obs = KvObs;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self {
            KvNode::Client(client) => client.schedule_next(ctx),
            KvNode::Replica(_) => {} // waits for requests
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: KvMsg) {
        match (self, msg) {
            (KvNode::Replica(replica), KvMsg::ToReplica(request)) => {
                replica.handle(ctx, from, request)
            }
            (KvNode::Client(client), KvMsg::ToClient(reply)) => client.handle(ctx, from, reply),
            (_, msg) => {
                unreachable!("only the client sends requests and only replicas reply: {msg:?}")
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: KvTimer) {
        let KvNode::Client(client) = self else {
            unreachable!("replicas set no timers: {timer:?}")
        };
        match timer {
            KvTimer::NextOp => {
                client.start(ctx);
                client.schedule_next(ctx);
            }
            KvTimer::GiveUp { op } => {
                let Some(pending) = client.pending.remove(&op) else { return };
                if !pending.answered {
                    ctx.observe(KvObs::Failed { write: pending.write });
                } else if !pending.write && client.policy.read_repair {
                    // Some replica never answered: repair the ones that did.
                    repair(ctx, op, &pending);
                }
            }
        }
    }

    /// Each operation is a story: its requests to every replica, their replies, its repairs.
    fn subject(msg: &KvMsg) -> Option<u64> {
        let op = match *msg {
            KvMsg::ToReplica(Request::Put { op, .. } | Request::Get { op, .. })
            | KvMsg::ToClient(Reply::Stored { op } | Reply::Value { op, .. }) => op,
        };
        Some(u64::from(op))
    }

    fn timer_subject(timer: &KvTimer) -> Option<u64> {
        match *timer {
            KvTimer::GiveUp { op } => Some(u64::from(op)),
            KvTimer::NextOp => None,
        }
    }

    fn describe(msg: &KvMsg, _names: Names<'_>) -> String {
        match *msg {
            KvMsg::ToReplica(Request::Put { op, key, version }) => {
                format!("op {op}: write key {key} = v{version}")
            }
            KvMsg::ToReplica(Request::Get { op, key }) => format!("op {op}: read key {key}"),
            KvMsg::ToClient(Reply::Stored { op }) => format!("op {op}: stored"),
            KvMsg::ToClient(Reply::Value { op, version: 0 }) => format!("op {op}: never written"),
            KvMsg::ToClient(Reply::Value { op, version }) => format!("op {op}: have v{version}"),
        }
    }

    fn describe_timer(timer: &KvTimer, _names: Names<'_>) -> String {
        match *timer {
            KvTimer::NextOp => "next operation".to_owned(),
            KvTimer::GiveUp { op } => format!("op {op}: gives up"),
        }
    }

    /// A replica's store is on disk and survives; the client's operations in flight were only
    /// in memory and are gone (their callers saw no answer).
    fn on_crash(&mut self) {
        match self {
            KvNode::Client(client) => {
                let cut_short = std::mem::take(&mut client.pending).into_values();
                client.unanswered.extend(cut_short.filter(|p| !p.answered).map(|p| p.write));
            }
            KvNode::Replica(_) => {}
        }
    }

    /// The client skips the operations it would have started while down and waits for the
    /// next; a replica has nothing to wait for.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        let KvNode::Client(client) = self else { return };
        for write in client.unanswered.drain(..) {
            ctx.observe(KvObs::Failed { write });
        }
        let now = ctx.now();
        while client.ops.get(client.next).is_some_and(|op| op.at < now) {
            client.next += 1;
        }
        client.schedule_next(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_encodings_are_pinned() {
        let put = KvMsg::ToReplica(Request::Put { op: 7, key: 3, version: 12 });
        assert_eq!(TraceHasher::of(&put), TraceHasher::of_words(&[0, 7, 3, 12]));
        let value = KvMsg::ToClient(Reply::Value { op: 7, version: 12 });
        assert_eq!(TraceHasher::of(&value), TraceHasher::of_words(&[3, 7, 12, 0]));
        assert_eq!(TraceHasher::of(&KvTimer::GiveUp { op: 7 }), TraceHasher::of_words(&[1, 7]));
    }
}
