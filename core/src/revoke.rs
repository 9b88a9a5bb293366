//! Revoking a refresh token at `POST /oauth/revoke` (RFC 7009): signing out on the server,
//! not only on the device.

use std::borrow::Cow;

use crate::client::Client;
use crate::error::Error;
use crate::secret::Secret;
use crate::validate;

impl Client {
    /// Revokes `refresh_token`, authenticating the client as for the token endpoint (a public
    /// client sends its `client_id`). Depending on the tenant's "Refresh Token Revocation
    /// Deletes Grant" setting, Auth0 also revokes the other refresh tokens of the same grant.
    ///
    /// A token the server does not know (already revoked, expired, never issued) is a success,
    /// as RFC 7009 §2.2 says. Errors are classified as for the token endpoint. No DPoP proof
    /// is sent: RFC 9449 defines none for revocation, whose only effect is to take power away,
    /// so it works even after the DPoP key was lost. The request is not replayed; revoking
    /// twice is harmless, so the caller may retry a network failure.
    pub async fn revoke(&self, refresh_token: &Secret) -> Result<(), Error> {
        validate::token("refresh_token", refresh_token.expose())?;
        let url = self
            .base_url()
            .join("oauth/revoke")
            .expect("a relative path joins onto an http(s) base");
        let form = vec![("token", Cow::Borrowed(refresh_token.expose()))];
        let request = self.authenticated_post(&url, &form, &[])?;
        let response = self.send(request, self.inner.http.deadline()).await?;
        if response.is_success() {
            Ok(())
        } else {
            Err(response.into_error())
        }
    }
}
