//! What a client sends through: the settings every provider's builder
//! takes, and the `reqwest` client accountkit builds from them.

use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::provider::Op;

/// The time a client accountkit builds allows to connect, unless its
/// builder's `connect_timeout` says otherwise: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The time a client accountkit builds allows for a whole request, body
/// included, unless its builder's `timeout` says otherwise: 30 s.
pub const DEFAULT_TIMEOUT: Duration = accountkit_runtime::DEFAULT_TIMEOUT;

/// The transport settings every provider's builder takes.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub http: Option<reqwest::Client>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: accountkit_runtime::RetryPolicy,
    pub max_response_bytes: usize,
    pub allow_insecure_http: bool,
    /// Certificates (DER or PEM) to trust beside the platform's roots.
    pub root_certificates: Vec<Vec<u8>>,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            http: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: accountkit_runtime::RetryPolicy::default(),
            max_response_bytes: accountkit_runtime::DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            root_certificates: Vec::new(),
        }
    }
}

impl Transport {
    /// The raw client's policy for `provider`.
    pub fn policy(&self, provider: &'static str) -> accountkit_runtime::Policy {
        accountkit_runtime::Policy {
            provider,
            retry: self.retry.clone(),
            max_response_bytes: self.max_response_bytes,
            retried_ids_header: None,
            // A caller's own client keeps its own timeouts.
            timeout: self.http.is_none().then_some(self.timeout),
            opening: accountkit_runtime::transport::Opening::default(),
        }
    }

    /// The caller's HTTP client, or one built with the connect timeout (the
    /// request timeout is the policy's, which covers the body as it is read).
    pub fn http_client(&self, op: Op) -> Result<reqwest::Client, Error> {
        if let Some(http) = &self.http {
            return Ok(http.clone());
        }
        let builder = if self.root_certificates.is_empty() {
            http_client_builder().map_err(|e| op.error(ErrorKind::Transport, e.message().to_string()))?
        } else {
            with_roots(op, &self.root_certificates)?
        };
        builder
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|e| op.error(ErrorKind::Transport, format!("cannot build the HTTP client: {e}")))
    }

    /// Refuses a plain-HTTP base URL unless its host is a loopback address
    /// or the caller opted in: tokens and passwords would travel in clear.
    pub fn check_scheme(&self, op: Op, base_url: &str) -> Result<(), Error> {
        let url = url::Url::parse(base_url).map_err(|_| op.invalid("base_url", "is not a URL"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if url.scheme() == "http" && !loopback && !self.allow_insecure_http {
            return Err(op.invalid(
                "base_url",
                "must be https (plain http is allowed for loopback addresses, or with `allow_insecure_http(true)`)",
            ));
        }
        Ok(())
    }
}

/// A `reqwest::ClientBuilder` with accountkit's TLS set-up and redirect
/// policy, for callers who build their own client and hand it to a
/// provider's `http_client`.
///
/// It follows no redirect and sends no `Referer`: a redirect would carry
/// the credential headers and the body (a password, say) to wherever the
/// server points. With the `rustls` feature it carries a rustls
/// configuration on the `ring` provider with the platform's certificate
/// verifier, made once per process (loading the system's roots takes
/// milliseconds); it fails, with [`ErrorKind::Transport`], if that verifier
/// cannot start. That configuration offers HTTP/2 and HTTP/1.1 by ALPN, so
/// concurrent calls share one connection where the server speaks HTTP/2,
/// and keeps one TLS session store for the process, so a new connection,
/// of any client built on it, resumes a session rather than making a full
/// handshake.
///
/// ```
/// # #[cfg(feature = "stx")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use accountkit::stx::{Client, Host};
///
/// let http = accountkit::http_client_builder()?
///     .timeout(Duration::from_secs(20))
///     .pool_max_idle_per_host(4)
///     .build()?;
/// // One connection pool for several clients.
/// let staging = Client::builder(Host::Staging).http_client(http.clone()).build()?;
/// let production = Client::builder(Host::Production).http_client(http).build()?;
/// # let _ = (staging, production);
/// # Ok(()) }
/// # #[cfg(not(feature = "stx"))] fn main() {}
/// ```
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, Error> {
    let builder = origin_bound();
    #[cfg(feature = "rustls")]
    let builder = match tls::config() {
        Ok(config) => builder.tls_backend_preconfigured(config.clone()),
        Err(why) => {
            let message = format!("cannot set up TLS: {why}");
            return Err(Error::new(ErrorKind::Transport, "accountkit", "http_client_builder", message));
        }
    };
    Ok(builder)
}

/// A builder whose requests never leave their origin: no redirect is
/// followed and no `Referer` is sent.
fn origin_bound() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).referer(false)
}

