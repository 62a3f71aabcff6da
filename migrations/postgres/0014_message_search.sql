-- Full-text search over a user's messages (src/storage/message_search.rs; twin of
-- migrations/sqlite/0014_message_search.sql, an FTS5 table there): a generated tsvector with a GIN
-- index ('english': stemming, as SQLite's porter tokenizer does).
ALTER TABLE messages ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);
