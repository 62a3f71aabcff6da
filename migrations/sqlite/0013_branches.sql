-- Branches (src/chat/branches.rs; twin of migrations/postgres/0013_branches.sql): a conversation is
-- a tree of messages. Editing a message adds a sibling under the same parent, regenerating a reply
-- adds a sibling reply; the conversation remembers the last message of the branch on show.

-- NULL: a first message (editing it adds another root).
ALTER TABLE messages ADD COLUMN parent_id TEXT REFERENCES messages (id) ON DELETE CASCADE;
-- The last message of the branch shown (NULL, or a message since gone: the newest one).
ALTER TABLE conversations ADD COLUMN current_leaf_id TEXT;

-- Conversations so far are a single line: each message's parent is the one before it.
UPDATE messages SET parent_id = (
    SELECT p.id FROM messages p
    WHERE p.conversation_id = messages.conversation_id
      AND (p.created_at < messages.created_at OR (p.created_at = messages.created_at AND p.id < messages.id))
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT 1
);
UPDATE conversations SET current_leaf_id = (
    SELECT m.id FROM messages m WHERE m.conversation_id = conversations.id
    ORDER BY m.created_at DESC, m.id DESC
    LIMIT 1
);
CREATE INDEX messages_parent ON messages (parent_id);
