//! The kinds of request the client makes, used as error context, log field and statistics key.

use std::fmt;

/// One kind of API request, which fixes its method and route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `GET /Users` with `$top`/`$skip`: one page of the full listing.
    ListUsers,
    /// `GET /Users` with `$filter`: finding a user by email or externalId.
    FindUser,
    /// `GET /Users/{id}`.
    GetUser,
    /// `POST /Users`.
    CreateUser,
    /// `PATCH /Users/{id}`.
    PatchUser,
}

impl Operation {
    /// Every operation, in the order statistics list them.
    pub const ALL: [Operation; 5] = [
        Operation::ListUsers,
        Operation::FindUser,
        Operation::GetUser,
        Operation::CreateUser,
        Operation::PatchUser,
    ];

    pub fn method(self) -> &'static str {
        match self {
            Operation::ListUsers | Operation::FindUser | Operation::GetUser => "GET",
            Operation::CreateUser => "POST",
            Operation::PatchUser => "PATCH",
        }
    }

    /// The route template, relative to `/rest/align/api/2`.
    pub fn route(self) -> &'static str {
        match self {
            Operation::ListUsers | Operation::FindUser | Operation::CreateUser => "/Users",
            Operation::GetUser | Operation::PatchUser => "/Users/{id}",
        }
    }

    /// A short snake_case label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Operation::ListUsers => "list_users",
            Operation::FindUser => "find_user",
            Operation::GetUser => "get_user",
            Operation::CreateUser => "create_user",
            Operation::PatchUser => "patch_user",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Operation::ListUsers => 0,
            Operation::FindUser => 1,
            Operation::GetUser => 2,
            Operation::CreateUser => 3,
            Operation::PatchUser => 4,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.route())
    }
}
