//! Request deadlines on shared timers.
//!
//! A timer per request (what reqwest's own `timeout` arms) costs a boxed
//! tokio `Sleep`, its entry in the timer wheel and its removal, and on a
//! multi-thread runtime often a wake-up of the parked timer driver. Here the
//! requests that start on one thread within a short window share one timer
//! instead, firing at the end of the window plus the timeout: a request is
//! given between `timeout` and `timeout` plus a thirty-second part of it
//! (at most one second) before it fails.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{FutureExt as _, Shared};
use tokio::time::{Instant, Sleep};

/// One shared timer.
type Timer = Shared<Sleep>;

/// The longest a deadline may be past the requested one.
const MAX_SLACK: Duration = Duration::from_secs(1);

thread_local! {
    /// The timer the last request started on this thread took, with its
    /// runtime and the instant it fires. A timer is only ever polled on the
    /// runtime whose driver it is registered with.
    static LATEST: RefCell<Option<(tokio::runtime::Id, Instant, Timer)>> = const { RefCell::new(None) };
}

/// A timer that fires no sooner than `timeout` from now, and at most a
/// thirty-second part of it (capped at one second) later; `None` outside a
/// tokio runtime, where no request can run anyway.
fn timer(timeout: Duration) -> Option<Timer> {
    let runtime = tokio::runtime::Handle::try_current().ok()?.id();
    let earliest = Instant::now().checked_add(timeout)?;
    let slack = (timeout / 32).min(MAX_SLACK);
    LATEST.with_borrow_mut(|latest| {
        if let Some((id, at, timer)) = latest
            && *id == runtime
            && *at >= earliest
            && *at - earliest <= slack
        {
            return Some(timer.clone());
        }
        let at = earliest + slack;
        let timer = tokio::time::sleep_until(at).shared();
        *latest = Some((runtime, at, timer.clone()));
        Some(timer)
    })
}

/// What a request that ran out of time fails with; an `io::Error` of kind
/// `TimedOut` carries it, so that `reqwest::Error::is_timeout` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    /// The time the request was allowed.
    pub after: Duration,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no whole answer within {} ms", self.after.as_millis())
    }
}

impl std::error::Error for TimedOut {}

impl TimedOut {
    /// The error, as the `io::Error` reqwest reads a timeout from.
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, self)
    }

    /// The deadline behind an error, if that is what it is.
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<TimedOut> {
        crate::transport::in_chain(error).copied()
    }
}

/// `future`, failing with [`TimedOut`] once `timeout` has passed.
pub fn within<F: Future>(timeout: Option<Duration>, future: F) -> Within<F> {
    let timer = timeout.and_then(|after| Some((timer(after)?, after)));
    Within { future, timer }
}

pin_project_lite::pin_project! {
    /// The future [`within`] returns.
    pub struct Within<F> {
        #[pin]
        future: F,
        timer: Option<(Timer, Duration)>,
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if let Some((timer, after)) = this.timer
            && timer.poll_unpin(cx).is_ready()
        {
            return Poll::Ready(Err(TimedOut { after: *after }));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_future_fails_and_reads_as_a_timeout() {
        let late = within(Some(ms(100)), tokio::time::sleep(ms(200)));
        assert_eq!(late.await, Err(TimedOut { after: ms(100) }));
        let error = TimedOut { after: ms(100) }.into_io();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(error.to_string(), "no whole answer within 100 ms");
        let error = crate::transport::failed(error);
        assert!(error.is_timeout());
        assert_eq!(TimedOut::find(&error), Some(TimedOut { after: ms(100) }));
        assert_eq!(TimedOut::find(&io::Error::other("late")), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_future_gets_at_least_its_timeout_and_at_most_the_slack_more() {
        let timeout = ms(3200);
        // The shared timer may end 100 ms (a thirty-second part) late, never early.
        let started = Instant::now();
        assert_eq!(within(Some(timeout), tokio::time::sleep(timeout - ms(1))).await, Ok(()));
        let started_late = Instant::now();
        let outcome = within(Some(timeout), std::future::pending::<()>()).await;
        assert_eq!(outcome, Err(TimedOut { after: timeout }));
        let waited = started_late.elapsed();
        assert!(waited >= timeout && waited <= timeout + ms(100), "{waited:?}");
        assert!(started.elapsed() > timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_started_together_share_a_timer_and_later_ones_do_not() {
        let first = timer(ms(3200)).unwrap();
        let second = timer(ms(3200)).unwrap();
        assert!(first.ptr_eq(&second));
        // Another timeout asks for another deadline.
        let other = timer(ms(9600)).unwrap();
        assert!(!other.ptr_eq(&second));
        tokio::time::advance(ms(301)).await;
        // Past the slack of the last timer made: a new one.
        let later = timer(ms(9600)).unwrap();
        assert!(!later.ptr_eq(&other));
        assert!(later.ptr_eq(&timer(ms(9600)).unwrap()));
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiters_on_one_timer_all_time_out() {
        let waiters = (0..50).map(|_| within(Some(ms(640)), std::future::pending::<()>()));
        let outcomes = futures::future::join_all(waiters).await;
        assert!(outcomes.iter().all(|outcome| *outcome == Err(TimedOut { after: ms(640) })));
    }

    #[test]
    fn a_timer_is_never_shared_with_another_runtime() {
        let runtime = || tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let first = runtime();
        let kept = {
            let _inside = first.enter();
            timer(ms(500)).unwrap()
        };
        drop(first);
        // Polling `kept` now would panic: its runtime is gone.
        let second = runtime();
        second.block_on(async {
            let fresh = timer(ms(500)).unwrap();
            assert!(!fresh.ptr_eq(&kept));
            assert_eq!(
                within(Some(ms(20)), std::future::pending::<()>()).await,
                Err(TimedOut { after: ms(20) })
            );
        });
    }

    #[test]
    fn no_timeout_means_no_timer() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let outcome = runtime.block_on(within(None, async { 7 }));
        assert_eq!(outcome, Ok(7));
        assert!(within(None, async {}).timer.is_none());
    }
}
