//! The payment system's processes: the clients, service A (`auth`) with its worker pool and
//! its policy for calling B, and service B (`payments`) with its own pool and queue.

use std::collections::VecDeque;
use std::rc::Rc;

use faultline_engine::{
    Ctx, Latency, ModelFault, Names, Node, NodeId, Purpose, SimDuration, SimTime, TimerId,
    TraceEncode, TraceHasher, attempt_key,
};

use super::{CallPolicy, Fallback, Kind};
use crate::ids::IdWindow;
use crate::resilience::{Backoff, BackoffState, Breaker, BreakerState, RetryBudget};
use crate::slowdown::Slowdowns;

pub(super) const CLIENTS: NodeId = NodeId(0);
pub(super) const AUTH: NodeId = NodeId(1);
pub(super) const PAYMENTS: NodeId = NodeId(2);

/// Why a request failed, as the client sees it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// No answer in time: the client's deadline, or every attempt at B timed out.
    Timeout,
    /// A's queue was full: A turned the request away at the door.
    Rejected,
    /// A's breaker was open and the fallback is to fail fast.
    BreakerOpen,
    /// B's queue was full on every attempt.
    Overloaded,
}

impl Cause {
    pub const ALL: [Cause; 4] =
        [Cause::Timeout, Cause::Rejected, Cause::BreakerOpen, Cause::Overloaded];

    pub fn name(self) -> &'static str {
        match self {
            Cause::Timeout => "timeout",
            Cause::Rejected => "rejected",
            Cause::BreakerOpen => "breaker_open",
            Cause::Overloaded => "overloaded",
        }
    }
}

/// How a request ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Ok,
    /// Accepted for later processing while B was cut off (the breaker's fallback).
    Degraded,
    Failed(Cause),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayMsg {
    /// Client → A; `deadline` is when the client gives up, which A needs to propagate it.
    Request { id: u64, kind: Kind, deadline: SimTime },
    /// A → client.
    Response { id: u64, answer: Answer },
    /// A → B: one attempt at processing payment `id`; `deadline` when it is propagated.
    Call { id: u64, attempt: u32, deadline: Option<SimTime> },
    /// B → A: the attempt's outcome (`ok: false` when B's queue was full).
    Reply { id: u64, attempt: u32, ok: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayTimer {
    /// Client: the next arrival.
    Arrive,
    /// Client: request `id` has run out of time.
    Deadline { id: u64 },
    /// A: its own work on request `id`, which took `work`, is done.
    LocalDone { id: u64, work: SimDuration },
    /// A: attempt `attempt` of request `id` got no reply in time.
    CallTimeout { id: u64, attempt: u32 },
    /// A: time to retry request `id`.
    Retry { id: u64 },
    /// B: worker `worker` has served attempt `attempt` of request `id`, in `took`.
    Served { worker: u32, id: u64, attempt: u32, took: SimDuration },
}

// The trace hash's encoding (see the engine's `trace.rs`): a variant's tag, then its fields
// in declaration order.
impl TraceEncode for Kind {
    fn encode(&self, out: &mut TraceHasher) {
        out.word(match self {
            Kind::Login => 0,
            Kind::Pay => 1,
        });
    }
}

impl TraceEncode for Cause {
    fn encode(&self, out: &mut TraceHasher) {
        out.word(match self {
            Cause::Timeout => 0,
            Cause::Rejected => 1,
            Cause::BreakerOpen => 2,
            Cause::Overloaded => 3,
        });
    }
}

impl TraceEncode for Answer {
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            Answer::Ok => out.word(0),
            Answer::Degraded => out.word(1),
            Answer::Failed(cause) => {
                out.word(2);
                cause.encode(out);
            }
        }
    }
}

impl TraceEncode for PayMsg {
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            PayMsg::Request { id, kind, deadline } => {
                out.word(0);
                (id, kind, deadline).encode(out);
            }
            PayMsg::Response { id, answer } => {
                out.word(1);
                (id, answer).encode(out);
            }
            PayMsg::Call { id, attempt, deadline } => {
                out.word(2);
                (id, attempt, deadline).encode(out);
            }
            PayMsg::Reply { id, attempt, ok } => {
                out.word(3);
                (id, attempt, ok).encode(out);
            }
        }
    }
}

