//! DPoP end to end against the emulator (a strict server) and a scripted peer.
#![cfg(feature = "reqwest-transport")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use support::*;
use token_exchange::{
    Client, DpopSigner, EcPublicKey, Error, NativeSocialExchange, ResourceRequest, SignerError, SoftwareKey, TokenSet,
    UnboundTokenPolicy,
};
use token_exchange_emulator::{AppleCode, DpopConfig, Emulator, EmulatorConfig};
use url::Url;

fn apple(emu: &Emulator, sub: &str) -> NativeSocialExchange {
    NativeSocialExchange::apple(emu.apple_authorization_code(AppleCode::new(sub))).audience(API)
}

#[tokio::test]
async fn bound_token_through_the_nonce_challenge_and_userinfo() {
    let emu = emulator().await; // demands nonces at the token endpoint and at /userinfo
    let c = dpop_client(&emu);
    let token_endpoint = c.base_url().join("oauth/token").unwrap();
    assert_eq!(c.dpop().unwrap().nonce_for(&token_endpoint), None);
    let tokens = c.native_social_exchange(&apple(&emu, "apple|dpop-user")).await.unwrap();
    let jkt = c.dpop().unwrap().thumbprint().to_owned();
    assert!(tokens.is_dpop_bound());
    assert_eq!(tokens.token_type, "DPoP");
    assert_eq!(tokens.dpop_jkt.as_deref(), Some(jkt.as_str()));
    assert_eq!(claims(tokens.access_token.expose())["cnf"]["jkt"], jkt);
    assert!(
        c.dpop().unwrap().nonce_for(&token_endpoint).is_some(),
        "the nonce from the challenge is kept"
    );
    let info = c.userinfo(&tokens).await.unwrap();
    assert_eq!(info["sub"], "apple|dpop-user");
    // And again: the cached nonces keep working for both endpoints.
    let tokens = c.native_social_exchange(&apple(&emu, "apple|dpop-user")).await.unwrap();
    assert_eq!(c.userinfo(&tokens).await.unwrap()["sub"], "apple|dpop-user");
}

