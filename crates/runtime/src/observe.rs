//! The status and `Retry-After` of the response a raw call got, read from
//! what the call returns, for the failures whose error does not keep them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{Error, ResponseValue};

use crate::transport::retry_after;

/// What a caller learns of a raw call's last response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseMeta {
    /// The HTTP status code.
    pub status: u16,
    /// Its `Retry-After`, as a wait.
    pub retry_after: Option<Duration>,
}

impl ResponseMeta {
    fn of(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Self {
        ResponseMeta { status: status.as_u16(), retry_after: retry_after(headers) }
    }
}

/// The body [`hooks::decode`](crate::hooks::decode) could not decode and
/// why, in the extensions of the response it hands back instead.
#[derive(Clone)]
pub(crate) struct Undecoded {
    body: bytes::Bytes,
    cause: Arc<serde_json::Error>,
}

impl Undecoded {
    pub(crate) fn new(body: bytes::Bytes, cause: serde_json::Error) -> Self {
        Undecoded { body, cause: Arc::new(cause) }
    }
}

/// Runs one raw-client call and returns, beside its output, the status and
/// `Retry-After` of the response it got, if it got one. A body that did
/// not decode comes back as `Error::InvalidResponsePayload`, as progenitor
/// words it, with its status here.
///
/// The call is moved to the heap once, here: a generated client's future
/// runs to kilobytes, and every `async fn` layer around it would otherwise
/// hold (and move) it again.
pub fn observe<T, E, F>(
    call: F,
) -> impl Future<Output = (Result<ResponseValue<T>, Error<E>>, Option<ResponseMeta>)>
where
    F: Future<Output = Result<ResponseValue<T>, Error<E>>>,
{
    let call = Box::pin(call);
    async move { settle(call.await) }
}

fn settle<T, E>(
    outcome: Result<ResponseValue<T>, Error<E>>,
) -> (Result<ResponseValue<T>, Error<E>>, Option<ResponseMeta>) {
    let meta = match &outcome {
        Ok(value) => ResponseMeta::of(value.status(), value.headers()),
        Err(Error::ErrorResponse(value)) => ResponseMeta::of(value.status(), value.headers()),
        Err(Error::UnexpectedResponse(response)) => ResponseMeta::of(response.status(), response.headers()),
        Err(_) => return (outcome, None),
    };
    match outcome {
        Err(Error::UnexpectedResponse(mut response)) => {
            match response.extensions_mut().remove::<Undecoded>() {
                Some(Undecoded { body, cause }) => {
                    let cause = Arc::try_unwrap(cause).unwrap_or_else(serde::de::Error::custom);
                    (Err(Error::InvalidResponsePayload(body, cause)), Some(meta))
                }
                None => (Err(Error::UnexpectedResponse(response)), Some(meta)),
            }
        }
        outcome => (outcome, Some(meta)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> reqwest::Response {
        let mut response = http::Response::builder().status(status);
        if let Some(after) = retry_after {
            response = response.header("retry-after", after);
        }
        reqwest::Response::from(response.body(reqwest::Body::from("{}")).unwrap())
    }

    #[tokio::test]
    async fn observe_reads_the_status_and_retry_after_of_the_answer() {
        let (outcome, meta) = observe(async {
            Err::<ResponseValue<()>, Error<()>>(Error::UnexpectedResponse(response(503, Some("2"))))
        })
        .await;
        assert!(matches!(outcome, Err(Error::UnexpectedResponse(_))));
        assert_eq!(meta, Some(ResponseMeta { status: 503, retry_after: Some(Duration::from_secs(2)) }));
        let ok = ResponseValue::new(7, reqwest::StatusCode::ACCEPTED, reqwest::header::HeaderMap::new());
        let (outcome, meta) = observe(async { Ok::<_, Error<()>>(ok) }).await;
        assert_eq!(outcome.unwrap().into_inner(), 7);
        assert_eq!(meta, Some(ResponseMeta { status: 202, retry_after: None }));
    }

    #[tokio::test]
    async fn observe_is_empty_without_a_response() {
        let (outcome, meta) =
            observe(async { Err::<ResponseValue<()>, Error<()>>(Error::InvalidRequest("no".into())) }).await;
        assert!(matches!(outcome, Err(Error::InvalidRequest(_))));
        assert!(meta.is_none());
    }
}
