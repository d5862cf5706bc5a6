//! Resilience policies for calls between services: backoff, retry budgets, circuit breakers.
