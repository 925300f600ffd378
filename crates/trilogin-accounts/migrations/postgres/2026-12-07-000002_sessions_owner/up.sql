-- The account a session is logged in to, so that deleting or merging an
-- account ends its sessions in every browser. NULL: nobody logged in. No
-- foreign key: a session written a moment after its account was deleted
-- must not fail the request; the deletion's own DELETE removes it.
ALTER TABLE sessions ADD COLUMN user_id INTEGER;
CREATE INDEX sessions_user_id ON sessions (user_id);
