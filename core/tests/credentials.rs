//! The credentials manager: renewal against the emulator, single-flight renewal counted at a
//! scripted server, what is cleared and what is kept on each failure, sign-out, and the stores.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::json;
use support::*;
use token_exchange::{
    Client, CredentialStore, CredentialStoreError, CredentialStoreProblem, CredentialsManager, Error,
    FileCredentialStore, MemoryCredentialStore, NativeSocialExchange, Revocation, Secret, SignInReason, SoftwareKey,
    TokenSet,
};
use token_exchange_emulator::{AppleCode, Emulator};

const DAY: Duration = Duration::from_secs(86_400);

fn key() -> Arc<SoftwareKey> {
    Arc::new(SoftwareKey::generate().unwrap())
}

async fn exchange(emu: &Emulator, client: &Client, sub: &str) -> TokenSet {
    let code = emu.apple_authorization_code(AppleCode::new(sub));
    client
        .native_social_exchange(&NativeSocialExchange::apple(code).audience(API))
        .await
        .unwrap()
}

/// Tokens that expired an hour ago, with a refresh token.
fn expired(refresh_token: &str) -> TokenSet {
    let mut t = TokenSet::new("expired-access-token", "Bearer");
    t.expires_at = Some(SystemTime::now() - Duration::from_secs(3600));
    t.refresh_token = Some(Secret::new(refresh_token));
    t
}

async fn manager_with(client: Client, tokens: Option<&TokenSet>) -> (CredentialsManager, Arc<MemoryCredentialStore>) {
    let store = Arc::new(MemoryCredentialStore::new());
    let manager = CredentialsManager::new(client, store.clone());
    if let Some(tokens) = tokens {
        manager.save(tokens).await.unwrap();
    }
    (manager, store)
}

async fn unreachable(key: Option<Arc<SoftwareKey>>) -> Client {
    let mut b = Client::builder(format!("http://127.0.0.1:{}", closed_port().await), CLIENT_ID);
    if let Some(key) = key {
        b = b.dpop(key);
    }
    b.build().unwrap()
}

fn sign_in_reason(e: Error) -> SignInReason {
    match e {
        Error::SignInRequired { reason } => reason,
        other => panic!("expected sign-in required, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_callers_share_one_refresh() {
    let mut body = token_body("Bearer");
    body["refresh_token"] = json!("rotated-refresh-token");
    // The server takes its time, so that every caller arrives while the refresh is in flight.
    let peer = Scripted::start(vec![Reply::json(200, body).delayed(Duration::from_millis(300))]).await;
    let client = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let (manager, _) = manager_with(client, Some(&expired("old-refresh-token"))).await;

    let callers: Vec<_> = (0..50)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move { manager.credentials(Duration::from_secs(60)).await })
        })
        .collect();
    for caller in callers {
        let tokens = caller.await.unwrap().unwrap();
        assert_eq!(tokens.access_token.expose(), "scripted-access-token");
        assert_eq!(tokens.refresh_token.unwrap().expose(), "rotated-refresh-token");
    }
    let sent = peer.recorded();
    assert_eq!(sent.len(), 1, "exactly one refresh for 50 callers");
    assert_eq!(
        sent[0].form_value("refresh_token").as_deref(),
        Some("old-refresh-token")
    );
}

#[tokio::test]
async fn fresh_tokens_are_returned_and_expiring_ones_renewed_and_saved() {
    let emu = emulator().await;
    let key = key();
    let client = builder(&emu).dpop(key.clone()).build().unwrap();
    let tokens = exchange(&emu, &client, "apple|managed").await;
    let (manager, _) = manager_with(client, Some(&tokens)).await;

    let stored = manager.credentials(Duration::from_secs(60)).await.unwrap();
    assert_eq!(stored.access_token, tokens.access_token);
    assert_eq!(stored.dpop_jkt, tokens.dpop_jkt);
    assert_eq!(
        stored.id_token_claims, tokens.id_token_claims,
        "validated claims survive storage"
    );

    // The emulator's tokens live a day: asking for two forces a renewal.
    let renewed = manager.credentials(2 * DAY).await.unwrap();
    assert_ne!(renewed.access_token, tokens.access_token);
    assert!(renewed.is_dpop_bound());
    assert_eq!(renewed.id_token_claims.as_ref().unwrap().sub, "apple|managed");
    let again = manager.credentials(Duration::ZERO).await.unwrap();
    assert_eq!(
        again.access_token, renewed.access_token,
        "the renewed tokens were saved"
    );

    // renew() renews whatever the expiry, and the renewed token works at the server.
    let forced = manager.renew().await.unwrap();
    assert_ne!(forced.access_token, renewed.access_token);
    let c = builder(&emu).dpop(key).build().unwrap();
    assert_eq!(c.userinfo_claims(&forced).await.unwrap().sub, "apple|managed");
}

