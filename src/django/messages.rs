//! `django.contrib.messages` kept in the session (`SessionStorage`).
//!
//! Django's `SessionStorage` keeps the pending messages under `_messages` as a JSON
//! *string* (JSON inside the session's JSON), written by `MessageEncoder` with Python's
//! default separators (`", "`), one list per message:
//! `["__json_message", is_safe, level, message]`, plus `extra_tags` when it is not
//! `None`. [`add_message`] writes that text byte for byte as Django does, so a message
//! added here is shown by Django's `{% for message in messages %}` and a message added
//! by Django is read by [`take_messages`].
//!
//! Only `MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"`
//! keeps messages in the session. Django's default, `FallbackStorage`, puts them in a
//! separate `messages` cookie first, which this module does not read.

use serde_json::Value;

use super::DjangoSession;
use crate::pyjson;

/// The session key `SessionStorage` keeps messages under: `_messages`.
pub const MESSAGES_KEY: &str = "_messages";

/// The marker `MessageEncoder` puts first in each encoded message.
const MESSAGE_MARKER: &str = "__json_message";

/// Django's message levels (`django.contrib.messages.constants`).
pub mod level {
    /// `messages.DEBUG`: 10.
    pub const DEBUG: i64 = 10;
    /// `messages.INFO`: 20.
    pub const INFO: i64 = 20;
    /// `messages.SUCCESS`: 25.
    pub const SUCCESS: i64 = 25;
    /// `messages.WARNING`: 30.
    pub const WARNING: i64 = 30;
    /// `messages.ERROR`: 40.
    pub const ERROR: i64 = 40;
}

/// One `django.contrib.messages` message; made with [`Message::new`], its fields can
/// be changed afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The level ([`level`]; apps may define their own).
    pub level: i64,
    /// The text.
    pub message: String,
    /// Extra CSS classes for the template (`extra_tags`). `messages.add_message`
    /// stores `""` when none are given; `None` is omitted from the encoding.
    pub extra_tags: Option<String>,
    /// Whether the text is HTML marked safe (`mark_safe`), which Django's templates
    /// show without escaping. Only set it for text you escaped yourself.
    pub safe: bool,
}

impl Message {
    /// A message as `messages.add_message(request, level, message)` makes it:
    /// `extra_tags` `""`, not marked safe.
    pub fn new(level: i64, message: impl Into<String>) -> Self {
        Self {
            level,
            message: message.into(),
            extra_tags: Some(String::new()),
            safe: false,
        }
    }

    /// Reads one entry of the list `MessageEncoder` writes; `None` for anything that
    /// `MessageDecoder` would not turn into a `Message` of a string and an integer
    /// level.
    fn from_json(item: &Value) -> Option<Self> {
        let Value::Array(parts) = item else {
            return None;
        };
        let (marker, safe, level, message, extra) = match parts.as_slice() {
            [m, s, l, t] => (m, s, l, t, None),
            [m, s, l, t, e] => (m, s, l, t, Some(e)),
            _ => return None,
        };
        if marker.as_str() != Some(MESSAGE_MARKER) {
            return None;
        }
        let extra_tags = match extra {
            None | Some(Value::Null) => None,
            Some(Value::String(tags)) => Some(tags.clone()),
            Some(_) => return None,
        };
        Some(Self {
            level: level.as_i64()?,
            message: message.as_str()?.to_string(),
            extra_tags,
            // Python's truthiness of the flag, which Django writes as 0 or 1.
            safe: match safe {
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                _ => return None,
            },
        })
    }

    /// Appends the message as `MessageEncoder` writes it.
    fn write(&self, out: &mut String) {
        out.push('[');
        pyjson::write_str(out, MESSAGE_MARKER);
        out.push_str(if self.safe { ", 1, " } else { ", 0, " });
        out.push_str(&self.level.to_string());
        out.push_str(", ");
        pyjson::write_str(out, &self.message);
        if let Some(tags) = &self.extra_tags {
            out.push_str(", ");
            pyjson::write_str(out, tags);
        }
        out.push(']');
    }
}

/// The messages waiting in `session`, oldest first, without removing them. Entries
/// that are not Django messages, and a `_messages` value that is not Django's
/// encoding, give nothing.
pub fn messages(session: &DjangoSession) -> Vec<Message> {
    let Some(Value::String(text)) = session.get(MESSAGES_KEY) else {
        return Vec::new();
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items.iter().filter_map(Message::from_json).collect(),
        _ => Vec::new(),
    }
}

/// Removes and returns the messages waiting in `session`, as iterating over
/// `get_messages(request)` in Django does (they are then gone from the session).
pub fn take_messages(session: &mut DjangoSession) -> Vec<Message> {
    let taken = messages(session);
    session.remove(MESSAGES_KEY);
    taken
}

/// Adds a message after the ones already waiting, as `messages.add_message` does, and
/// writes `_messages` as Django's `SessionStorage` writes it. Entries already there
/// that are not Django messages are dropped.
pub fn add_message(session: &mut DjangoSession, message: Message) {
    let mut all = messages(session);
    all.push(message);
    let mut text = String::from("[");
    for (i, m) in all.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        m.write(&mut text);
    }
    text.push(']');
    session.insert(MESSAGES_KEY.to_string(), Value::String(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_message_encoder_writes_it() {
        let mut session = DjangoSession::new();
        add_message(&mut session, Message::new(level::SUCCESS, "Saved \"é\""));
        add_message(
            &mut session,
            Message {
                level: 40,
                message: "<b>x</b>".into(),
                extra_tags: None,
                safe: true,
            },
        );
        assert_eq!(
            session[MESSAGES_KEY],
            Value::from(
                r#"[["__json_message", 0, 25, "Saved \"\u00e9\"", ""], ["__json_message", 1, 40, "<b>x</b>"]]"#
            )
        );
        let taken = take_messages(&mut session);
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[0].message, "Saved \"é\"");
        assert!(taken[1].safe && taken[1].extra_tags.is_none());
        assert!(session.is_empty());
    }

    #[test]
    fn foreign_entries_are_skipped() {
        let mut session = DjangoSession::new();
        session.insert(
            MESSAGES_KEY.into(),
            Value::from(
                r#"[["__json_message", 0, 20, "ok"], ["other", 0, 20, "x"], ["__json_message", 0, "20", "x"], 5, ["__json_message", 0, 20, "x", "", 1]]"#,
            ),
        );
        assert_eq!(
            messages(&session),
            [Message {
                extra_tags: None,
                ..Message::new(20, "ok")
            }]
        );
        session.insert(MESSAGES_KEY.into(), Value::from("not json"));
        assert!(messages(&session).is_empty());
        session.insert(MESSAGES_KEY.into(), Value::from(3));
        assert!(messages(&session).is_empty());
    }
}
