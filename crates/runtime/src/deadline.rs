//! Request deadlines: each attempt, from sending to the end of its body,
//! fails with [`TimedOut`] once its timeout has passed.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

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
        crate::errors::in_chain(error).copied()
    }
}

/// `future`, failing with [`TimedOut`] once `timeout` has passed; with no
/// timeout, or outside a tokio runtime (where no request can run), never.
pub fn within<F: Future>(timeout: Option<Duration>, future: F) -> Within<F> {
    let in_runtime = tokio::runtime::Handle::try_current().is_ok();
    let timer = timeout.filter(|_| in_runtime).map(|after| (Box::pin(tokio::time::sleep(after)), after));
    Within { future, timer }
}

pin_project_lite::pin_project! {
    /// The future [`within`] returns.
    pub struct Within<F> {
        #[pin]
        future: F,
        timer: Option<(Pin<Box<Sleep>>, Duration)>,
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
            && timer.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(TimedOut { after: *after }));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

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
        let error = crate::errors::failed(error);
        assert!(error.is_timeout());
        assert_eq!(TimedOut::find(&error), Some(TimedOut { after: ms(100) }));
        assert_eq!(TimedOut::find(&io::Error::other("late")), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_future_gets_at_least_its_timeout_and_at_most_the_slack_more() {
        let timeout = ms(3200);
        // Never early, and on a paused clock not late either.
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
    async fn many_waiters_all_time_out() {
        let waiters = (0..50).map(|_| within(Some(ms(640)), std::future::pending::<()>()));
        let outcomes = futures::future::join_all(waiters).await;
        assert!(outcomes.iter().all(|outcome| *outcome == Err(TimedOut { after: ms(640) })));
    }

    #[test]
    fn no_timeout_means_no_timer() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let outcome = runtime.block_on(within(None, async { 7 }));
        assert_eq!(outcome, Ok(7));
        assert!(within(None, async {}).timer.is_none());
    }
}
