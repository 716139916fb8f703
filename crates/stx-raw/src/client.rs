//! The raw client: one method that sends an operation through the same
//! runtime glue (`hooks::prepare`, `transport::execute`) as the REST raw
//! clients' generated code.

use accountkit_runtime::{Context, RawClient, hooks, transport};
use progenitor_client::{ClientInfo, Error, ResponseValue};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};

use crate::{ANONYMOUS_OPERATIONS, IDEMPOTENT_OPERATIONS};

/// The GraphQL endpoint, below the base URL.
pub const PATH: &str = "/api/graphql";

/// An answer as it came: status, headers and body.
pub type Answer = ResponseValue<bytes::Bytes>;

/// The root field an operation selects, e.g. `confirm2Fa`: what
/// [`ANONYMOUS_OPERATIONS`] and [`IDEMPOTENT_OPERATIONS`] name.
pub trait Field {
    const NAME: &'static str;
}

/// The STX API at a base URL, with the credential and policy of its
/// [`Context`]. Cloning shares the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    baseurl: String,
    client: reqwest::Client,
    inner: Context,
}

impl ClientInfo<Context> for Client {
    /// The API version the schema was taken at.
    fn api_version() -> &'static str {
        "v3.0.52-3"
    }

    fn baseurl(&self) -> &str {
        &self.baseurl
    }

    fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn inner(&self) -> &Context {
        &self.inner
    }
}

impl RawClient for Client {
    fn with_context(base_url: &str, http: reqwest::Client, context: Context) -> Self {
        Client { baseurl: base_url.to_string(), client: http, inner: context }
    }
}

impl Client {
    /// `POST <base URL>/api/graphql` with the operation, its credential
    /// attached unless its field is anonymous. Every answer comes back,
    /// whatever its status: GraphQL reports its errors in the body, at 200
    /// as at 400, and reading them is the caller's.
    pub async fn send<Q: Field, V: serde::Serialize>(
        &self,
        operation: &cynic::Operation<Q, V>,
    ) -> Result<Answer, Error> {
        let url = hooks::target(&self.inner, &self.baseurl, format!("{}{PATH}", self.baseurl))
            .map_err(Error::InvalidRequest)?;
        let body = serde_json::to_vec(operation)
            .map_err(|_| Error::InvalidRequest("the variables cannot be encoded".to_string()))?;
        let json = HeaderValue::from_static("application/json");
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, json.clone())
            .header(ACCEPT, json)
            .body(body)
            .build()
            .map_err(Error::CommunicationError)?;
        hooks::prepare(&mut request, &self.inner.auth, Q::NAME, ANONYMOUS_OPERATIONS)
            .map_err(Error::InvalidRequest)?;
        let mut response =
            transport::execute(&self.client, &self.inner.policy, request, Q::NAME, IDEMPOTENT_OPERATIONS)
                .await
                .map_err(Error::CommunicationError)?;
        let (status, headers) = (response.status(), std::mem::take(response.headers_mut()));
        // Read under the policy's size limit already.
        let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
        Ok(ResponseValue::new(body, status, headers))
    }
}
