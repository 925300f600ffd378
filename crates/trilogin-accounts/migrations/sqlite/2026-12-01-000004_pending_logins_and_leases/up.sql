-- Pending logins, one row per state (or OAuth 1 request token), so that
-- logins started at the same moment in one browser never overwrite each
-- other, as they did when all of them lived in the one session row.
-- `handle` is the SHA-256 of the state, `binding` the SHA-256 of a random
-- value kept in the browser's session: only that browser can finish the
-- login. `value` (PKCE verifier, nonce, request-token secret) is sealed.
CREATE TABLE pending_logins (
    id INTEGER PRIMARY KEY NOT NULL,
    client TEXT NOT NULL,
    handle TEXT NOT NULL,
    binding TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    UNIQUE (client, handle)
);
CREATE INDEX pending_logins_binding ON pending_logins (binding, client);
CREATE INDEX pending_logins_expires_at ON pending_logins (expires_at);

-- How long a session lives unused: a person's sessions for weeks, one
-- that holds only pending logins no longer than they do.
ALTER TABLE sessions ADD COLUMN ttl_seconds INTEGER NOT NULL DEFAULT 1209600;

-- Which process holds the refresh lease: a process never waits for a
-- lease of its own (its in-process single flight already serialises).
ALTER TABLE oauth2_tokens ADD COLUMN refresh_lease_holder TEXT;