#[tokio::test]
async fn a_refused_refresh_token_clears_the_store_and_asks_for_sign_in() {
    let emu = emulator().await;
    let (manager, store) = manager_with(client(&emu), Some(&expired("revoked-or-never-issued"))).await;
    let e = manager.credentials(Duration::from_secs(60)).await.unwrap_err();
    assert!(e.is_sign_in_required());
    match sign_in_reason(e) {
        SignInReason::RefreshTokenRejected(oauth) => assert!(oauth.is_invalid_grant()),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.load().unwrap(), None, "the store was cleared");
    let e = manager.credentials(Duration::from_secs(60)).await.unwrap_err();
    assert!(matches!(sign_in_reason(e), SignInReason::NoCredentials));
}

#[tokio::test]
async fn a_lost_or_reset_key_clears_the_store_without_sending_anything() {
    let emu = emulator().await;
    let client = dpop_client(&emu);
    let tokens = exchange(&emu, &client, "apple|key-reset").await;
    assert!(tokens.dpop_jkt.is_some());

    // A peer that would answer anything: it must receive nothing.
    let peer = Scripted::start(vec![Reply::json(200, token_body("DPoP"))]).await;
    let other_key = Client::builder(&peer.base_url, CLIENT_ID).dpop(key()).build().unwrap();
    let (manager, store) = manager_with(other_key, Some(&tokens)).await;
    let e = manager.credentials(2 * DAY).await.unwrap_err();
    match &e {
        Error::DpopKeyMismatch { token_jkt, .. } => assert_eq!(Some(token_jkt), tokens.dpop_jkt.as_ref()),
        other => panic!("{other:?}"),
    }
    assert!(e.is_sign_in_required());
    assert_eq!(store.load().unwrap(), None);
    assert!(peer.recorded().is_empty());

    // Even when the tokens are fresh: they cannot be used with this key.
    let (manager, store) = manager_with(unreachable(Some(key())).await, Some(&tokens)).await;
    assert!(matches!(
        manager.credentials(Duration::ZERO).await.unwrap_err(),
        Error::DpopKeyMismatch { .. }
    ));
    assert_eq!(store.load().unwrap(), None);

    let (manager, store) = manager_with(unreachable(None).await, Some(&tokens)).await;
    assert!(matches!(
        manager.credentials(Duration::ZERO).await.unwrap_err(),
        Error::DpopKeyMissing
    ));
    assert_eq!(store.load().unwrap(), None);
}

#[tokio::test]
async fn network_failures_and_missing_refresh_tokens_keep_the_user_signed_in() {
    let (manager, store) = manager_with(unreachable(None).await, Some(&expired("rt"))).await;
    let e = manager.credentials(Duration::from_secs(60)).await.unwrap_err();
    assert!(e.is_network_error() && !e.is_sign_in_required(), "{e:?}");
    assert!(store.load().unwrap().is_some(), "the credentials were kept");

    let mut no_refresh = expired("rt");
    no_refresh.refresh_token = None;
    let (manager, store) = manager_with(unreachable(None).await, Some(&no_refresh)).await;
    let e = manager.credentials(Duration::from_secs(60)).await.unwrap_err();
    assert!(matches!(sign_in_reason(e), SignInReason::NoRefreshToken));
    assert!(store.load().unwrap().is_some());
    assert!(matches!(
        sign_in_reason(manager.renew().await.unwrap_err()),
        SignInReason::NoRefreshToken
    ));

    // Tokens without a known expiry are handed out as they are.
    let (manager, _) = manager_with(unreachable(None).await, Some(&TokenSet::new("at", "Bearer"))).await;
    assert_eq!(manager.credentials(DAY).await.unwrap().access_token.expose(), "at");
}

#[tokio::test]
async fn an_operation_started_finishes_when_its_caller_goes_away() {
    let mut body = token_body("Bearer");
    body["refresh_token"] = json!("rotated-refresh-token");
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let peer = Scripted::start(vec![Reply::json(200, body).held(gate.clone())]).await;
    let client = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let (manager, _) = manager_with(client, Some(&expired("old-refresh-token"))).await;

    let caller = tokio::spawn({
        let manager = manager.clone();
        async move { manager.credentials(Duration::from_secs(60)).await }
    });
    while peer.recorded().is_empty() {
        tokio::task::yield_now().await;
    }
    // The app cancels while the server, which has the request, rotates the refresh token.
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    gate.add_permits(1);

    let tokens = manager.credentials(Duration::from_secs(60)).await.unwrap();
    assert_eq!(tokens.refresh_token.unwrap().expose(), "rotated-refresh-token");
    assert_eq!(peer.recorded().len(), 1, "the rotated token was saved, not lost");
}

