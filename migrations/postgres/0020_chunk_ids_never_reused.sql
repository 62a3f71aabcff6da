-- SQLite's migration of the same name makes chunk ids never reused (AUTOINCREMENT). Here the
-- identity column already never reuses them; this records why the indexes rely on it.
COMMENT ON COLUMN chunks.id IS
    'Never reused: the vector and keyword indexes compare a fingerprint of chunk ids (count, max, sum) with the database''s.';
