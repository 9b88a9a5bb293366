/**
 * Auth0 Action (trigger: custom-token-exchange) for native Google sign-in.
 *
 * The app signs in with Google (Credential Manager on Android, Google Sign-In on iOS), gets a
 * Google ID token and exchanges it at Auth0's /oauth/token with the subject_token_type of the
 * token exchange profile bound to this Action. This Action verifies the token and signs the
 * user in to the `google-oauth2` connection as `google-oauth2|<sub>`.
 *
 * Checks: RS256 signature against the issuer's JWKS (Node's built-in crypto, no npm
 * packages), `iss`, `aud` (your Google OAuth client ids), `azp` when present (one of them too),
 * `exp` and `iat` (both required; 60 s leeway), `sub`. The JWKS is cached for an hour; a token
 * whose `kid` is not in it (Google rotated its keys) makes the Action download the JWKS again,
 * at most once a minute, so a flood of forged `kid`s cannot make it hammer Google.
 * An invalid token is rejected with api.access.rejectInvalidSubjectToken, so that Auth0's
 * brute-force protection counts it.
 *
 * Secrets (event.secrets):
 *   GOOGLE_CLIENT_IDS  comma-separated OAuth client ids the token's `aud` must be one of
 *   GOOGLE_JWKS_URI    default https://www.googleapis.com/oauth2/v3/certs
 *                      (the emulator: {base_url}/emulator/google/jwks.json)
 *   GOOGLE_ISSUERS     default "https://accounts.google.com,accounts.google.com"
 *
 * Runs unchanged on Auth0 (Node 18+) and in the token-exchange emulator.
 */
const crypto = require('crypto');

const LEEWAY_SECONDS = 60;
const JWKS_CACHE_KEY = 'google-jwks';
/** Present (for a minute) after every JWKS download: no refetch for an unknown kid meanwhile. */
const JWKS_FETCHED_KEY = 'google-jwks-fetched';
const REFETCH_INTERVAL_MS = 60 * 1000;

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

async function fetchJwks(uri) {
  const response = await fetch(uri, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`JWKS request failed with HTTP ${response.status}`);
  return response.text();
}

/** The JWKS, from the Action cache when fresh; `refresh` forces a download (key rotation). */
async function loadJwks(api, uri, refresh) {
  const cached = refresh ? undefined : api.cache.get(JWKS_CACHE_KEY);
  if (cached) return JSON.parse(cached.value);
  const text = await fetchJwks(uri);
  api.cache.set(JWKS_CACHE_KEY, text, { ttl: 60 * 60 * 1000 });
  api.cache.set(JWKS_FETCHED_KEY, '1', { ttl: REFETCH_INTERVAL_MS });
  return JSON.parse(text);
}

/** Verifies the token and returns its claims, or a string saying what is wrong. */
async function verify(token, event, api) {
  const secrets = event.secrets || {};
  const clientIds = (secrets.GOOGLE_CLIENT_IDS || '').split(',').map((s) => s.trim()).filter(Boolean);
  const issuers = (secrets.GOOGLE_ISSUERS || 'https://accounts.google.com,accounts.google.com')
    .split(',')
    .map((s) => s.trim());
  const jwksUri = secrets.GOOGLE_JWKS_URI || 'https://www.googleapis.com/oauth2/v3/certs';
  if (clientIds.length === 0) throw new Error('the GOOGLE_CLIENT_IDS secret is not set');

  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) return 'not a JWT';
  let header;
  let claims;
  try {
    header = decodeSegment(parts[0]);
    claims = decodeSegment(parts[1]);
  } catch (e) {
    return 'malformed JWT';
  }
  if (header.alg !== 'RS256' || typeof header.kid !== 'string') return 'unexpected JWT header';

  let jwks = await loadJwks(api, jwksUri, false);
  let jwk = (jwks.keys || []).find((k) => k.kid === header.kid);
  if (!jwk && !api.cache.get(JWKS_FETCHED_KEY)) {
    jwks = await loadJwks(api, jwksUri, true);
    jwk = (jwks.keys || []).find((k) => k.kid === header.kid);
  }
  if (!jwk || jwk.kty !== 'RSA') return 'unknown signing key';
  const key = crypto.createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!crypto.verify('RSA-SHA256', signed, key, Buffer.from(parts[2], 'base64url'))) return 'bad signature';

  const now = Math.floor(Date.now() / 1000);
  if (!issuers.includes(claims.iss)) return 'unexpected issuer';
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((a) => clientIds.includes(a))) return 'unexpected audience';
  if (claims.azp !== undefined && !clientIds.includes(claims.azp)) return 'unexpected authorized party';
  if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_SECONDS <= now) return 'expired';
  if (typeof claims.iat !== 'number') return 'no iat';
  if (claims.iat - LEEWAY_SECONDS > now) return 'issued in the future';
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) return 'no subject';
  return claims;
}

exports.onExecuteCustomTokenExchange = async (event, api) => {
  const result = await verify(event.transaction.subject_token, event, api);
  if (typeof result === 'string') {
    api.access.rejectInvalidSubjectToken(`Invalid Google ID token: ${result}`);
    return;
  }
  const attributes = { user_id: result.sub };
  for (const name of ['email', 'email_verified', 'name', 'given_name', 'family_name', 'picture']) {
    if (result[name] !== undefined) attributes[name] = result[name];
  }
  api.authentication.setUserByConnection('google-oauth2', attributes, {
    creationBehavior: 'create_if_not_exists',
    updateBehavior: 'replace',
  });
};
