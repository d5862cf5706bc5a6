//! Resilience policies for calls between services: backoff between retries, retry budgets,
//! and circuit breakers (resilience4j's, and the article's broken one). They are pure
//! state machines: time comes in as arguments and randomness from the caller's `Prng`, so a
//! model node can own them and stay deterministic.

mod backoff;
mod breaker;
mod budget;

pub use backoff::{Backoff, BackoffState, Jitter};
pub use breaker::{
    ArticleBreaker, Breaker, BreakerConfig, BreakerState, CircuitBreaker, SlidingWindow,
};
pub use budget::RetryBudget;
