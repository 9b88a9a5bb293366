//! The smallest useful library on the stack of `token-exchange-ffi`: one async function, exported
//! with uniffi, that POSTs over HTTPS (reqwest, rustls on ring with its default provider, the
//! platform verifier) on a library-owned current-thread tokio runtime and parses the JSON
//! answer. `cargo xtask size` builds it with the same profile and flags as the real library:
//! the difference between the two is what the SDK's own features cost.

use std::sync::{Arc, OnceLock};

use rustls_platform_verifier::BuilderVerifierExt as _;

uniffi::setup_scaffolding!();

/// Why a request failed.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum BaselineError {
    /// Anything at all, as text.
    #[error("{message}")]
    Failed {
        /// What went wrong.
        message: String,
    },
}

fn failed(e: impl std::fmt::Display) -> BaselineError {
    BaselineError::Failed { message: e.to_string() }
}

fn runtime() -> &'static tokio::runtime::Handle {
    static RUNTIME: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
        handle
    })
}

/// POSTs `body` to `url` and returns the JSON answer re-serialised.
#[uniffi::export]
pub async fn post_json(url: String, body: String) -> Result<String, BaselineError> {
    let work = async move {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(failed)?
            .with_platform_verifier()
            .map_err(failed)?
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(failed)?;
        let response = client.post(url).body(body).send().await.map_err(failed)?;
        let text = response.text().await.map_err(failed)?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(failed)?;
        Ok(value.to_string())
    };
    runtime().spawn(work).await.map_err(failed)?
}
