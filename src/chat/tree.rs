//! A conversation as a tree of messages: each names the one it follows (`parent_id`), and messages
//! with the same parent are siblings (an edited question, a regenerated reply). One path from a
//! first message down to a leaf is shown at a time; the model sees that path and nothing else.

use std::collections::HashMap;

use crate::storage::{AttachmentRow, MessageRow};

/// A message on the path shown, with the ids of its siblings (itself included, oldest first),
/// for the ‹ 2/3 › switcher, and the files it carries.
#[derive(Debug, Clone)]
pub struct ThreadMessage {
    pub row: MessageRow,
    pub siblings: Vec<String>,
    pub attachments: Vec<AttachmentRow>,
}

impl ThreadMessage {
    /// Where it is among its siblings, from 0.
    pub fn position(&self) -> usize {
        self.siblings.iter().position(|s| *s == self.row.id).unwrap_or(0)
    }
}

/// The messages of one conversation, oldest first, with their parent links indexed.
pub(super) struct Tree {
    rows: Vec<MessageRow>,
    index: HashMap<String, usize>,
    /// Children of each message (None: the first messages), oldest first, as indexes into `rows`.
    children: HashMap<Option<String>, Vec<usize>>,
    /// The files each message carries, in order.
    attachments: HashMap<String, Vec<AttachmentRow>>,
}

impl Tree {
    /// `rows`: all of a conversation's messages, oldest first.
    pub(super) fn new(rows: Vec<MessageRow>) -> Self {
        let index = rows.iter().enumerate().map(|(i, m)| (m.id.clone(), i)).collect::<HashMap<_, _>>();
        let mut children: HashMap<Option<String>, Vec<usize>> = HashMap::new();
        for (i, m) in rows.iter().enumerate() {
            // A parent that is gone (it cannot be: deleting one deletes its children) reads as none.
            let parent = m.parent_id.clone().filter(|p| index.contains_key(p));
            children.entry(parent).or_default().push(i);
        }
        Self { rows, index, children, attachments: HashMap::new() }
    }

    /// Adds the messages' files: `(message id, attachment)`, each message's in order.
    pub(super) fn set_attachments(&mut self, linked: Vec<(String, AttachmentRow)>) {
        for (message, row) in linked {
            self.attachments.entry(message).or_default().push(row);
        }
    }

    /// The files a message carries, in order.
    pub(super) fn attachments(&self, id: &str) -> &[AttachmentRow] {
        self.attachments.get(id).map_or(&[], Vec::as_slice)
    }

    pub(super) fn get(&self, id: &str) -> Option<&MessageRow> {
        self.index.get(id).map(|&i| &self.rows[i])
    }

    pub(super) fn rows_mut(&mut self) -> impl Iterator<Item = &mut MessageRow> {
        self.rows.iter_mut()
    }

    /// The messages, oldest first.
    pub(super) fn into_rows(self) -> Vec<MessageRow> {
        self.rows
    }

    /// The last message of the path shown: `current` if it is one of these messages, else the
    /// newest message. None: no messages.
    pub(super) fn shown_leaf(&self, current: Option<&str>) -> Option<&str> {
        current
            .and_then(|c| self.index.get(c))
            .map(|&i| self.rows[i].id.as_str())
            .or_else(|| self.rows.last().map(|m| m.id.as_str()))
    }

    /// The newest message at or under `id`: the end of the branch last added to below it (a leaf,
    /// as a message is always newer than the one it follows).
    pub(super) fn newest_under(&self, id: &str) -> Option<&str> {
        let start = *self.index.get(id)?;
        let (mut newest, mut stack, mut seen) = (start, vec![start], 0);
        while let Some(i) = stack.pop() {
            // As in `path_to`: a loop in the links ends the walk.
            seen += 1;
            if seen > self.rows.len() {
                break;
            }
            newest = newest.max(i);
            if let Some(kids) = self.children.get(&Some(self.rows[i].id.clone())) {
                stack.extend(kids);
            }
        }
        Some(&self.rows[newest].id)
    }