impl TraceEncode for PayTimer {
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            PayTimer::Arrive => out.word(0),
            PayTimer::Deadline { id } => {
                out.word(1);
                id.encode(out);
            }
            PayTimer::LocalDone { id, work } => {
                out.word(2);
                (id, work).encode(out);
            }
            PayTimer::CallTimeout { id, attempt } => {
                out.word(3);
                (id, attempt).encode(out);
            }
            PayTimer::Retry { id } => {
                out.word(4);
                id.encode(out);
            }
            PayTimer::Served { worker, id, attempt, took } => {
                out.word(5);
                (worker, id, attempt).encode(out);
                took.encode(out);
            }
        }
    }
}

/// What the processes report to the checker and metrics.
#[derive(Clone, Debug, PartialEq)]
pub enum PayObs {
    Sent {
        id: u64,
        kind: Kind,
    },
    Answered {
        id: u64,
        answer: Answer,
    },
    /// A sent an attempt to B for request `id` (the first try, or a retry): A waits for it
    /// until [`PayObs::CallEnded`], or until its workers are all free (a restart).
    Attempt {
        id: u64,
        first: bool,
    },
    /// A stopped waiting for its attempt at B for request `id`: B answered, or it timed out.
    CallEnded {
        id: u64,
    },
    /// A's breaker refused a call.
    ShortCircuited,
    Breaker(BreakerState),
    /// A's busy workers changed.
    AuthBusy(u32),
    /// B's queue length changed.
    PaymentsQueue(u32),
    /// B's answer to an attempt A had already given up on reached A: work B did for nobody.
    /// (Answers lost on the way are not counted: A cannot tell them from unanswered calls.)
    Wasted,
    /// B dropped a queued call whose propagated deadline had passed: work saved.
    Skipped,
}

pub enum PayNode {
    Clients(Clients),
    Auth(Box<Auth>),
    Payments(Payments),
}

/// Every user of the system as one open-loop source: arrivals do not wait for answers.
pub struct Clients {
    /// Arrival times and kinds, drawn up front from the workload stream so every variant
    /// sees the same requests; shared with the seed's other variants until a restart edits
    /// them.
    pub(super) arrivals: Rc<Vec<(SimTime, Kind)>>,
    pub(super) next: usize,
    pub(super) deadline: SimDuration,
    /// Requests awaiting an answer: the client's deadline, and the timer that fires at it.
    pub(super) waiting: IdWindow<(SimTime, TimerId)>,
}

/// One pay or login request A is working on.
struct Job {
    kind: Kind,
    /// The client's deadline, known to A only with deadline propagation.
    deadline: Option<SimTime>,
    attempt: u32,
    /// Whether attempt `attempt` is still awaited; a reply to any other is too late.
    in_flight: bool,
    attempt_started: SimTime,
    timeout: Option<TimerId>,
    backoff: BackoffState,
}

/// Service A: a fixed pool of workers and a bounded queue. A `pay` request holds its worker
/// for as long as A waits for B, which is how a slow or unreachable B exhausts A.
pub struct Auth {
    pub(super) workers: u32,
    pub(super) queue_capacity: u32,
    pub(super) login_time: Latency,
    pub(super) pay_time: Latency,
    pub(super) policy: CallPolicy,
    pub(super) breaker: Option<Breaker>,
    pub(super) budget: Option<RetryBudget>,
    pub(super) busy: u32,
    queue: VecDeque<(u64, Kind, SimTime)>,
    jobs: IdWindow<Job>,
    breaker_state: BreakerState,
}

/// Service B: workers, a bounded queue, and a service time that grows during slowdowns.
pub struct Payments {
    pub(super) queue_capacity: u32,
    pub(super) service_time: Latency,
    /// The slowdowns in force (faults: the environment, kept across a crash).
    pub(super) slowdowns: Slowdowns,
    pub(super) propagate_deadlines: bool,
    /// Per worker, whether it is serving a call (the call itself rides on its timer).
    busy: Vec<bool>,
    queue: VecDeque<(u64, u32, Option<SimTime>)>,
}

