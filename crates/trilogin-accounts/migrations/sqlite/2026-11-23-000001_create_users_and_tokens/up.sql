-- People who have logged in, and the provider tokens each one holds.
-- Timestamps are UTC. Secret columns hold `v1:` sealed text (see src/crypto.rs),
-- never a plaintext token.

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    avatar_url TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- OAuth 1.0a token credentials (Twitter).
CREATE TABLE oauth1_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    screen_name TEXT,
    oauth_token TEXT NOT NULL,
    oauth_token_secret TEXT NOT NULL,
    needs_reconnect BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- One person at one provider is one row: logging in again finds it.
    UNIQUE (name, provider_user_id),
    -- A user holds at most one connection per provider.
    UNIQUE (user_id, name)
);
CREATE INDEX oauth1_tokens_user_id ON oauth1_tokens (user_id);

-- OAuth 2.0 / OpenID Connect tokens (GitHub, Google).
CREATE TABLE oauth2_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    token_type TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    expires_at TIMESTAMP,
    scope TEXT,
    id_token TEXT,
    needs_reconnect BOOLEAN NOT NULL DEFAULT 0,
    refreshed_at TIMESTAMP,
    -- Held by the process that is refreshing this token, so that app
    -- processes sharing the database refresh it once.
    refresh_lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (name, provider_user_id),
    UNIQUE (user_id, name)
);
CREATE INDEX oauth2_tokens_user_id ON oauth2_tokens (user_id);
