//! The committed CRD YAML must be exactly what the Rust types generate; `just generate`
//! rewrites it.

#[test]
fn no_unsigned_formats() {
    let yaml = serde_yaml::to_string(&jira_align_user_sync::crd::definition()).expect("yaml");
    assert!(!yaml.contains("format: uint"));
    assert!(yaml.contains("format: int64"));
}

#[test]
fn committed_crd_matches_the_types() {
    let root = env!("CARGO_MANIFEST_DIR");
    let generated =
        serde_yaml::to_string(&jira_align_user_sync::crd::definition()).expect("CRD serializes");
    let path = format!("{root}/crds/jiraalignusersync.yaml");
    let committed = std::fs::read_to_string(&path).expect("crds/jiraalignusersync.yaml exists");
    assert!(
        committed == generated,
        "{path} is out of date with src/crd; run `just generate` and commit the result"
    );
}

#[test]
fn crd_names_and_scope() {
    let crd = jira_align_user_sync::crd::definition();
    assert_eq!(
        crd.metadata.name.as_deref(),
        Some("jiraalignusersyncs.alignsync.dev")
    );
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.short_names, Some(vec!["jaus".to_string()]));
    let version = &crd.spec.versions[0];
    assert_eq!(version.name, "v1alpha1");
    assert!(
        version
            .subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some()
    );
    let columns: Vec<&str> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        columns,
        vec![
            "Ready",
            "Reason",
            "Last Sync",
            "Members",
            "Created",
            "Reactivated",
            "Deactivated",
            "Failed",
            "Age"
        ]
    );
}