#[tokio::test]
async fn the_client_retries_a_nonce_challenge_exactly_once() {
    let challenge = |n: &str| {
        Reply::json(400, serde_json::json!({"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}))
            .header("DPoP-Nonce", n)
    };
    let peer = Scripted::start(vec![challenge("nonce-1"), challenge("nonce-2"), challenge("nonce-3")]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .unwrap();
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple("code"))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_dpop_nonce_required(), "{e:?}");
    let sent = peer.recorded();
    assert_eq!(sent.len(), 2, "one retry, no loop");
    let first = claims(sent[0].header("dpop").unwrap());
    let second = claims(sent[1].header("dpop").unwrap());
    assert!(first.get("nonce").is_none());
    assert_eq!(second["nonce"], "nonce-1");
    assert_ne!(first["jti"], second["jti"], "a retry carries a fresh proof");
    assert_eq!(sent[1].headers_named("dpop"), 1);

    // A server that always demands a new nonce, for real.
    let config = EmulatorConfig::default().with_dpop(DpopConfig {
        always_demand_new_nonce: true,
        ..DpopConfig::default()
    });
    let emu = emulator_with(config).await;
    let e = dpop_client(&emu)
        .native_social_exchange(&apple(&emu, "apple|x"))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_dpop_nonce_required());
}

#[tokio::test]
async fn a_nonce_on_a_success_response_is_used_next_time() {
    let ok = |n: &str| Reply::json(200, token_body("DPoP")).header("DPoP-Nonce", n);
    let peer = Scripted::start(vec![ok("from-success-1"), ok("from-success-2")]).await;
    let c = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .unwrap();
    c.native_social_exchange(&NativeSocialExchange::apple("a"))
        .await
        .unwrap();
    c.native_social_exchange(&NativeSocialExchange::apple("b"))
        .await
        .unwrap();
    let sent = peer.recorded();
    assert_eq!(sent.len(), 2);
    assert_eq!(claims(sent[1].header("dpop").unwrap())["nonce"], "from-success-1");
    let proof = claims(sent[0].header("dpop").unwrap());
    assert_eq!(proof["htm"], "POST");
    assert_eq!(proof["htu"], format!("{}/oauth/token", peer.base_url));
}

#[tokio::test]
async fn nonces_are_kept_per_origin() {
    let auth = emulator().await;
    let other = emulator().await; // another origin (port): a different server
    let c = dpop_client(&auth);
    let tokens = c.native_social_exchange(&apple(&auth, "apple|origins")).await.unwrap();
    let dpop = c.dpop().unwrap();
    let auth_origin = Url::parse(auth.base_url()).unwrap();
    let other_origin = Url::parse(other.base_url()).unwrap();
    let auth_nonce = dpop.nonce_for(&auth_origin).unwrap();
    assert_eq!(dpop.nonce_for(&other_origin), None);
    // The other server demands its own nonce (and then refuses a token it did not issue).
    let response = c
        .send_authorized(&ResourceRequest::get(format!("{}/userinfo", other.base_url())), &tokens)
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    let other_nonce = dpop.nonce_for(&other_origin).expect("nonce of the second server kept");
    assert_ne!(other_nonce, auth_nonce);
    assert_eq!(
        dpop.nonce_for(&auth_origin),
        Some(auth_nonce),
        "the first server's nonce was overwritten"
    );
}

#[tokio::test]
async fn dpop_required_client_and_unbound_token_policy() {
    let emu = emulator().await;
    let e = Client::builder(emu.base_url(), "dpop-required-app")
        .build()
        .unwrap()
        .native_social_exchange(&apple(&emu, "apple|r"))
        .await
        .unwrap_err();
    assert!(e.oauth().is_some(), "{e:?}");
    let tokens = Client::builder(emu.base_url(), "dpop-required-app")
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .unwrap()
        .native_social_exchange(&apple(&emu, "apple|r"))
        .await
        .unwrap();
    assert!(tokens.is_dpop_bound());

    // A server that ignores DPoP and issues a bearer token.
    let peer = Scripted::start(vec![Reply::json(200, token_body("Bearer"))]).await;
    let key = Arc::new(SoftwareKey::generate().unwrap());
    let e = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(key.clone())
        .build()
        .unwrap()
        .native_social_exchange(&NativeSocialExchange::apple("c"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::TokenNotBound { ref token_type } if token_type == "Bearer"),
        "{e:?}"
    );
    let tokens = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(key)
        .unbound_token_policy(UnboundTokenPolicy::Accept)
        .build()
        .unwrap()
        .native_social_exchange(&NativeSocialExchange::apple("c"))
        .await
        .unwrap();
    assert!(!tokens.is_dpop_bound());
    assert_eq!(tokens.dpop_jkt, None);
    // token_type is compared case-insensitively.
    let peer = Scripted::start(vec![Reply::json(200, token_body("dpop"))]).await;
    let tokens = Client::builder(&peer.base_url, CLIENT_ID)
        .dpop(Arc::new(SoftwareKey::generate().unwrap()))
        .build()
        .unwrap()
        .native_social_exchange(&NativeSocialExchange::apple("c"))
        .await
        .unwrap();
    assert!(tokens.is_dpop_bound());
}

#[tokio::test]
async fn resource_helpers_detect_a_lost_or_rotated_key() {
    let emu = emulator().await;
    let c = dpop_client(&emu);
    let tokens = c.native_social_exchange(&apple(&emu, "apple|keys")).await.unwrap();
    let url = format!("{}/userinfo", emu.base_url());

    let headers = c.authorization_headers("GET", &url, &tokens).unwrap();
    assert!(headers.authorization.expose().starts_with("DPoP "));
    let proof = claims(headers.dpop.as_deref().unwrap());
    assert_eq!(
        proof["ath"],
        token_exchange::access_token_hash(tokens.access_token.expose())
    );
    assert_eq!(proof["htm"], "GET");

    let rotated = dpop_client(&emu);
    let e = rotated.authorization_headers("GET", &url, &tokens).unwrap_err();
    assert!(
        matches!(e, Error::DpopKeyMismatch { ref token_jkt, .. } if Some(token_jkt) == tokens.dpop_jkt.as_ref()),
        "{e:?}"
    );
    assert!(matches!(
        rotated.userinfo(&tokens).await.unwrap_err(),
        Error::DpopKeyMismatch { .. }
    ));
    let no_key = client(&emu);
    assert!(matches!(
        no_key.userinfo(&tokens).await.unwrap_err(),
        Error::DpopKeyMissing
    ));
    assert!(matches!(
        c.authorization_headers("get", &url, &tokens).unwrap_err(),
        Error::InvalidInput { field: "method", .. }
    ));
    assert!(matches!(
        c.authorization_headers("GET", "http://example.com/x", &tokens)
            .unwrap_err(),
        Error::InvalidInput { field: "url", .. }
    ));
}

#[tokio::test]
async fn a_persisted_key_keeps_tokens_usable_after_restart() {
    let emu = emulator().await;
    let key = SoftwareKey::generate().unwrap();
    let stored = key.to_pkcs8();
    let c = builder(&emu).dpop(Arc::new(key)).build().unwrap();
    let tokens = c.native_social_exchange(&apple(&emu, "apple|persist")).await.unwrap();
    drop(c);
    // "Process restart": a new client with the key read back from storage.
    let restored = builder(&emu)
        .dpop(Arc::new(SoftwareKey::from_pkcs8(&stored).unwrap()))
        .build()
        .unwrap();
    assert_eq!(restored.userinfo(&tokens).await.unwrap()["sub"], "apple|persist");
}

/// A signer that keeps its key "outside" and returns DER, as the Secure Enclave and the
/// Android Keystore do.
struct PlatformStyleSigner(SoftwareKey);

impl DpopSigner for PlatformStyleSigner {
    fn public_key(&self) -> Result<EcPublicKey, SignerError> {
        let point = [&[4u8][..], self.0.public().x(), self.0.public().y()].concat();
        EcPublicKey::from_sec1(&point)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let raw = self.0.sign(message)?;
        Ok(p256::ecdsa::Signature::from_slice(&raw)
            .unwrap()
            .to_der()
            .as_bytes()
            .to_vec())
    }
}

struct BrokenSigner;

impl DpopSigner for BrokenSigner {
    fn public_key(&self) -> Result<EcPublicKey, SignerError> {
        Ok(SoftwareKey::generate()?.public())
    }
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::new("the key was invalidated (biometry changed)"))
    }
}

