//! The tenant's mutable data behind one mutex: users, minted codes and tokens, refresh tokens,
//! brute-force counters, `private_key_jwt` `jti`s, and queued canned token responses.

use std::collections::{HashMap, VecDeque};

use super::brute_force::FailureCounters;
use super::native_social::{AppleCodeRecord, FacebookRecord};
use super::refresh_tokens::RefreshTokens;
use crate::config::UserConfig;
use crate::faults::CannedResponse;

/// Mutable tenant data.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) users: HashMap<String, UserConfig>,
    pub(crate) apple_codes: HashMap<String, AppleCodeRecord>,
    pub(crate) facebook_tokens: HashMap<String, FacebookRecord>,
    pub(crate) refresh_tokens: RefreshTokens,
    /// Consecutive failed exchanges per end-user IP.
    pub(crate) failures: FailureCounters,
    /// Canned responses for the next `/oauth/token` requests (FIFO).
    pub(crate) canned: VecDeque<CannedResponse>,
    /// `private_key_jwt` assertions seen: `"{client_id}\n{jti}"` -> `exp` (replay protection).
    pub(crate) assertion_jtis: HashMap<String, u64>,
}
