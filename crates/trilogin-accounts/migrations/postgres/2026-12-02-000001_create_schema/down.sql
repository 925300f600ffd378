DROP TABLE pending_logins;
DROP TABLE sessions;
DROP TABLE oauth2_tokens;
DROP TABLE oauth1_tokens;
DROP TABLE users;