#[tokio::test]
async fn foreign_signers_work_end_to_end_and_fail_cleanly() {
    let emu = emulator().await;
    let c = builder(&emu)
        .dpop(Arc::new(PlatformStyleSigner(SoftwareKey::generate().unwrap())))
        .build()
        .unwrap();
    let tokens = c.native_social_exchange(&apple(&emu, "apple|enclave")).await.unwrap();
    assert!(tokens.is_dpop_bound());
    assert_eq!(c.userinfo(&tokens).await.unwrap()["sub"], "apple|enclave");

    // A signer failure happens before anything is sent: the Apple code is not spent.
    let code = emu.apple_authorization_code(AppleCode::new("apple|kept"));
    let broken = builder(&emu).dpop(Arc::new(BrokenSigner)).build().unwrap();
    let e = broken
        .native_social_exchange(&NativeSocialExchange::apple(code.clone()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signer(ref m) if m.contains("biometry")), "{e:?}");
    assert!(!e.request_may_have_reached_server());
    c.native_social_exchange(&NativeSocialExchange::apple(code))
        .await
        .expect("the code is still valid");
}

#[tokio::test]
async fn token_errors_still_arrive_after_the_nonce_dance() {
    let emu = emulator().await;
    let c = dpop_client(&emu);
    let e = c
        .native_social_exchange(&NativeSocialExchange::apple("never-issued"))
        .await
        .unwrap_err();
    assert!(e.oauth().unwrap().is_invalid_grant(), "{e:?}");
}