#[tokio::test]
async fn clear_revokes_then_clears_even_when_revocation_fails() {
    let peer = Scripted::start(vec![Reply::empty(200)]).await;
    let client = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let (manager, store) = manager_with(client, Some(&expired("refresh-to-revoke"))).await;
    assert!(matches!(manager.clear().await.unwrap(), Revocation::Revoked));
    let sent = peer.recorded();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/oauth/revoke");
    assert_eq!(sent[0].form_value("token").as_deref(), Some("refresh-to-revoke"));
    assert_eq!(store.load().unwrap(), None);
    // Nothing left: nothing to revoke, no request.
    assert!(matches!(manager.clear().await.unwrap(), Revocation::NothingToRevoke));
    assert_eq!(peer.recorded().len(), 1);

    // Offline: the device forgets the user all the same, and says revocation failed.
    let (manager, store) = manager_with(unreachable(None).await, Some(&expired("rt"))).await;
    match manager.clear().await.unwrap() {
        Revocation::Failed(e) => assert!(e.is_network_error(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.load().unwrap(), None);

    // The server refuses: same.
    let peer = Scripted::start(vec![Reply::json(503, json!({"error": "temporarily_unavailable"}))]).await;
    let client = Client::builder(&peer.base_url, CLIENT_ID).build().unwrap();
    let (manager, store) = manager_with(client, Some(&expired("rt"))).await;
    assert!(matches!(
        manager.clear().await.unwrap(),
        Revocation::Failed(Error::OAuth(_))
    ));
    assert_eq!(store.load().unwrap(), None);
}

#[tokio::test]
async fn unreadable_records_are_typed_errors_left_for_clear() {
    let store = Arc::new(MemoryCredentialStore::new());
    let manager = CredentialsManager::new(unreachable(None).await, store.clone());
    store.save(r#"{"version":2,"format":"from a newer library"}"#).unwrap();
    let e = manager.credentials(Duration::ZERO).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::CredentialStore {
                problem: CredentialStoreProblem::UnsupportedVersion(2)
            }
        ),
        "{e:?}"
    );
    assert!(store.load().unwrap().is_some(), "left in place for a newer version");
    assert!(matches!(manager.clear().await.unwrap(), Revocation::NothingToRevoke));
    assert_eq!(store.load().unwrap(), None);

    store.save("garbage").unwrap();
    assert!(matches!(
        manager.credentials(Duration::ZERO).await.unwrap_err(),
        Error::CredentialStore {
            problem: CredentialStoreProblem::Corrupt
        }
    ));
}

/// A store that fails every call (a locked Keychain, a full disk).
struct FailingStore;

impl CredentialStore for FailingStore {
    fn load(&self) -> Result<Option<String>, CredentialStoreError> {
        Err(CredentialStoreError::new("keychain locked"))
    }
    fn save(&self, _: &str) -> Result<(), CredentialStoreError> {
        Err(CredentialStoreError::new("disk full"))
    }
    fn clear(&self) -> Result<(), CredentialStoreError> {
        Err(CredentialStoreError::new("read-only"))
    }
}

#[tokio::test]
async fn store_failures_are_typed() {
    let manager = CredentialsManager::new(unreachable(None).await, Arc::new(FailingStore));
    let failed = |e: Error| match e {
        Error::CredentialStore {
            problem: CredentialStoreProblem::Failed(message),
        } => message,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        failed(manager.credentials(Duration::ZERO).await.unwrap_err()),
        "keychain locked"
    );
    assert_eq!(failed(manager.save(&expired("rt")).await.unwrap_err()), "disk full");
    assert_eq!(failed(manager.clear().await.unwrap_err()), "keychain locked");
}

/// A store that remembers every record it was given, to check what is written.
#[derive(Default)]
struct RecordingStore {
    saved: Mutex<Vec<String>>,
}

impl CredentialStore for RecordingStore {
    fn load(&self) -> Result<Option<String>, CredentialStoreError> {
        Ok(self.saved.lock().unwrap().last().cloned())
    }
    fn save(&self, record: &str) -> Result<(), CredentialStoreError> {
        self.saved.lock().unwrap().push(record.to_owned());
        Ok(())
    }
    fn clear(&self) -> Result<(), CredentialStoreError> {
        self.saved.lock().unwrap().clear();
        Ok(())
    }
}

#[tokio::test]
async fn the_record_is_versioned_and_never_printed() {
    let emu = emulator().await;
    let client = dpop_client(&emu);
    let tokens = exchange(&emu, &client, "apple|recorded").await;
    let store = Arc::new(RecordingStore::default());
    let manager = CredentialsManager::new(client.clone(), store.clone());
    manager.save(&tokens).await.unwrap();
    let record: serde_json::Value = serde_json::from_str(&store.saved.lock().unwrap()[0]).unwrap();
    assert_eq!(record["version"], 1);
    assert_eq!(record["access_token"], tokens.access_token.expose());
    assert_eq!(record["refresh_token"], tokens.refresh_token.as_ref().unwrap().expose());
    assert_eq!(record["dpop_jkt"], client.dpop().unwrap().thumbprint());
    assert_eq!(record["scope"], tokens.scope.as_deref().unwrap());
    assert!(record["expires_at"].as_u64().is_some());

    let debug = format!("{manager:?}");
    assert!(!debug.contains(tokens.access_token.expose()));
    let e = CredentialsManager::new(client, Arc::new(FailingStore))
        .save(&tokens)
        .await
        .unwrap_err();
    assert!(!format!("{e} {e:?}").contains(tokens.access_token.expose()));
}

#[tokio::test]
async fn a_file_store_keeps_the_user_signed_in_across_restarts() {
    let dir = temp_dir("restart");
    let path = dir.join("nested").join("credentials.json");
    let emu = emulator().await;
    let key = key();
    let tokens = {
        let client = builder(&emu).dpop(key.clone()).build().unwrap();
        let tokens = exchange(&emu, &client, "apple|file").await;
        CredentialsManager::new(client, Arc::new(FileCredentialStore::new(&path)))
            .save(&tokens)
            .await
            .unwrap();
        tokens
    };
    // A new process: a new client with the same (persisted) key, a new manager.
    let client = builder(&emu).dpop(key).build().unwrap();
    let manager = CredentialsManager::new(client, Arc::new(FileCredentialStore::new(&path)));
    assert_eq!(
        manager.credentials(Duration::ZERO).await.unwrap().access_token,
        tokens.access_token
    );
    assert_ne!(manager.renew().await.unwrap().access_token, tokens.access_token);
    let _ = std::fs::remove_dir_all(dir);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "token-exchange-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn the_file_store_is_private_atomic_and_never_follows_links() {
    use std::os::unix::fs::{PermissionsExt as _, symlink};

    let dir = temp_dir("file-store");
    let path = dir.join("sub").join("credentials.json");
    let store = FileCredentialStore::new(&path);
    assert_eq!(store.load().unwrap(), None);
    store.clear().unwrap();

    store.save("first record").unwrap();
    assert_eq!(store.load().unwrap().as_deref(), Some("first record"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    store.save("second record").unwrap();
    assert_eq!(store.load().unwrap().as_deref(), Some("second record"));
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["credentials.json"], "no temporary file is left behind");

    // A file someone made readable by others is replaced by a private one.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    store.save("third record").unwrap();
    assert_eq!(mode(&path), 0o600);

    // A symbolic link planted at the path: not read through, and replaced (not written
    // through) on save; the target is untouched.
    let target = dir.join("target.txt");
    std::fs::write(&target, "not yours").unwrap();
    std::fs::remove_file(&path).unwrap();
    symlink(&target, &path).unwrap();
    let e = store.load().unwrap_err();
    assert!(e.message().contains("symbolic link"), "{e:?}");
    store.save("fourth record").unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not yours");
    assert!(!std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
    assert_eq!(store.load().unwrap().as_deref(), Some("fourth record"));
    // clear removes a link, never its target.
    std::fs::remove_file(&path).unwrap();
    symlink(&target, &path).unwrap();
    store.clear().unwrap();
    assert!(std::fs::symlink_metadata(&path).is_err());
    assert!(target.exists());

    // Not a regular file; too large; not UTF-8.
    std::fs::create_dir(&path).unwrap();
    assert!(store.load().unwrap_err().message().contains("not a regular file"));
    std::fs::remove_dir(&path).unwrap();
    std::fs::write(&path, vec![b'x'; 1024 * 1024 + 1]).unwrap();
    assert!(store.load().unwrap_err().message().contains("larger than"));
    std::fs::write(&path, [0xff, 0xfe]).unwrap();
    assert!(store.load().unwrap_err().message().contains("UTF-8"));
    let _ = std::fs::remove_dir_all(dir);
}