impl Auth {
    pub(super) fn new(
        workers: u32,
        queue_capacity: u32,
        login_time: Latency,
        pay_time: Latency,
        policy: CallPolicy,
    ) -> Auth {
        let breaker = policy.breaker.as_ref().map(|b| b.build());
        let budget = policy.retry.as_ref().and_then(|r| r.budget).map(|b| b.build());
        Auth {
            workers,
            queue_capacity,
            login_time,
            pay_time,
            policy,
            breaker,
            budget,
            busy: 0,
            queue: VecDeque::new(),
            jobs: IdWindow::default(),
            breaker_state: BreakerState::Closed,
        }
    }
}

impl Payments {
    pub(super) fn new(
        workers: u32,
        queue_capacity: u32,
        service_time: Latency,
        propagate_deadlines: bool,
    ) -> Payments {
        Payments {
            queue_capacity,
            service_time,
            slowdowns: Slowdowns::default(),
            propagate_deadlines,
            busy: vec![false; workers as usize],
            queue: VecDeque::new(),
        }
    }
}

impl Node for PayNode {
    type Msg = PayMsg;
    type Timer = PayTimer;
    type Obs = PayObs;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let PayNode::Clients(clients) = self {
            clients.schedule_next(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, _from: NodeId, msg: PayMsg) {
        match (self, msg) {
            (PayNode::Clients(c), PayMsg::Response { id, answer }) => c.answered(ctx, id, answer),
            (PayNode::Auth(a), PayMsg::Request { id, kind, deadline }) => {
                a.arrive(ctx, id, kind, deadline);
            }
            (PayNode::Auth(a), PayMsg::Reply { id, attempt, ok }) => a.reply(ctx, id, attempt, ok),
            (PayNode::Payments(p), PayMsg::Call { id, attempt, deadline }) => {
                p.arrive(ctx, id, attempt, deadline);
            }
            (PayNode::Auth(_) | PayNode::Payments(_), msg @ PayMsg::Response { .. })
            | (
                PayNode::Clients(_) | PayNode::Payments(_),
                msg @ (PayMsg::Request { .. } | PayMsg::Reply { .. }),
            )
            | (PayNode::Clients(_) | PayNode::Auth(_), msg @ PayMsg::Call { .. }) => unreachable!(
                "clients only hear responses, auth requests and replies, payments calls: {msg:?}"
            ),
        }
    }

    fn on_fault(&mut self, fault: &ModelFault, active: bool) {
        let PayNode::Payments(payments) = self else {
            unreachable!("validation aims {} only at payments", fault.kind)
        };
        payments.slowdowns.apply(fault, active);
    }

    /// Each request is a story: the client's request, A's calls to B and their replies, the
    /// answer.
    fn subject(msg: &PayMsg) -> Option<u64> {
        match *msg {
            PayMsg::Request { id, .. }
            | PayMsg::Response { id, .. }
            | PayMsg::Call { id, .. }
            | PayMsg::Reply { id, .. } => Some(id),
        }
    }

    fn timer_subject(timer: &PayTimer) -> Option<u64> {
        match *timer {
            PayTimer::Deadline { id }
            | PayTimer::LocalDone { id, .. }
            | PayTimer::CallTimeout { id, .. }
            | PayTimer::Retry { id }
            | PayTimer::Served { id, .. } => Some(id),
            PayTimer::Arrive => None,
        }
    }

    fn describe(msg: &PayMsg, _names: Names<'_>) -> String {
        match *msg {
            PayMsg::Request { id, kind: Kind::Login, .. } => format!("#{id}: log in"),
            PayMsg::Request { id, kind: Kind::Pay, .. } => format!("#{id}: pay"),
            PayMsg::Response { id, answer: Answer::Ok } => format!("#{id}: ok"),
            PayMsg::Response { id, answer: Answer::Degraded } => {
                format!("#{id}: accepted for later")
            }
            PayMsg::Response { id, answer: Answer::Failed(cause) } => {
                format!("#{id}: failed ({})", cause.name().replace('_', " "))
            }
            PayMsg::Call { id, attempt, .. } => format!("#{id}: charge, try {}", attempt),
            PayMsg::Reply { id, attempt, ok: true } => format!("#{id}: charged (try {})", attempt),
            PayMsg::Reply { id, attempt, ok: false } => {
                format!("#{id}: queue full (try {})", attempt)
            }
        }
    }

    fn describe_timer(timer: &PayTimer, _names: Names<'_>) -> String {
        match *timer {
            PayTimer::Arrive => "next request".to_owned(),
            PayTimer::Deadline { id } => format!("#{id}: deadline"),
            PayTimer::LocalDone { id, work } => format!("#{id}: checked in {work}"),
            PayTimer::CallTimeout { id, attempt } => format!("#{id}: try {} timed out", attempt),
            PayTimer::Retry { id } => format!("#{id}: retry"),
            PayTimer::Served { id, attempt, took, .. } => {
                format!("#{id}: try {attempt} served in {took}")
            }
        }
    }

    /// The services keep nothing across a crash: in-flight work, queues, the breaker and the
    /// retry budget live in memory, and callers time out. The clients stand for the users and
    /// their devices: what they sent stays sent and they keep waiting for it (durable), but
    /// their deadline timers died with them.
    fn on_crash(&mut self) {
        match self {
            PayNode::Clients(_) => {}
            PayNode::Auth(auth) => {
                auth.busy = 0;
                auth.queue.clear();
                auth.jobs.clear();
                auth.breaker = auth.policy.breaker.as_ref().map(|b| b.build());
                auth.breaker_state = BreakerState::Closed;
                auth.budget = auth.policy.retry.as_ref().and_then(|r| r.budget).map(|b| b.build());
            }
            PayNode::Payments(payments) => {
                payments.busy.iter_mut().for_each(|busy| *busy = false);
                payments.queue.clear();
            }
        }
    }

    /// A restarted service starts empty, and says so to the metrics. Clients re-arm the
    /// deadline of every request still waiting (answers that came while they were down were
    /// lost, so a deadline already past fires at once), and skip the arrivals that fell due
    /// while they were down: nobody was there to send them.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self {
            PayNode::Auth(auth) => {
                ctx.observe(PayObs::AuthBusy(0));
                if auth.breaker.is_some() {
                    ctx.observe(PayObs::Breaker(BreakerState::Closed));
                }
            }
            PayNode::Payments(_) => ctx.observe(PayObs::PaymentsQueue(0)),
            PayNode::Clients(clients) => clients.restart(ctx),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: PayTimer) {
        match (self, timer) {
            (PayNode::Clients(c), PayTimer::Arrive) => c.arrive(ctx),
            (PayNode::Clients(c), PayTimer::Deadline { id }) => c.give_up(ctx, id),
            (PayNode::Auth(a), PayTimer::LocalDone { id, .. }) => a.local_done(ctx, id),
            (PayNode::Auth(a), PayTimer::CallTimeout { id, attempt }) => {
                a.timed_out(ctx, id, attempt)
            }
            (PayNode::Auth(a), PayTimer::Retry { id }) => a.call(ctx, id),
            (PayNode::Payments(p), PayTimer::Served { worker, id, attempt, .. }) => {
                p.served(ctx, worker, id, attempt)
            }
            // Each process sets only its own timers.
            (
                PayNode::Auth(_) | PayNode::Payments(_),
                timer @ (PayTimer::Arrive | PayTimer::Deadline { .. }),
            )
            | (
                PayNode::Clients(_) | PayNode::Payments(_),
                timer @ (PayTimer::LocalDone { .. }
                | PayTimer::CallTimeout { .. }
                | PayTimer::Retry { .. }),
            )
            | (PayNode::Clients(_) | PayNode::Auth(_), timer @ PayTimer::Served { .. }) => {
                unreachable!("each process sets only its own timers: {timer:?}")
            }
        }
    }
}

