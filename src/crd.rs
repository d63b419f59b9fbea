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

/// The CustomResourceDefinition as installed: the derived one, with the unsigned integer
/// formats the schema generator emits (`uint32`, `uint64`) turned into the ones Kubernetes
/// knows (`int32`, `int64`; the `minimum: 0` beside them keeps them unsigned), so the API
/// server prints no warning on apply.
pub fn definition()
-> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
    use kube::CustomResourceExt;

    fn fix_formats(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(format)) = map.get_mut("format")
                    && let Some(signed) = format.strip_prefix('u')
                {
                    *format = signed.to_string();
                }
                map.values_mut().for_each(fix_formats);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(fix_formats),
            _ => {}
        }
    }

    // The derived definition is plain data; converting it to JSON and back cannot fail.
    let mut value = serde_json::to_value(JiraAlignUserSync::crd()).expect("CRD is JSON");
    fix_formats(&mut value);
    serde_json::from_value(value).expect("CRD round-trips")
}
