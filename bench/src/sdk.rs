//! The code under measurement: the native social exchange through `token_exchange::Client`,
//! as an app writes it. The only module that calls the SDK's exchange API.

use std::sync::Arc;

use token_exchange::{Client, Error, NativeSocialExchange, SoftwareKey, TokenSet, UserProfile};

use crate::{AUDIENCE, CLIENT_ID, FIRST_NAME, LAST_NAME};

/// A client of the SDK, configured as a mobile app configures it (defaults: a public client,
/// ID token validation on, telemetry on), with or without a DPoP key.
pub struct Sdk {
    client: Client,
    dpop: bool,
    id_token_validation: bool,
}

impl Sdk {
    /// A client for the tenant at `base_url` (`http://127.0.0.1:port/`). `id_token_validation`
    /// `false` turns off what is on by default, to measure the rest without the RSA signature
    /// check.
    pub fn new(base_url: &str, dpop: Option<Arc<SoftwareKey>>, id_token_validation: bool) -> Result<Arc<Sdk>, Error> {
        let mut builder = Client::builder(crate::domain(base_url), CLIENT_ID).id_token_validation(id_token_validation);
        let bound = dpop.is_some();
        if let Some(key) = dpop {
            builder = builder.dpop(key);
        }
        Ok(Arc::new(Sdk {
            client: builder.build()?,
            dpop: bound,
            id_token_validation,
        }))
    }

    /// Whether the client sends DPoP proofs.
    pub fn uses_dpop(&self) -> bool {
        self.dpop
    }

    /// Whether the client validates ID tokens.
    pub fn validates_id_tokens(&self) -> bool {
        self.id_token_validation
    }

    /// Exchanges an Apple authorization code (with the user's name, as on a first sign-in).
    pub async fn exchange(&self, authorization_code: String) -> Result<TokenSet, Error> {
        let request = NativeSocialExchange::apple(authorization_code)
            .audience(AUDIENCE)
            .user_profile(UserProfile::with_name(Some(FIRST_NAME.into()), Some(LAST_NAME.into())));
        self.client.native_social_exchange(&request).await
    }
}
