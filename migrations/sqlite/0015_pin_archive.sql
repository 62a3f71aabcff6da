-- Pinned conversations sit above the others in the sidebar; archived ones leave it (they are
-- still searched, and listed under "Archived"). Twin of migrations/postgres/0015_pin_archive.sql.
ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));
ALTER TABLE conversations ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
-- The sidebar's three lists: pinned, the rest (paged by (updated_at, id)), archived.
CREATE INDEX conversations_user_lists ON conversations (user_id, archived, pinned, updated_at DESC, id DESC);