impl Clients {
    fn restart(&mut self, ctx: &mut Ctx<'_, PayNode>) {
        let now = ctx.now();
        for (id, (deadline, timer)) in self.waiting.iter_mut() {
            *timer = ctx.set_timer(deadline.since(now), PayTimer::Deadline { id });
        }
        // Arrivals are numbered as they are sent, so the missed ones leave the schedule
        // rather than a gap in the numbers.
        let missed = self.arrivals[self.next..].iter().take_while(|&&(at, _)| at < now).count();
        Rc::make_mut(&mut self.arrivals).drain(self.next..self.next + missed);
        self.schedule_next(ctx);
    }

    fn schedule_next(&mut self, ctx: &mut Ctx<'_, PayNode>) {
        if let Some(&(at, _)) = self.arrivals.get(self.next) {
            ctx.set_timer(at.since(ctx.now()), PayTimer::Arrive);
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_, PayNode>) {
        let id = self.next as u64;
        let (_, kind) = self.arrivals[self.next];
        self.next += 1;
        let deadline = ctx.now() + self.deadline;
        ctx.send(AUTH, PayMsg::Request { id, kind, deadline });
        let timer = ctx.set_timer(self.deadline, PayTimer::Deadline { id });
        self.waiting.insert(id, (deadline, timer));
        ctx.observe(PayObs::Sent { id, kind });
        self.schedule_next(ctx);
    }

    fn give_up(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64) {
        let waiting = self.waiting.remove(id);
        assert!(waiting.is_some(), "an answer cancels its request's deadline, yet {id}'s fired");
        ctx.observe(PayObs::Answered { id, answer: Answer::Failed(Cause::Timeout) });
    }

    fn answered(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64, answer: Answer) {
        // An answer after the deadline finds nobody waiting: the user has given up.
        if let Some((_, timer)) = self.waiting.remove(id) {
            ctx.cancel_timer(timer);
            ctx.observe(PayObs::Answered { id, answer });
        }
    }
}

impl Auth {
    fn arrive(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64, kind: Kind, deadline: SimTime) {
        // The network may deliver a request twice: work on it once.
        if self.jobs.contains(id) || self.queue.iter().any(|&(queued, ..)| queued == id) {
            return;
        }
        if self.busy < self.workers {
            self.start(ctx, id, kind, deadline);
        } else if self.queue.len() < self.queue_capacity as usize {
            self.queue.push_back((id, kind, deadline));
        } else {
            ctx.send(CLIENTS, PayMsg::Response { id, answer: Answer::Failed(Cause::Rejected) });
        }
    }

