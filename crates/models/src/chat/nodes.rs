//! The chat model's nodes: users who type and read, and the servers that relay between them.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{Ctx, Names, Node, NodeId, SimDuration, SimTime, TraceEncode, TraceHasher};

use super::Delivery;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatMsg {
    /// The `seq`-th message `author` wrote.
    Text { author: NodeId, seq: u32 },
    /// The receiver has every message of `author` below `next_seq` (cumulative).
    Ack { author: NodeId, next_seq: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatTimer {
    Type,
    Retransmit { seq: u32 },
}

// The trace hash's encoding (see the engine's `trace.rs`): the variant's tag, then its fields.
impl TraceEncode for ChatMsg {
    fn encode(&self, out: &mut TraceHasher) {
        let (tag, author, seq) = match *self {
            ChatMsg::Text { author, seq } => (0, author, seq),
            ChatMsg::Ack { author, next_seq } => (1, author, next_seq),
        };
        out.word(tag);
        author.encode(out);
        seq.encode(out);
    }
}

impl TraceEncode for ChatTimer {
    fn encode(&self, out: &mut TraceHasher) {
        match *self {
            ChatTimer::Type => out.word(0),
            ChatTimer::Retransmit { seq } => {
                out.word(1);
                seq.encode(out);
            }
        }
    }
}

/// What users report to the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatObs {
    Sent { seq: u32 },
    Retransmitted { seq: u32 },
    Delivered { author: NodeId, seq: u32 },
}

/// The story of one chat message: its author and number, packed into one id.
pub(super) fn story(author: NodeId, seq: u32) -> u64 {
    (u64::from(author.0) << 32) | u64::from(seq)
}

pub enum ChatNode {
    User(User),
    Server(Server),
}

/// A relay: messages from its user go to the peer server, messages from the peer go to
/// its user. Stateless, so a crash loses only what is in flight.
pub struct Server {
    pub(super) user: NodeId,
    pub(super) peer: NodeId,
}

pub struct User {
    pub(super) server: NodeId,
    /// When this user types, drawn up front from the workload stream so every variant
    /// sees the same conversation.
    pub(super) schedule: Vec<SimTime>,
    /// The next entry of `schedule` to type; its timer is pending while the node is up.
    pub(super) next_message: usize,
    pub(super) delivery: Delivery,
    pub(super) next_seq: u32,
    /// Unacknowledged messages and their current retransmission timeout.
    pub(super) unacked: BTreeMap<u32, SimDuration>,
    /// Receiving side: the next in-order seq expected from the peer.
    pub(super) expected: u32,
    /// Received ahead of `expected`, waiting for the gap to fill.
    pub(super) early: BTreeSet<u32>,
}

impl Node for ChatNode {
    type Msg = ChatMsg;
    type Timer = ChatTimer;
    type Obs = ChatObs;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let ChatNode::User(user) = self {
            user.schedule_next(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: ChatMsg) {
        match self {
            ChatNode::Server(server) => {
                let to = if from == server.user { server.peer } else { server.user };
                ctx.send(to, msg);
            }
            ChatNode::User(user) => user.receive(ctx, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: ChatTimer) {
        let ChatNode::User(user) = self else { unreachable!("a relay sets no timers") };
        match timer {
            ChatTimer::Type => {
                user.type_message(ctx);
                user.schedule_next(ctx);
            }
            ChatTimer::Retransmit { seq } => user.retransmit(ctx, seq),
        }
    }

    /// Each chat message is a story: its copies, relays and acknowledgement.
    fn subject(msg: &ChatMsg) -> Option<u64> {
        match *msg {
            ChatMsg::Text { author, seq } => Some(story(author, seq)),
            // The newest message it acknowledges: the one whose arrival sent it.
            ChatMsg::Ack { author, next_seq } => {
                next_seq.checked_sub(1).map(|seq| story(author, seq))
            }
        }
    }

    fn describe(msg: &ChatMsg, names: Names<'_>) -> String {
        match *msg {
            ChatMsg::Text { author, seq } => format!("{}'s message #{seq}", names.node(author)),
            ChatMsg::Ack { author, next_seq: 0 } => {
                format!("nothing of {} yet", names.node(author))
            }
            ChatMsg::Ack { author, next_seq } => {
                format!("ack: have {}'s up to #{}", names.node(author), next_seq - 1)
            }
        }
    }

    fn describe_timer(timer: &ChatTimer, _names: Names<'_>) -> String {
        match *timer {
            ChatTimer::Type => "types a message".to_owned(),
            ChatTimer::Retransmit { seq } => format!("no ack: resend #{seq}"),
        }
    }

    /// A server is a stateless relay: a crash loses only what is in flight. A user's app
    /// keeps its outbox, its sequence numbers and what it has shown (durable), and loses the
    /// messages it was holding back until a gap filled: they were never acknowledged, so the
    /// peer retransmits them.
    fn on_crash(&mut self) {
        match self {
            ChatNode::Server(_) => {}
            ChatNode::User(user) => user.early.clear(),
        }
    }

    /// A user's timers died with it: what it would have typed while down is never typed, and
    /// every message still waiting for an acknowledgement gets its retransmission timer back.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        let ChatNode::User(user) = self else {
            return; // a relay has nothing to wait for
        };
        let now = ctx.now();
        while user.schedule.get(user.next_message).is_some_and(|&at| at < now) {
            user.next_message += 1;
        }
        user.schedule_next(ctx);
        for (&seq, &rto) in &user.unacked {
            ctx.set_timer(rto, ChatTimer::Retransmit { seq });
        }
    }
}

impl User {
    fn schedule_next(&mut self, ctx: &mut Ctx<'_, ChatNode>) {
        if let Some(&at) = self.schedule.get(self.next_message) {
            ctx.set_timer(at.since(ctx.now()), ChatTimer::Type);
        }
    }

    fn type_message(&mut self, ctx: &mut Ctx<'_, ChatNode>) {
        self.next_message += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        ctx.send(self.server, ChatMsg::Text { author: ctx.id(), seq });
        ctx.observe(ChatObs::Sent { seq });
        if let Delivery::AckRetransmit { rto, .. } = self.delivery {
            self.unacked.insert(seq, rto);
            ctx.set_timer(rto, ChatTimer::Retransmit { seq });
        }
    }

    fn retransmit(&mut self, ctx: &mut Ctx<'_, ChatNode>, seq: u32) {
        let Delivery::AckRetransmit { rto_max, backoff, .. } = self.delivery else {
            unreachable!("only acknowledged delivery sets retransmission timers")
        };
        // Acknowledgements do not cancel timers: an acknowledged message's timer still fires.
        let Some(rto) = self.unacked.get_mut(&seq) else { return };
        *rto = rto.mul_f64(backoff).min(rto_max);
        let next = *rto;
        ctx.send(self.server, ChatMsg::Text { author: ctx.id(), seq });
        ctx.observe(ChatObs::Retransmitted { seq });
        ctx.set_timer(next, ChatTimer::Retransmit { seq });
    }

    fn receive(&mut self, ctx: &mut Ctx<'_, ChatNode>, msg: ChatMsg) {
        match msg {
            ChatMsg::Ack { next_seq, .. } => {
                // Both users share the variant's delivery, so only acknowledging peers ack.
                assert!(
                    matches!(self.delivery, Delivery::AckRetransmit { .. }),
                    "a fire-and-forget user was acknowledged"
                );
                self.unacked.retain(|&seq, _| seq >= next_seq);
            }
            ChatMsg::Text { author, seq } => match self.delivery {
                Delivery::FireAndForget => ctx.observe(ChatObs::Delivered { author, seq }),
                Delivery::AckRetransmit { .. } => {
                    if seq >= self.expected {
                        self.early.insert(seq);
                    }
                    // Hand over the contiguous run; duplicates and stale copies are absorbed.
                    while self.early.remove(&self.expected) {
                        ctx.observe(ChatObs::Delivered { author, seq: self.expected });
                        self.expected += 1;
                    }
                    // Always re-acknowledge: the previous ack may be what was lost.
                    ctx.send(self.server, ChatMsg::Ack { author, next_seq: self.expected });
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_encodings_are_pinned() {
        let text = ChatMsg::Text { author: NodeId(3), seq: 7 };
        assert_eq!(TraceHasher::of(&text), TraceHasher::of_words(&[0, 3, 7]));
        let ack = ChatMsg::Ack { author: NodeId(0), next_seq: 2 };
        assert_eq!(TraceHasher::of(&ack), TraceHasher::of_words(&[1, 0, 2]));
        assert_eq!(TraceHasher::of(&ChatTimer::Type), TraceHasher::of_words(&[0]));
        assert_eq!(
            TraceHasher::of(&ChatTimer::Retransmit { seq: 4 }),
            TraceHasher::of_words(&[1, 4])
        );
    }
}
