//! The event step: one Kubernetes Event per reconcile outcome, a Warning when the run failed
//! or was held back, so `kubectl describe` tells the story of a resource.

use kube::Resource;
use kube::runtime::events::{Event, EventType, Recorder};
use sha2::{Digest, Sha256};

use super::outcome::Outcome;
use crate::crd::JiraAlignUserSync;

/// The Events API limit of a note.
const MAX_NOTE_BYTES: usize = 1024;

/// Publishes the Event of `outcome`; a failure is logged, never fatal to the reconcile.
pub async fn publish(recorder: &Recorder, resource: &JiraAlignUserSync, outcome: &Outcome) {
    let event = Event {
        type_: if outcome.warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: outcome.reason.to_owned(),
        note: Some(truncate(&outcome.message, MAX_NOTE_BYTES)),
        action: action_of(&outcome.message),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, &resource.object_ref(&())).await {
        tracing::warn!(%error, reason = outcome.reason, "failed to publish an event");
    }
}

/// The Event's action: `Sync` and a short hash of the message. The recorder folds Events
/// with the same reason and action into one series that keeps its first message, so only
/// runs that said the same thing may share one; a run with news gets an Event of its own.
fn action_of(message: &str) -> String {
    let digest = Sha256::digest(message.as_bytes());
    format!("Sync-{}", hex::encode(&digest[..4]))
}

/// `text` cut to at most `limit` bytes on a character boundary.
fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit - 3;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::{action_of, truncate};

    #[test]
    fn the_same_message_shares_an_action_and_another_does_not() {
        let steady = "created 0, deactivated 0; 6 unchanged";
        assert_eq!(action_of(steady), action_of(steady));
        assert_ne!(
            action_of(steady),
            action_of("created 1, deactivated 0; 6 unchanged")
        );
        assert_eq!(action_of(steady).len(), "Sync-".len() + 8);
    }

    #[test]
    fn long_notes_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghijkl", 10), "abcdefg...");
        assert_eq!(truncate("ééééé", 8), "éé...");
    }
}