    fn start(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64, kind: Kind, deadline: SimTime) {
        self.busy += 1;
        ctx.observe(PayObs::AuthBusy(self.busy));
        // Keyed by request: a request's service time is the same in every variant, whichever
        // order the policy lets A start its requests in.
        let time = match kind {
            Kind::Login => &self.login_time,
            Kind::Pay => &self.pay_time,
        };
        let work = ctx.draw(Purpose::ServiceTime, id, |rng| time.sample(rng));
        let job = Job {
            kind,
            deadline: self.policy.propagate_deadlines.then_some(deadline),
            attempt: 0,
            in_flight: false,
            attempt_started: ctx.now(),
            timeout: None,
            backoff: self
                .policy
                .retry
                .as_ref()
                .map_or_else(|| Backoff::Immediate.start(), |r| r.backoff.start()),
        };
        self.jobs.insert(id, job);
        ctx.set_timer(work, PayTimer::LocalDone { id, work });
    }

    fn local_done(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64) {
        // A request finishes only after its local work is done, so its job is still here.
        let job = self.jobs.get(id).expect("a job whose local work just ended");
        assert_eq!(job.attempt, 0, "request {id} called payments before its local work ended");
        match job.kind {
            Kind::Login => self.finish(ctx, id, Answer::Ok),
            Kind::Pay => {
                if let Some(budget) = &mut self.budget {
                    budget.on_request();
                }
                self.call(ctx, id);
            }
        }
    }