/// A signer that blocks, as a biometric prompt does, until the test opens its gate (for good:
/// later signatures do not wait). It says when it starts waiting, and whether the gate was
/// never opened (it gives up after a minute, which only a broken client makes it wait for).
struct GatedSigner {
    key: SoftwareKey,
    entered: std::sync::Mutex<mpsc::Sender<()>>,
    gate: std::sync::Mutex<mpsc::Receiver<()>>,
    opened: AtomicBool,
    gave_up: AtomicBool,
}

/// The test's side of a [`GatedSigner`]: learn that it is signing, open its gate.
struct Gate {
    entered: mpsc::Receiver<()>,
    open: mpsc::Sender<()>,
}

fn gated_signer() -> (Arc<GatedSigner>, Gate) {
    let (entered_tx, entered) = mpsc::channel();
    let (open, gate) = mpsc::channel();
    let signer = GatedSigner {
        key: SoftwareKey::generate().unwrap(),
        entered: std::sync::Mutex::new(entered_tx),
        gate: std::sync::Mutex::new(gate),
        opened: AtomicBool::new(false),
        gave_up: AtomicBool::new(false),
    };
    (Arc::new(signer), Gate { entered, open })
}

impl Gate {
    /// Waits (off the async workers) until the signer has started signing.
    async fn signer_entered(self) -> Self {
        tokio::task::spawn_blocking(move || {
            self.entered.recv().expect("the signer is called");
            self
        })
        .await
        .unwrap()
    }
}

impl DpopSigner for GatedSigner {
    fn public_key(&self) -> Result<EcPublicKey, SignerError> {
        self.key.public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let _ = self.entered.lock().unwrap().send(());
        let gate = self.gate.lock().unwrap();
        if !self.opened.load(Ordering::SeqCst) {
            match gate.recv_timeout(Duration::from_secs(60)) {
                Ok(()) => self.opened.store(true, Ordering::SeqCst),
                Err(_) => self.gave_up.store(true, Ordering::SeqCst),
            }
        }
        self.key.sign(message)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_blocking_signer_does_not_hold_the_runtime() {
    let emu = emulator().await;
    let (signer, gate) = gated_signer();
    let slow = builder(&emu).dpop(signer.clone()).build().unwrap();
    let slow_request = apple(&emu, "apple|slow-signer");
    let slow_call = tokio::spawn(async move { slow.native_social_exchange(&slow_request).await });
    let gate = gate.signer_entered().await;
    // The slow call's signer is blocked until the gate opens: another exchange must still run
    // on the runtime's one worker.
    let tokens = dpop_client(&emu)
        .native_social_exchange(&apple(&emu, "apple|fast"))
        .await
        .unwrap();
    assert!(tokens.is_dpop_bound());
    gate.open.send(()).unwrap();
    assert!(slow_call.await.unwrap().unwrap().is_dpop_bound());
    assert!(
        !signer.gave_up.load(Ordering::SeqCst),
        "the fast exchange waited for the blocked signer"
    );
}

#[tokio::test]
async fn signing_is_bounded_by_the_request_timeout_and_nothing_is_sent() {
    let server = Scripted::start(vec![Reply::json(200, token_body("DPoP"))]).await;
    let (signer, gate) = gated_signer();
    let c = Client::builder(&server.base_url, CLIENT_ID)
        .dpop(signer.clone())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut tokens = TokenSet::new("at", "DPoP");
    tokens.dpop_jkt = Some(c.dpop().unwrap().thumbprint().to_owned());
    let results = [
        (
            "token request",
            c.native_social_exchange(&NativeSocialExchange::apple("code"))
                .await
                .err(),
        ),
        (
            "resource request",
            c.send_authorized(&ResourceRequest::get(format!("{}/api", server.base_url)), &tokens)
                .await
                .err(),
        ),
    ];
    for (case, error) in results {
        let before_sending = Error::Timeout {
            request_may_have_reached_server: false,
        };
        assert!(
            matches!(
                error,
                Some(Error::Timeout {
                    request_may_have_reached_server: false
                })
            ),
            "{case}: expected `{before_sending}`, got {error:?}"
        );
    }
    assert!(server.recorded().is_empty(), "a request was sent");
    // The prompt was left open: it finishes when answered, and its signatures are dropped.
    gate.open.send(()).unwrap();
}
