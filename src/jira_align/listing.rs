//! Listing every user of a site, in a task of its own: the first page alone, then further
//! pages concurrently up to the budget's concurrency, added in page order up to the first
//! short page. Any page that fails fails the whole listing, because a partial listing would
//! make missing users look deletable.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures::StreamExt;
use futures::{future, stream};
use tokio::task::{JoinError, JoinHandle};
use tracing::debug;

use super::Client;
use super::config;
use super::error::JiraAlignError;
use super::odata::{PAGE_SIZE, USER_SELECT, encode_query};
use super::operation::Operation;
use super::retry::{Jitter, Retrier, RetryPolicy};
use super::transport::{Request, Transport};
use super::wire::parse_page;
use crate::snapshot::{JiraAlignSnapshot, JiraUser};

/// Pages read before the listing is declared runaway (two million users).
const MAX_PAGES: usize = 20_000;

impl Client {
    /// Every user of the site, each id once, in the order the pages gave them.
    // TODO: pages are not ordered (`$orderby` is undocumented), so a user removed from an
    // earlier page while the listing runs shifts a later user out of sight; users created
    // meanwhile only cause duplicates, which are dropped. Jira Align deactivates rather than
    // deletes, which makes the shift rare but not impossible.
    pub async fn list_users(&self) -> Result<JiraAlignSnapshot, JiraAlignError> {
        let reader = self.page_reader();
        let window = self.budget().limits().max_concurrency as usize;
        // The listing runs as a task of its own, so that work on the caller's task (reading
        // the directory, above all) never delays asking for the next page; dropping the
        // returned future stops it and every page it started.
        let listing = Spawned(tokio::spawn(read_pages(reader, window)))
            .await
            .map_err(|error| task_ended(&error))??;
        debug!(
            users = listing.users.len(),
            pages = listing.pages,
            duplicates = listing.duplicates,
            "listed jira align users"
        );
        Ok(JiraAlignSnapshot {
            users: listing.users,
        })
    }

    /// What reading a page needs, owned by the reader.
    fn page_reader(&self) -> PageReader {
        PageReader {
            transport: Arc::clone(&self.transport),
            retry: self.retry,
            jitter: Arc::clone(&self.jitter),
            listing: self.listing,
        }
    }

    /// A list query string with `pairs`, asking only for the fields a sync reads unless the
    /// client is configured for whole objects.
    pub(super) fn list_query(&self, pairs: &[(&str, &str)]) -> String {
        list_query(self.listing, pairs)
    }

    /// The users a `GET /Users` with `query` answers; `context` names the request in errors.
    pub(super) async fn query_users(
        &self,
        op: Operation,
        query: &str,
        context: &str,
    ) -> Result<Vec<JiraUser>, JiraAlignError> {
        users_answering(&self.transport, self.retrier(), op, query, context).await
    }
}

/// Everything reading one page needs, owned, so that each page can be read by a task.
#[derive(Clone)]
struct PageReader {
    transport: Arc<Transport>,
    retry: RetryPolicy,
    jitter: Arc<dyn Jitter>,
    listing: config::Listing,
}

impl PageReader {
    /// Page `page` (from 0) of the listing, with its number.
    async fn read(self, page: usize) -> (usize, Result<Vec<JiraUser>, JiraAlignError>) {
        let skip = (page * PAGE_SIZE).to_string();
        let top = PAGE_SIZE.to_string();
        let query = list_query(self.listing, &[("$top", &top), ("$skip", &skip)]);
        let context = format!("page at $skip={skip}");
        let retrier = Retrier {
            policy: &self.retry,
            jitter: self.jitter.as_ref(),
            stats: &self.transport.stats,
        };
        let users = users_answering(
            &self.transport,
            retrier,
            Operation::ListUsers,
            &query,
            &context,
        );
        (page, users.await)
    }
}