    /// One attempt at B, unless the breaker refuses it.
    fn call(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64) {
        let now = ctx.now();
        let admitted = self.breaker.as_mut().is_none_or(|b| b.try_acquire(now));
        self.note_breaker(ctx);
        if !admitted {
            ctx.observe(PayObs::ShortCircuited);
            let answer = match self.policy.fallback {
                Fallback::FailFast => Answer::Failed(Cause::BreakerOpen),
                Fallback::AcceptForLater => Answer::Degraded,
            };
            self.finish(ctx, id, answer);
            return;
        }
        let job = self.jobs.get_mut(id).expect("a call for a request A is working on");
        job.attempt += 1;
        job.in_flight = true;
        job.attempt_started = now;
        let attempt = job.attempt;
        // A stops waiting at the sooner of the attempt's timeout and (with propagation) the
        // client's deadline, and with propagation tells B exactly that, as gRPC does.
        let attempt_deadline = self.policy.timeout.map(|t| now + t);
        let wait_until = match (job.deadline, attempt_deadline) {
            (Some(client), Some(attempt)) => Some(client.min(attempt)),
            (client, attempt) => client.or(attempt),
        };
        let propagated = if self.policy.propagate_deadlines { wait_until } else { None };
        ctx.send(PAYMENTS, PayMsg::Call { id, attempt, deadline: propagated });
        ctx.observe(PayObs::Attempt { id, first: attempt == 1 });
        if let Some(until) = wait_until {
            let timer = PayTimer::CallTimeout { id, attempt };
            job.timeout = Some(ctx.set_timer(until.since(now), timer));
        }
    }

    fn reply(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64, attempt: u32, ok: bool) {
        let Some(job) = self.jobs.get_mut(id).filter(|j| j.in_flight && j.attempt == attempt)
        else {
            // An attempt A already gave up on (timed out, or the request is finished). A
            // refusal cost B nothing; a served call was work done for nobody.
            if ok {
                ctx.observe(PayObs::Wasted);
            }
            return;
        };
        job.in_flight = false;
        if let Some(timer) = job.timeout.take() {
            ctx.cancel_timer(timer);
        }
        ctx.observe(PayObs::CallEnded { id });
        let took = ctx.now().since(job.attempt_started);
        self.record(ctx, ok, took);
        if ok {
            self.finish(ctx, id, Answer::Ok);
        } else {
            self.retry_or_fail(ctx, id, Cause::Overloaded);
        }
    }

    fn timed_out(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64, attempt: u32) {
        // A reply cancels its attempt's timeout, so the one that fires is awaited still.
        let job = self.jobs.get_mut(id).expect("a timeout for a request A is working on");
        assert!(job.in_flight && job.attempt == attempt, "attempt {attempt} of {id} was settled");
        job.timeout = None;
        job.in_flight = false; // a reply to this attempt is now too late
        ctx.observe(PayObs::CallEnded { id });
        let took = ctx.now().since(job.attempt_started);
        self.record(ctx, false, took);
        self.retry_or_fail(ctx, id, Cause::Timeout);
    }

    fn record(&mut self, ctx: &mut Ctx<'_, PayNode>, ok: bool, took: SimDuration) {
        if let Some(breaker) = &mut self.breaker {
            breaker.on_result(ctx.now(), ok, took);
        }
        self.note_breaker(ctx);
    }

    fn note_breaker(&mut self, ctx: &mut Ctx<'_, PayNode>) {
        if let Some(breaker) = &self.breaker {
            let state = breaker.state();
            if state != self.breaker_state {
                self.breaker_state = state;
                ctx.observe(PayObs::Breaker(state));
            }
        }
    }

    fn retry_or_fail(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64, cause: Cause) {
        let job = self.jobs.get_mut(id).expect("a failed attempt of a request A is working on");
        let Some(retry) = &self.policy.retry else {
            self.finish(ctx, id, Answer::Failed(cause));
            return;
        };
        // Keyed by request and attempt, so jitter cannot shift anything but itself.
        let key = attempt_key(id, job.attempt);
        let delay =
            ctx.draw(Purpose::Jitter, key, |rng| retry.backoff.next_delay(&mut job.backoff, rng));
        let past_deadline = job.deadline.is_some_and(|d| ctx.now() + delay >= d);
        let allowed = job.attempt < retry.max_attempts
            && !past_deadline
            && self.budget.as_mut().is_none_or(RetryBudget::try_spend);
        if allowed {
            // The worker stays held through the backoff: that is what retries cost A.
            ctx.set_timer(delay, PayTimer::Retry { id });
        } else {
            self.finish(ctx, id, Answer::Failed(cause));
        }
    }

