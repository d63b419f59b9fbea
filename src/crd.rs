//! The `JiraAlignUserSync` custom resource: what a platform team declares (spec) and what the
//! operator reports back (status). The CRD YAML under `crds/` is generated from these types.

mod spec;
mod status;

pub use spec::*;
pub use status::*;

/// The API group of every resource this operator owns.
pub const API_GROUP: &str = "alignsync.dev";

/// Annotation whose value, set to a blocked plan's hash, approves exactly that plan.
pub const APPROVE_PLAN_ANNOTATION: &str = "alignsync.dev/approve-plan";

/// Annotation whose value change triggers an immediate sync.
pub const SYNC_NOW_ANNOTATION: &str = "alignsync.dev/sync-now";