/// Reads the first page alone, then the others. Pages are fetched as slots free up, each by
/// a task of its own, and added in page order. A page fails the listing only once the
/// listing reaches it: pages past the end are never read, and their tasks are stopped. Once
/// any page comes back short, no page after it is asked for.
async fn read_pages(reader: PageReader, window: usize) -> Result<Listing, JiraAlignError> {
    let mut listing = Listing::default();
    let (_, first) = reader.clone().read(0).await;
    let mut done = listing.add(0, first?)?;

    let last = Arc::new(AtomicUsize::new(MAX_PAGES));
    let still_needed = {
        let last = Arc::clone(&last);
        move |page: &usize| future::ready(*page <= last.load(Ordering::Relaxed))
    };
    let mut pages = stream::iter(1..MAX_PAGES)
        .take_while(still_needed)
        .map(|page| Spawned(tokio::spawn(reader.clone().read(page))))
        .buffer_unordered(window);
    let mut arrived = BTreeMap::new();
    let mut next = 1;
    while !done {
        if let Some(users) = arrived.remove(&next) {
            done = listing.add(next, users?)?;
            next += 1;
            continue;
        }
        let Some(fetched) = pages.next().await else {
            let detail =
                format!("more than {MAX_PAGES} full pages; the site may be ignoring $skip");
            return Err(JiraAlignError::InvalidResponse {
                op: Operation::ListUsers,
                detail,
            });
        };
        let (page, users) = fetched.map_err(|error| task_ended(&error))?;
        if users.as_ref().is_ok_and(|users| users.len() < PAGE_SIZE) {
            last.fetch_min(page, Ordering::Relaxed);
        }
        arrived.insert(page, users);
    }
    Ok(listing)
}

fn task_ended(error: &JoinError) -> JiraAlignError {
    JiraAlignError::InvalidResponse {
        op: Operation::ListUsers,
        detail: format!("the task reading the listing ended early ({error})"),
    }
}

/// A spawned task that is stopped when dropped.
struct Spawned<T>(JoinHandle<T>);

impl<T> Future for Spawned<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn list_query(listing: config::Listing, pairs: &[(&str, &str)]) -> String {
    match listing {
        config::Listing::Selected => {
            let mut all = vec![("$select", USER_SELECT)];
            all.extend_from_slice(pairs);
            encode_query(&all)
        }
        config::Listing::FullObjects => encode_query(pairs),
    }
}

/// The users a `GET /Users` with `query` answers; `context` names the request in errors.
async fn users_answering(
    transport: &Transport,
    retrier: Retrier<'_>,
    op: Operation,
    query: &str,
    context: &str,
) -> Result<Vec<JiraUser>, JiraAlignError> {
    let request = Request {
        op,
        user_id: None,
        path: "Users",
        query: Some(query),
        body: None,
    };
    let answer = retrier
        .run(op, None, |_| transport.attempt(&request))
        .await?;
    parse_page(&answer.body).map_err(|detail| JiraAlignError::InvalidResponse {
        op,
        detail: format!("{context}: {detail}"),
    })
}

/// The users gathered so far.
#[derive(Default)]
struct Listing {
    users: Vec<JiraUser>,
    seen: HashSet<u64>,
    pages: usize,
    duplicates: usize,
}

impl Listing {
    /// Adds one page; true when it was the last (short or empty).
    fn add(&mut self, page: usize, users: Vec<JiraUser>) -> Result<bool, JiraAlignError> {
        self.pages += 1;
        let full = users.len() >= PAGE_SIZE;
        let before = self.users.len();
        for user in users {
            if self.seen.insert(user.id) {
                self.users.push(user);
            } else {
                self.duplicates += 1;
            }
        }
        if full && page > 0 && self.users.len() == before {
            // A full page of nothing new: the server is repeating pages, and reading on
            // would never end.
            let detail = format!(
                "page at $skip={} repeated only users already listed",
                page * PAGE_SIZE
            );
            return Err(JiraAlignError::InvalidResponse {
                op: Operation::ListUsers,
                detail,
            });
        }
        Ok(!full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(ids: std::ops::Range<u64>) -> Vec<JiraUser> {
        ids.map(|id| JiraUser {
            id,
            ..Default::default()
        })
        .collect()
    }

    #[test]
    fn a_short_page_ends_the_listing_and_duplicates_are_dropped() {
        let mut listing = Listing::default();
        assert_eq!(listing.add(0, users(1..101)).ok(), Some(false));
        assert_eq!(listing.add(1, users(95..150)).ok(), Some(true));
        assert_eq!((listing.users.len(), listing.duplicates), (149, 6));
        let ids: Vec<u64> = listing.users.iter().map(|u| u.id).collect();
        assert_eq!(ids, (1..150).collect::<Vec<_>>());
    }

    #[test]
    fn an_empty_page_ends_the_listing() {
        let mut listing = Listing::default();
        assert_eq!(listing.add(0, users(1..101)).ok(), Some(false));
        assert_eq!(listing.add(1, Vec::new()).ok(), Some(true));
        assert_eq!(listing.users.len(), 100);
    }

    #[test]
    fn a_repeated_full_page_is_an_error() {
        let mut listing = Listing::default();
        assert_eq!(listing.add(0, users(1..101)).ok(), Some(false));
        let error = listing.add(1, users(1..101)).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "unusable answer to GET /Users: page at $skip=100 repeated only users already listed"
            )
        );
    }
}