/// `http_client_builder` trusting `roots` beside the platform's roots.
fn with_roots(op: Op, roots: &[Vec<u8>]) -> Result<reqwest::ClientBuilder, Error> {
    let builder = origin_bound();
    #[cfg(feature = "rustls")]
    {
        let roots = tls::parse_roots(roots).map_err(|why| op.invalid("root_certificate", &why))?;
        let config = tls::config_with_roots(roots)
            .map_err(|why| op.error(ErrorKind::Transport, format!("cannot set up TLS: {why}")))?;
        Ok(builder.tls_backend_preconfigured(config))
    }
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    {
        let mut certs = Vec::new();
        for root in roots {
            let parsed = if root.trim_ascii_start().starts_with(b"-----BEGIN") {
                reqwest::Certificate::from_pem_bundle(root)
            } else {
                reqwest::Certificate::from_der(root).map(|c| vec![c])
            };
            certs.extend(parsed.map_err(|_| op.invalid("root_certificate", "is not a certificate"))?);
        }
        Ok(builder.tls_certs_merge(certs))
    }
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    {
        // Without TLS there is nothing to trust them for.
        let _ = (op, roots);
        Ok(builder)
    }
}

#[cfg(feature = "rustls")]
mod tls {
    use std::sync::{Arc, OnceLock};

    use std::sync::Mutex;

    use rustls::ClientConfig;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    use rustls_platform_verifier::{BuilderVerifierExt, Verifier};

    /// Distinct sets of extra roots kept, each with its configuration.
    const KEPT_ROOT_SETS: usize = 8;

    /// The process's rustls configuration, or why it could not be made.
    pub fn config() -> &'static Result<ClientConfig, String> {
        static CONFIG: OnceLock<Result<ClientConfig, String>> = OnceLock::new();
        CONFIG.get_or_init(|| make(None))
    }

    /// A configuration trusting `roots` beside the platform's, shared by
    /// every builder given the same ones: they share its TLS session store,
    /// which a verifier that trusts other roots must not resume from.
    pub fn config_with_roots(roots: Vec<CertificateDer<'static>>) -> Result<ClientConfig, String> {
        static CONFIGS: Mutex<Vec<(Vec<CertificateDer<'static>>, ClientConfig)>> = Mutex::new(Vec::new());
        let mut configs = CONFIGS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, config)) = configs.iter().find(|(kept, _)| *kept == roots) {
            return Ok(config.clone());
        }
        let config = make(Some(roots.clone()))?;
        if configs.len() == KEPT_ROOT_SETS {
            configs.remove(0);
        }
        configs.push((roots, config.clone()));
        Ok(config)
    }

    fn make(extra_roots: Option<Vec<CertificateDer<'static>>>) -> Result<ClientConfig, String> {
        // rustls 0.23.48 deprecates ring's provider for its lack of
        // post-quantum key exchange, and offers no ring one instead: the
        // only undeprecated provider is aws-lc-rs, which the workspace
        // passes over for its build time (see its `rustls` line).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match extra_roots {
            None => builder.with_platform_verifier().map_err(|e| e.to_string())?,
            Some(roots) => {
                let verifier = extra_roots_verifier(roots, provider)?;
                builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier))
            }
        };
        let mut config = builder.with_no_client_auth();
        // reqwest offers no ALPN on a configuration it is handed: without
        // `h2` here, every server would speak HTTP/1.1 to us.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    #[cfg(not(target_os = "android"))]
    fn extra_roots_verifier(
        roots: Vec<CertificateDer<'static>>,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Verifier, String> {
        Verifier::new_with_extra_roots(roots, provider).map_err(|e| e.to_string())
    }

    #[cfg(target_os = "android")]
    fn extra_roots_verifier(
        _: Vec<CertificateDer<'static>>,
        _: Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Verifier, String> {
        Err("the platform verifier takes no extra root certificates on Android".into())
    }

    /// Each PEM block of a certificate, or the DER bytes as one, checked to
    /// be a trust anchor.
    pub fn parse_roots(given: &[Vec<u8>]) -> Result<Vec<CertificateDer<'static>>, String> {
        let mut roots = Vec::new();
        for bytes in given {
            if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
                let before = roots.len();
                for cert in CertificateDer::pem_slice_iter(bytes) {
                    roots.push(cert.map_err(|_| "is not valid PEM".to_string())?);
                }
                if roots.len() == before {
                    return Err("holds no PEM `CERTIFICATE` block".into());
                }
            } else {
                roots.push(CertificateDer::from(bytes.clone()));
            }
        }
        let mut store = rustls::RootCertStore::empty();
        for root in &roots {
            store.add(root.clone()).map_err(|_| "is not a CA certificate rustls can read".to_string())?;
        }
        Ok(roots)
    }
}

