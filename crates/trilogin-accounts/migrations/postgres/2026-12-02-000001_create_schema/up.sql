-- The schema on PostgreSQL, equivalent to the SQLite migrations taken
-- together: the same tables, columns, types, unique keys, foreign keys with
-- cascade and indexes. Timestamps are UTC without a time zone, as on SQLite.
-- Secret columns hold sealed text (see src/crypto.rs), never a plaintext token.

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    display_name TEXT NOT NULL,
    email TEXT,
    avatar_url TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

-- OAuth 1.0a token credentials (Twitter).
CREATE TABLE oauth1_tokens (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    screen_name TEXT,
    oauth_token TEXT NOT NULL,
    oauth_token_secret TEXT NOT NULL,
    needs_reconnect BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    -- One person at one provider is one row: logging in again finds it.
    UNIQUE (name, provider_user_id),
    -- A user holds at most one connection per provider.
    UNIQUE (user_id, name)
);
CREATE INDEX oauth1_tokens_user_id ON oauth1_tokens (user_id);

-- OAuth 2.0 / OpenID Connect tokens (GitHub, Google).
CREATE TABLE oauth2_tokens (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    token_type TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    expires_at TIMESTAMP,
    scope TEXT,
    id_token TEXT,
    needs_reconnect BOOLEAN NOT NULL DEFAULT FALSE,
    refreshed_at TIMESTAMP,
    -- Held by the process that is refreshing this token, so that app
    -- processes sharing the database refresh it once.
    refresh_lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    -- How the provider names the account (GitHub: @login, Google: e-mail).
    account_label TEXT,
    -- Which process holds the refresh lease.
    refresh_lease_holder TEXT,
    UNIQUE (name, provider_user_id),
    UNIQUE (user_id, name)
);
CREATE INDEX oauth2_tokens_user_id ON oauth2_tokens (user_id);

-- Server-side session state, keyed by the SHA-256 of the session key.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    -- How long a session lives unused.
    ttl_seconds INTEGER NOT NULL DEFAULT 1209600
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Pending logins, one row per state (or OAuth 1 request token).
CREATE TABLE pending_logins (
    id SERIAL PRIMARY KEY,
    client TEXT NOT NULL,
    handle TEXT NOT NULL,
    binding TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    UNIQUE (client, handle)
);
CREATE INDEX pending_logins_binding ON pending_logins (binding, client);
CREATE INDEX pending_logins_expires_at ON pending_logins (expires_at);