    fn finish(&mut self, ctx: &mut Ctx<'_, PayNode>, id: u64, answer: Answer) {
        let job = self.jobs.remove(id);
        assert!(job.is_some(), "request {id} finished twice");
        ctx.send(CLIENTS, PayMsg::Response { id, answer });
        self.busy -= 1;
        // A freed worker takes the oldest waiting request; with deadline propagation it
        // skips those whose client has already given up.
        while let Some((next, kind, deadline)) = self.queue.pop_front() {
            if self.policy.propagate_deadlines && deadline <= ctx.now() {
                continue;
            }
            self.start(ctx, next, kind, deadline);
            break;
        }
        ctx.observe(PayObs::AuthBusy(self.busy));
    }
}

impl Payments {
    fn arrive(
        &mut self,
        ctx: &mut Ctx<'_, PayNode>,
        id: u64,
        attempt: u32,
        deadline: Option<SimTime>,
    ) {
        if let Some(worker) = self.busy.iter().position(|busy| !busy) {
            self.serve(ctx, worker, id, attempt);
        } else if self.queue.len() < self.queue_capacity as usize {
            self.queue.push_back((id, attempt, deadline));
            ctx.observe(PayObs::PaymentsQueue(self.queue.len() as u32));
        } else {
            ctx.send(AUTH, PayMsg::Reply { id, attempt, ok: false });
        }
    }

    fn serve(&mut self, ctx: &mut Ctx<'_, PayNode>, worker: usize, id: u64, attempt: u32) {
        let factor = self.slowdowns.factor();
        // Keyed by call: the same attempt takes as long in every variant that makes it.
        let time = &self.service_time;
        let sampled =
            ctx.draw(Purpose::ServiceTime, attempt_key(id, attempt), |rng| time.sample(rng));
        let took = sampled.mul_f64(factor);
        self.busy[worker] = true;
        ctx.set_timer(took, PayTimer::Served { worker: worker as u32, id, attempt, took });
    }

    fn served(&mut self, ctx: &mut Ctx<'_, PayNode>, worker: u32, id: u64, attempt: u32) {
        let worker = worker as usize;
        assert!(self.busy[worker], "worker {worker} finished a call it was not serving");
        self.busy[worker] = false;
        ctx.send(AUTH, PayMsg::Reply { id, attempt, ok: true });
        // The next call in line; with deadline propagation, calls whose deadline has passed
        // are dropped unprocessed instead of wasting a worker.
        while let Some((id, attempt, deadline)) = self.queue.pop_front() {
            ctx.observe(PayObs::PaymentsQueue(self.queue.len() as u32));
            if self.propagate_deadlines && deadline.is_some_and(|d| d <= ctx.now()) {
                ctx.observe(PayObs::Skipped);
                continue;
            }
            self.serve(ctx, worker, id, attempt);
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_encodings_are_pinned() {
        let request = PayMsg::Request { id: 4, kind: Kind::Pay, deadline: SimTime::from_millis(3) };
        assert_eq!(TraceHasher::of(&request), TraceHasher::of_words(&[0, 4, 1, 3_000_000]));
        let response = PayMsg::Response { id: 4, answer: Answer::Failed(Cause::BreakerOpen) };
        assert_eq!(TraceHasher::of(&response), TraceHasher::of_words(&[1, 4, 2, 2]));
        let call = PayMsg::Call { id: 4, attempt: 2, deadline: None };
        assert_eq!(TraceHasher::of(&call), TraceHasher::of_words(&[2, 4, 2, 0]));
        assert_eq!(TraceHasher::of(&PayTimer::Arrive), TraceHasher::of_words(&[0]));
        let timeout = PayTimer::CallTimeout { id: 4, attempt: 2 };
        assert_eq!(TraceHasher::of(&timeout), TraceHasher::of_words(&[3, 4, 2]));
    }
}
