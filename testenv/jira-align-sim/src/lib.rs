//! A local simulator of the Jira Align REST API 2.0 user endpoints, built from the public
//! documentation. Where the documentation is firm the simulator follows it; where it is
//! silent, a knob in [`SimConfig`] chooses, so clients can be tested against every choice.
//!
//! ```no_run
//! # async fn demo() -> Result<(), jira_align_sim::SimError> {
//! use jira_align_sim::{GeneratorSpec, SimConfig, generate, start};
//! let sim = start(generate(&GeneratorSpec::default()), SimConfig::default()).await?;
//! let users_url = format!("{}/rest/align/api/2/Users", sim.base_url());
//! // ... run a client against users_url with the token `user:1|admin-secret` ...
//! sim.admin().assert_no_violations();
//! # let _ = users_url;
//! # Ok(())
//! # }
//! ```

mod admin;
mod admin_http;
mod answer;
mod api;
mod auth;
mod budget;
mod config;
mod error;
mod faults;
mod filter;
mod generator;
mod journal;
mod json_patch;
mod listing;
mod millis;
mod query;
mod routes;
mod seed;
mod server;
mod state;
mod store;
mod user;
mod user_fields;
mod users_write;

pub use admin::Admin;
pub use config::{
    CreateAnswer, DuplicateExternalId, ErrorBody, Latency, PutSemantics, RequestBudget, SimConfig,
    StringMatch, TopOverLimit,
};
pub use error::SimError;
pub use faults::{Burst429, FaultAction, FaultPlan, ScriptedFault, SlowResponses};
pub use generator::{
    ADMIN_SECRET, ADMIN_USER_ID, DEFAULT_CITY_ID, DEFAULT_COST_CENTER_ID, DEFAULT_DIVISION_ID,
    DEFAULT_REGION_ID, GENERATED_ID_OFFSET, GeneratorSpec, MEMBER_ROLE_ID, READER_SECRET,
    READER_USER_ID, RETIRED_SECRET, RETIRED_USER_ID, generate, generated_email,
    generated_external_id,
};
pub use journal::{DROPPED, LoggedRequest, RouteCount, Violation, ViolationKind};
pub use query::MAX_TOP;
pub use routes::{API_PREFIX, Resource, RouteKind};
pub use seed::{ApiToken, RefRecord, Role, Seed};
pub use server::{RunningSimulator, start, start_at};
pub use user::{ACTIVE, DEACTIVATED, STATUS_ACTIVE, STATUS_INACTIVE, User};
