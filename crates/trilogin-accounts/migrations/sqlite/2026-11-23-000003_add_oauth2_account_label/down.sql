ALTER TABLE oauth2_tokens DROP COLUMN account_label;
