-- Full-text search over a user's messages (src/storage/message_search.rs; twin of
-- migrations/postgres/0014_message_search.sql, a tsvector column there). FTS5 needs integer row
-- ids that VACUUM keeps: `message_search` gives each message one (an INTEGER PRIMARY KEY), and the
-- index reads the text through a view, so it is stored once, in `messages`.
CREATE TABLE message_search (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE
);
CREATE VIEW message_search_content AS
    SELECT s.id AS id, m.content AS content FROM message_search s JOIN messages m ON m.id = s.message_id;
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content,
    content = 'message_search_content', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (message_id) VALUES (new.id);
    INSERT INTO messages_fts (rowid, content) SELECT id, new.content FROM message_search WHERE message_id = new.id;
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        SELECT 'delete', id, old.content FROM message_search WHERE message_id = old.id;
    INSERT INTO messages_fts (rowid, content) SELECT id, new.content FROM message_search WHERE message_id = new.id;
END;
-- Before: the row of `message_search` goes with the message (ON DELETE CASCADE).
CREATE TRIGGER messages_search_delete BEFORE DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        SELECT 'delete', id, old.content FROM message_search WHERE message_id = old.id;
END;

-- The messages written so far.
INSERT INTO message_search (message_id) SELECT id FROM messages ORDER BY created_at, id;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
