-- The DPoP private key the connection's tokens are bound to (RFC 9449),
-- sealed like the tokens; deleted with the row.
ALTER TABLE oauth2_tokens ADD COLUMN dpop_key TEXT;
