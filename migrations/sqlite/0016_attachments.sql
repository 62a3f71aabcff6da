-- Files attached to messages: the original bytes (served back as a download), the text extracted
-- from them (NULL for images) and the start of that text for the chip's preview. An upload belongs
-- to its user until a message is sent with it; then it also belongs to that conversation (and
-- goes when the conversation goes). Uploads never sent are removed after a day.
-- Twin of migrations/postgres/0016_attachments.sql.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    content         BLOB NOT NULL,
    text            TEXT,
    preview         TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX attachments_unsent ON attachments (user_id, created_at) WHERE conversation_id IS NULL;
CREATE INDEX attachments_conversation ON attachments (conversation_id);

-- Which files a user message carries, in the order they were attached. An edited question
-- carries its original's files, so one file may belong to several messages.
CREATE TABLE message_attachments (
    message_id    TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    PRIMARY KEY (message_id, attachment_id)
);
CREATE INDEX message_attachments_attachment ON message_attachments (attachment_id);