    /// Ids of the messages that follow `parent` (None: the first messages), oldest first.
    pub(super) fn children(&self, parent: Option<&str>) -> Vec<String> {
        self.children
            .get(&parent.map(str::to_string))
            .map(|kids| kids.iter().map(|&i| self.rows[i].id.clone()).collect())
            .unwrap_or_default()
    }

    /// The messages from a first message down to `id`, oldest first (empty: `id` is unknown).
    pub(super) fn path_to(&self, id: &str) -> Vec<&MessageRow> {
        let mut path = Vec::new();
        let mut next = self.index.get(id).copied();
        while let Some(i) = next {
            // A loop in the links (impossible through the engine) ends the walk instead of hanging.
            if path.len() > self.rows.len() {
                break;
            }
            path.push(&self.rows[i]);
            next = self.rows[i].parent_id.as_ref().and_then(|p| self.index.get(p)).copied();
        }
        path.reverse();
        path
    }

    /// The path to `leaf` with each message's siblings.
    pub(super) fn thread(&self, leaf: Option<&str>) -> Vec<ThreadMessage> {
        let Some(leaf) = leaf else { return Vec::new() };
        self.path_to(leaf)
            .into_iter()
            .map(|m| ThreadMessage {
                siblings: self.children(m.parent_id.as_deref().filter(|p| self.index.contains_key(*p))),
                attachments: self.attachments(&m.id).to_vec(),
                row: m.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, parent: Option<&str>) -> MessageRow {
        MessageRow {
            id: id.into(),
            conversation_id: "c".into(),
            parent_id: parent.map(Into::into),
            role: "user".into(),
            content: id.into(),
            status: "complete".into(),
            model: None,
            prompt_tokens: None,
            completion_tokens: None,
            error: None,
            sources: None,
            dropped_params: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// q1 → a1 → q2 → a2, with q2 edited (q2b → a2b) and a1 regenerated (a1b), oldest first.
    fn tree() -> Tree {
        Tree::new(vec![
            msg("q1", None),
            msg("a1", Some("q1")),
            msg("q2", Some("a1")),
            msg("a2", Some("q2")),
            msg("q2b", Some("a1")),
            msg("a2b", Some("q2b")),
            msg("a1b", Some("q1")),
        ])
    }

    fn ids(thread: &[ThreadMessage]) -> Vec<&str> {
        thread.iter().map(|m| m.row.id.as_str()).collect()
    }

    #[test]
    fn the_path_shown_ends_at_the_current_leaf_and_lists_each_messages_siblings() {
        let t = tree();
        let thread = t.thread(t.shown_leaf(Some("a2")));
        assert_eq!(ids(&thread), ["q1", "a1", "q2", "a2"]);
        assert_eq!(thread[1].siblings, ["a1", "a1b"]);
        assert_eq!((thread[2].siblings.clone(), thread[2].position()), (vec!["q2".into(), "q2b".into()], 0));
        assert_eq!(thread[0].siblings, ["q1"], "a first message is its own only sibling");

        let thread = t.thread(t.shown_leaf(Some("a2b")));
        assert_eq!(ids(&thread), ["q1", "a1", "q2b", "a2b"]);
        assert_eq!(thread[2].position(), 1);
    }

    #[test]
    fn without_a_known_current_leaf_the_newest_message_ends_the_path() {
        let t = tree();
        assert_eq!(t.shown_leaf(None), Some("a1b"));
        assert_eq!(t.shown_leaf(Some("deleted")), Some("a1b"));
        assert_eq!(ids(&t.thread(t.shown_leaf(None))), ["q1", "a1b"]);
        assert!(Tree::new(Vec::new()).thread(None).is_empty());
    }

    #[test]
    fn switching_to_a_sibling_shows_the_branch_last_added_to_below_it() {
        let t = tree();
        assert_eq!(t.newest_under("a1"), Some("a2b"));
        assert_eq!(t.newest_under("q2"), Some("a2"));
        assert_eq!(t.newest_under("a1b"), Some("a1b"));
        assert_eq!(t.newest_under("nope"), None);
    }

    #[test]
    fn a_loop_in_the_links_ends_the_walk() {
        let t = Tree::new(vec![msg("x", Some("y")), msg("y", Some("x"))]);
        assert!(t.path_to("x").len() <= 3);
        assert!(t.newest_under("x").is_some());
    }
}
