ALTER TABLE oauth2_tokens DROP COLUMN refresh_lease_holder;
ALTER TABLE sessions DROP COLUMN ttl_seconds;
DROP TABLE pending_logins;