/// The transport methods of every provider's `ClientBuilder`, which keeps
/// a `transport: transport::Transport` field. The arguments are the examples'
/// builder expressions: one as the docs show it, one on a plain-HTTP base
/// URL that is not a loopback address.
// rustfmt re-indents the `concat!` of these doc attributes on every run.
#[rustfmt::skip]
macro_rules! transport_options {
    ($builder:literal, $insecure:literal) => {
        /// Sends through this `reqwest` client (its own timeouts apply).
        ///
        /// Build it from [`http_client_builder`](crate::http_client_builder),
        /// which follows no redirect. A client that follows redirects
        /// (reqwest's default) sends the credential headers and the body to
        /// wherever a redirect points before accountkit sees the answer;
        /// accountkit then refuses an answer from another origin, but cannot
        /// take back what was sent.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "// accountkit's TLS set-up and redirect policy, and settings of your own.\n",
            "let http = accountkit::http_client_builder()?\n",
            "    .timeout(std::time::Duration::from_secs(20))\n",
            "    .user_agent(\"my-app/1.0\")\n",
            "    .build()?;\n",
            "let client = ", $builder, "\n",
            "    .http_client(http)\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn http_client(mut self, http: reqwest::Client) -> Self {
            self.transport.http = Some(http);
            self
        }

        /// Time allowed for each attempt of a request, from sending to the
        /// end of the answer's body; 30 s unless set. A client given with
        /// `http_client` keeps its own timeouts instead.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use std::time::Duration;\n\n",
            "let client = ", $builder, "\n",
            "    .timeout(Duration::from_secs(5))\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.timeout = timeout;
            self
        }

        /// Time allowed to connect; 10 s unless set.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use std::time::Duration;\n\n",
            "let client = ", $builder, "\n",
            "    .connect_timeout(Duration::from_secs(2))\n",
            "    .timeout(Duration::from_secs(15))\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.connect_timeout = timeout;
            self
        }

        /// When failed requests are sent again; [`RetryPolicy::default`](crate::RetryPolicy::default)
        /// unless set, [`RetryPolicy::none`](crate::RetryPolicy::none) to send each once.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use std::time::Duration;\n",
            "use accountkit::RetryPolicy;\n\n",
            "let patient = RetryPolicy::default()\n",
            "    .max_attempts(5)\n",
            "    .backoff(Duration::from_millis(500), Duration::from_secs(10));\n",
            "assert_eq!(patient.attempts(), 5);\n",
            "let client = ", $builder, ".retry(patient).build()?;\n",
            "# let _ = client;\n",
            "// Or each request once, retrying yourself.\n",
            "let client = ", $builder, ".retry(RetryPolicy::none()).build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn retry(mut self, policy: $crate::RetryPolicy) -> Self {
            self.transport.retry = policy;
            self
        }

        /// The largest response body read, in bytes; a larger one is an
        /// error. 4 MiB unless set.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "let client = ", $builder, "\n",
            "    .max_response_bytes(256 * 1024)\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn max_response_bytes(mut self, limit: usize) -> Self {
            self.transport.max_response_bytes = limit;
            self
        }

        /// Allows a plain `http://` base URL that is not a loopback address.
        /// Off unless set: credentials would cross the network in clear.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use accountkit::ErrorKind;\n\n",
            "let refused = ", $insecure, ".build();\n",
            "assert_eq!(refused.unwrap_err().kind(), ErrorKind::InvalidInput);\n\n",
            "// A proxy on a private network, say.\n",
            "let client = ", $insecure, "\n",
            "    .allow_insecure_http(true)\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn allow_insecure_http(mut self, allow: bool) -> Self {
            self.transport.allow_insecure_http = allow;
            self
        }

        /// Trusts this CA certificate beside the platform's roots: DER, or
        /// PEM (every certificate of a bundle). For a TLS-inspecting proxy,
        /// say, or a test server. Call it again to add more; a certificate
        /// that cannot be read is an [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
        /// from `build`. Builders given the same certificates share one TLS
        /// set-up, and with it TLS session resumption. A client given with
        /// `http_client` keeps its own TLS set-up instead.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "# let ca = rcgen::generate_simple_self_signed(vec![\"proxy.example\".into()])?.cert.pem();\n",
            "# /*\n",
            "let ca = std::fs::read(\"corporate-ca.pem\")?;\n",
            "# */\n",
            "let client = ", $builder, "\n",
            "    .add_root_certificate(ca)\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn add_root_certificate(mut self, certificate: impl Into<Vec<u8>>) -> Self {
            self.transport.root_certificates.push(certificate.into());
            self
        }
    };
}
pub(crate) use transport_options;
