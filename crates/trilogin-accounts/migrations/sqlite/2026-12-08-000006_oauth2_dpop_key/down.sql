ALTER TABLE oauth2_tokens DROP COLUMN dpop_key;
