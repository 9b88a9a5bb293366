// Runs one Auth0 Action for the token-exchange emulator (embedded in the binary, started as
// `node -e <this file>`). Reads one JSON document on stdin:
//   {"trigger": "custom-token-exchange" | "credentials-exchange",
//    "handler": "onExecuteCustomTokenExchange" | "onExecuteCredentialsExchange",
//    "file": "/abs/path/action.js"  or  "code": "...", "filename": "name.js",
//    "event": {...}, "cache": {"key": {"value": "...", "expires_at": ms}}, "now_ms": ms,
//    "target_scopes": [...], "default_ttl_ms": ms, "max_ttl_ms": ms}
// and prints one line `\u001eRESULT {"ok": true, "ops": [...]}` (the recorded api calls, in
// order) or `{"ok": false, "error": "threw" | "no_handler" | "bad_input", "name": "TypeError"}`.
// Everything the Action prints goes to stderr so that stdout carries only the result.
'use strict';

const path = require('path');
const util = require('util');
const Module = require('module');

const MARK = '\u001eRESULT ';
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[method] = (...args) => process.stderr.write(util.format(...args) + '\n');
}

let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  process.stdout.write(MARK + JSON.stringify(result) + '\n', () => process.exit(0));
}

function buildApi(req, ops) {
  const cache = new Map(Object.entries(req.cache || {}));
  const now = req.now_ms;
  const record = (op) => ops.push(op);
  const str = (v) => (v === undefined || v === null ? '' : String(v));

  const cacheApi = {
    get(key) {
      const r = cache.get(String(key));
      return r && r.expires_at > now ? { value: r.value, expires_at: r.expires_at } : undefined;
    },
    set(key, value, options) {
      key = String(key);
      if (typeof value !== 'string') return { type: 'error', code: 'INVALID_VALUE' };
      const opts = options || {};
      const ttl = opts.ttl === undefined ? undefined : Number(opts.ttl);
      const at = opts.expires_at === undefined ? undefined : Number(opts.expires_at);
      if (key.length === 0 || Buffer.byteLength(key) > 256) return { type: 'error', code: 'INVALID_KEY' };
      if (Buffer.byteLength(value) > 4096) return { type: 'error', code: 'VALUE_TOO_LARGE' };
      let expires;
      if (ttl !== undefined) {
        if (!(ttl > 0)) return { type: 'error', code: 'INVALID_TTL' };
        expires = now + Math.floor(ttl);
      } else if (at !== undefined) {
        if (!(at > now)) return { type: 'error', code: 'INVALID_EXPIRES_AT' };
        expires = Math.floor(at);
      } else {
        expires = now + req.default_ttl_ms;
      }
      expires = Math.min(expires, now + req.max_ttl_ms);
      const rec = { value, expires_at: expires };
      cache.set(key, rec);
      const op = { op: 'cache.set', key, value };
      if (ttl !== undefined) op.ttl = Math.floor(ttl);
      else if (at !== undefined) op.expires_at = Math.floor(at);
      record(op);
      return { type: 'success', record: rec };
    },
    delete(key) {
      key = String(key);
      const r = cache.get(key);
      cache.delete(key);
      record({ op: 'cache.delete', key });
      return { type: 'success', record: r && r.expires_at > now ? r : undefined };
    },
  };

  const access = {
    deny(code, reason) {
      record({ op: 'access.deny', code: str(code), reason: str(reason) });
      return api;
    },
  };
  const api = { access, cache: cacheApi };

  if (req.trigger === 'custom-token-exchange') {
    access.rejectInvalidSubjectToken = (reason) => {
      record({ op: 'access.rejectInvalidSubjectToken', reason: str(reason) });
      return api;
    };
    api.authentication = {
      setUserById(userId) {
        record({ op: 'authentication.setUserById', user_id: str(userId) });
        return api;
      },
      setActor(actor) {
        record({ op: 'authentication.setActor', actor: actor === undefined ? null : actor });
        return api;
      },
      setUserByConnection(connection, attributes, options) {
        record({
          op: 'authentication.setUserByConnection',
          connection: str(connection),
          attributes: attributes === undefined ? null : attributes,
          options: options === undefined ? null : options,
        });
        return api;
      },
    };
  } else {
    const scopes = [...(req.target_scopes || [])];
    api.accessToken = {
      setCustomClaim(key, value) {
        record({ op: 'accessToken.setCustomClaim', key: str(key), value: value === undefined ? null : value });
        return api;
      },
    };
    api.transaction = {
      addTargetScope(scope) {
        scope = str(scope);
        if (scope && !scopes.includes(scope)) scopes.push(scope);
        record({ op: 'transaction.addTargetScope', scope });
        return api;
      },
      removeTargetScope(scope) {
        scope = str(scope);
        const i = scopes.indexOf(scope);
        if (i >= 0) scopes.splice(i, 1);
        record({ op: 'transaction.removeTargetScope', scope });
        return api;
      },
      setTargetScopes(list) {
        const next = Array.isArray(list) ? list.map(str) : [];
        scopes.splice(0, scopes.length, ...next.filter((s, i) => s && next.indexOf(s) === i));
        record({ op: 'transaction.setTargetScopes', scopes: next });
        return api;
      },
      get targetScopes() {
        return [...scopes];
      },
    };
  }
  return api;
}

function loadAction(req) {
  if (req.file) return require(path.resolve(req.file));
  const filename = path.resolve(req.filename || 'action.js');
  const m = new Module(filename, null);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(path.dirname(filename));
  m._compile(req.code, filename);
  return m.exports;
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
});
process.stdin.on('end', async () => {
  let req;
  try {
    req = JSON.parse(input);
  } catch (e) {
    return finish({ ok: false, error: 'bad_input' });
  }
  const ops = [];
  try {
    const exported = loadAction(req);
    const handler = exported && exported[req.handler];
    if (typeof handler !== 'function') return finish({ ok: false, error: 'no_handler' });
    await handler(req.event, buildApi(req, ops));
    finish({ ok: true, ops });
  } catch (e) {
    finish({ ok: false, error: 'threw', name: e && e.constructor ? String(e.constructor.name) : typeof e });
  }
});
