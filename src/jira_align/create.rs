//! Creating a user without ever creating it twice. Whatever the create answers (the object,
//! a bare id, an empty body) the new id is found, reading back by email or externalId when
//! needed; and after an attempt that may have been applied (timeout, reset, 5xx) the user is
//! looked up before the create is sent again.

use tracing::info;

use super::error::JiraAlignError;
use super::odata::string_literal;
use super::operation::Operation;
use super::retry::Attempt;
use super::transport::{Answer, Request};
use super::wire::{created_id, id_from_location};
use super::{Client, NewUser};
use crate::snapshot::JiraUser;

/// How a create ended.
enum Created {
    Answered(Answer),
    /// Found by a look-up after an attempt whose outcome was unknown.
    FoundAfterUnknownOutcome(u64),
}

impl Client {
    /// Creates `user` and returns its id.
    ///
    /// Retries like every request, with one difference: once an attempt may have been
    /// applied without its answer arriving, each later attempt first looks the user up (by
    /// email, then externalId, ignoring case) and stops there if it exists.
    pub async fn create_user(&self, user: &NewUser) -> Result<u64, JiraAlignError> {
        let body = serde_json::to_vec(user).map_err(|e| JiraAlignError::InvalidConfig {
            field: "new user",
            detail: format!("cannot be written as JSON ({e})"),
        })?;
        let request = Request {
            op: Operation::CreateUser,
            user_id: None,
            path: "Users",
            query: None,
            body: Some(&body),
        };

        let created = self
            .retrier()
            .run(Operation::CreateUser, None, |info| {
                let request = &request;
                async move {
                    if info.earlier_maybe_applied {
                        match self.find_created(user).await {
                            Ok(Some(id)) => {
                                return Attempt::Done(Created::FoundAfterUnknownOutcome(id));
                            }
                            Ok(None) => {}
                            Err(error) => return Attempt::Fail(error),
                        }
                    }
                    let attempt = self.transport.attempt(request).await;
                    // A duplicate refusal after an unknown outcome may be our own earlier
                    // attempt becoming visible late.
                    if info.earlier_maybe_applied
                        && let Attempt::Fail(JiraAlignError::BadRequest { .. }) = &attempt
                        && let Ok(Some(id)) = self.find_created(user).await
                    {
                        return Attempt::Done(Created::FoundAfterUnknownOutcome(id));
                    }
                    attempt.map(Created::Answered)
                }
            })
            .await?;

        let id = match created {
            Created::FoundAfterUnknownOutcome(id) => {
                info!(
                    user_id = id,
                    "found a user created by an attempt whose answer was lost"
                );
                id
            }
            Created::Answered(answer) => self.id_of_created(user, &answer).await?,
        };
        Ok(id)
    }

    /// The id a successful create answer gives, or that a read-back finds.
    async fn id_of_created(&self, user: &NewUser, answer: &Answer) -> Result<u64, JiraAlignError> {
        if let Some(id) = created_id(&answer.body) {
            return Ok(id);
        }
        if let Some(id) = answer.location.as_deref().and_then(id_from_location) {
            return Ok(id);
        }
        self.find_created(user).await?.ok_or_else(|| JiraAlignError::InvalidResponse {
            op: Operation::CreateUser,
            detail: "the create succeeded without naming the new id, and no user with its email or externalId was found"
                .to_owned(),
        })
    }

    /// The id of the user `user` describes, if the site has it: matched by email, or by
    /// externalId together with email, both ignoring case. A user who merely shares the
    /// externalId is someone else.
    async fn find_created(&self, user: &NewUser) -> Result<Option<u64>, JiraAlignError> {
        let same =
            |a: Option<&str>, b: &str| a.is_some_and(|a| a.trim().eq_ignore_ascii_case(b.trim()));
        let by_email = self.find_users("email", &user.email).await?;
        if let Some(found) = by_email
            .iter()
            .find(|u| same(u.email.as_deref(), &user.email))
        {
            return Ok(Some(found.id));
        }
        let Some(external_id) = user.external_id.as_deref() else {
            return Ok(None);
        };
        let by_external_id = self.find_users("externalId", external_id).await?;
        let found = by_external_id.iter().find(|u| {
            same(u.external_id.as_deref(), external_id) && same(u.email.as_deref(), &user.email)
        });
        Ok(found.map(|u| u.id))
    }

    /// Users whose `field` equals `value`, as the site's `$filter` compares.
    async fn find_users(&self, field: &str, value: &str) -> Result<Vec<JiraUser>, JiraAlignError> {
        let filter = format!("{field} eq {}", string_literal(value));
        let query = self.list_query(&[("$filter", &filter)]);
        let context = format!("look-up by {field}");
        self.query_users(Operation::FindUser, &query, &context)
            .await
    }
}
