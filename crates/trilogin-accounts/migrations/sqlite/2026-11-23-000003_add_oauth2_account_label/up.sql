-- How the provider names the account (GitHub: @login, Google: e-mail), for display.
ALTER TABLE oauth2_tokens ADD COLUMN account_label TEXT;
