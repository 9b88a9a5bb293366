//! The bindings recompute the library's error predicates from the converted data; this checks
//! they agree with `token_exchange::Error`'s for errors the server really sends.

use token_exchange::{Client, Error, NativeSocialExchange};
use token_exchange_emulator::{CannedResponse, Emulator, EmulatorConfig};
use token_exchange_ffi::TokenExchangeError;

#[tokio::test]
async fn predicates_agree_with_the_library() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = Client::builder(emu.base_url(), "native-app").build().unwrap();
    let cases = [
        CannedResponse::oauth_error(403, "invalid_grant", "used"),
        CannedResponse::oauth_error(400, "invalid_request", "x"),
        CannedResponse::oauth_error(403, "unauthorized_client", "x"),
        CannedResponse::oauth_error(403, "access_denied", "x"),
        CannedResponse::json(
            403,
            &serde_json::json!({"error":"mfa_required","mfa_token":"m","mfa_requirements":{"challenge":[{"type":"otp"}]}}),
        ),
        CannedResponse::oauth_error(429, "too_many_attempts", "x"),
        CannedResponse::too_many_requests(5),
        CannedResponse::oauth_error(503, "temporarily_unavailable", "x"),
        CannedResponse::oauth_error(503, "temporarily_unavailable", "x").header("Retry-After", "5"),
        CannedResponse::html(503, "<html></html>").header("Retry-After", "5"),
        CannedResponse::oauth_error(400, "server_error", "x"),
        CannedResponse::oauth_error(400, "use_dpop_nonce", "x"),
        CannedResponse::oauth_error(400, "invalid_dpop_proof", "x"),
        CannedResponse::code_description_error(401, "invalid_client", "x"),
        CannedResponse::html(502, "<html></html>"),
        CannedResponse::html(404, "<html></html>"),
        CannedResponse::text(429, "slow down").header("Retry-After", "9"),
        CannedResponse::new(302),
        CannedResponse::oauth_error(
            401,
            "federated_connection_refresh_token_not_found",
            "Federated connection Refresh Token not found.",
        ),
        CannedResponse::oauth_error(404, "tokenset_not_found", "x"),
    ];
    let mut checked = 0;
    for canned in cases {
        let what = format!("{} {}", canned.status, canned.body);
        emu.inject_token_response(canned);
        let core: Error = client
            .native_social_exchange(&NativeSocialExchange::apple("code"))
            .await
            .expect_err("canned error");
        let oauth = core.oauth();
        let ours = TokenExchangeError::from(core_clone(&core));
        let pairs = [
            ("is_retryable", core.is_retryable(), ours.is_retryable()),
            (
                "request_may_have_reached_server",
                core.request_may_have_reached_server(),
                ours.request_may_have_reached_server(),
            ),
            ("is_network_error", core.is_network_error(), ours.is_network_error()),
            (
                "is_mfa_required",
                oauth.is_some_and(|o| o.is_mfa_required()),
                ours.is_mfa_required(),
            ),
            (
                "is_too_many_attempts",
                oauth.is_some_and(|o| o.is_too_many_attempts()),
                ours.is_too_many_attempts(),
            ),
            (
                "is_rate_limited",
                oauth.is_some_and(|o| o.is_rate_limited()),
                ours.is_rate_limited(),
            ),
            (
                "is_server_error",
                oauth.is_some_and(|o| o.is_server_error()),
                ours.is_server_error(),
            ),
            (
                "is_dpop_nonce_required",
                oauth.is_some_and(|o| o.is_dpop_nonce_required()),
                ours.is_dpop_nonce_required(),
            ),
            (
                "is_invalid_dpop_proof",
                oauth.is_some_and(|o| o.is_invalid_dpop_proof()),
                ours.is_invalid_dpop_proof(),
            ),
            (
                "is_invalid_grant",
                oauth.is_some_and(|o| o.is_invalid_grant()),
                ours.is_invalid_grant(),
            ),
            (
                "is_invalid_request",
                oauth.is_some_and(|o| o.is_invalid_request()),
                ours.is_invalid_request(),
            ),
            (
                "is_unauthorized_client",
                oauth.is_some_and(|o| o.is_unauthorized_client()),
                ours.is_unauthorized_client(),
            ),
            (
                "is_access_denied",
                oauth.is_some_and(|o| o.is_access_denied()),
                ours.is_access_denied(),
            ),
            (
                "is_connection_required",
                oauth.is_some_and(|o| o.is_connection_required()),
                ours.is_connection_required(),
            ),
        ];
        for (name, expected, got) in pairs {
            assert_eq!(expected, got, "{name} for {what}: {ours:?}");
        }
        assert_eq!(core.retry_after(), ours.retry_after(), "retry_after for {what}");
        assert_eq!(core.to_string(), ours.to_string(), "text for {what}");
        if core.retry_after().is_some() {
            assert!(ours.to_string().contains("retry after"), "{what}: {ours}");
        }
        checked += 1;
    }
    assert_eq!(checked, 20);
}

/// `Error` is not `Clone`; rebuild it through the same conversion the bindings use.
fn core_clone(e: &Error) -> Error {
    // The conversion consumes the error; convert a structurally equal copy. Every variant the
    // canned responses produce is OAuth or UnexpectedResponse, both reconstructible here.
    match e {
        Error::OAuth(o) => Error::OAuth(o.clone()),
        Error::UnexpectedResponse {
            status,
            problem,
            retry_after,
        } => Error::UnexpectedResponse {
            status: *status,
            problem: problem.clone(),
            retry_after: *retry_after,
        },
        other => panic!("unexpected variant {other:?}"),
    }
}
