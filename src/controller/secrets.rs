//! Reading the Secrets (and the CA ConfigMap) a resource names, always in the resource's own
//! namespace: the schema gives a reference no namespace field, so none can point elsewhere.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;

use crate::crd::{JiraAlignUserSync, SecretKeyRef};

/// The secret values a run needs, plus the versions of the objects they came from.
pub struct ResolvedSecrets {
    pub token: String,
    pub bind_password: String,
    pub ca_pem: Option<Vec<u8>>,
    /// `kind/name@resourceVersion` of every object read, so a rotation shows as a change.
    pub versions: Vec<String>,
}

impl std::fmt::Debug for ResolvedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedSecrets")
            .field("versions", &self.versions)
            .finish_non_exhaustive()
    }
}

/// Why a referenced value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{kind} {namespace}/{name} not found ({field})")]
    NotFound {
        kind: &'static str,
        namespace: String,
        name: String,
        field: &'static str,
    },

    #[error("{kind} {namespace}/{name} has no key {key} ({field})")]
    MissingKey {
        kind: &'static str,
        namespace: String,
        name: String,
        key: String,
        field: &'static str,
    },

    #[error("{kind} {namespace}/{name} key {key} is empty ({field})")]
    Empty {
        kind: &'static str,
        namespace: String,
        name: String,
        key: String,
        field: &'static str,
    },

    #[error("not allowed to read {kind} {namespace}/{name} ({field})")]
    Forbidden {
        kind: &'static str,
        namespace: String,
        name: String,
        field: &'static str,
    },

    #[error("failed to read {kind} {namespace}/{name}")]
    Api {
        kind: &'static str,
        namespace: String,
        name: String,
        #[source]
        source: Box<kube::Error>,
    },
}

impl SecretError {
    /// The condition reason: every variant but a failed API call is the user's to fix.
    pub fn reason(&self) -> &'static str {
        match self {
            SecretError::Api { .. } => super::outcome::reason::API_UNAVAILABLE,
            _ => super::outcome::reason::SECRET_MISSING,
        }
    }

    /// Whether retrying without any change can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, SecretError::Api { .. })
    }
}

/// Reads the token, the bind password and the CA bundle named by `resource`.
pub async fn resolve(
    client: &kube::Client,
    resource: &JiraAlignUserSync,
    namespace: &str,
) -> Result<ResolvedSecrets, SecretError> {
    let spec = &resource.spec;
    let mut reader = Reader {
        client,
        namespace,
        versions: Vec::new(),
    };

    let token_ref = &spec.jira_align.token_secret_ref;
    let token = reader
        .read::<Secret>(token_ref, "spec.jiraAlign.tokenSecretRef")
        .await?;
    let password_ref = &spec.directory.bind_password_secret_ref;
    let field = "spec.directory.bindPasswordSecretRef";
    let bind_password = reader.read::<Secret>(password_ref, field).await?;

    let ca_source = spec.directory.tls.as_ref().and_then(|tls| tls.ca.as_ref());
    let ca_pem = match ca_source.map(|ca| (&ca.secret_ref, &ca.config_map_ref)) {
        Some((Some(reference), _)) => {
            let field = "spec.directory.tls.ca.secretRef";
            Some(reader.read::<Secret>(reference, field).await?)
        }
        Some((None, Some(reference))) => {
            let field = "spec.directory.tls.ca.configMapRef";
            Some(reader.read::<ConfigMap>(reference, field).await?)
        }
        Some((None, None)) | None => None,
    };

    Ok(ResolvedSecrets {
        token: trim_line_end(&token),
        bind_password: trim_line_end(&bind_password),
        ca_pem: ca_pem.map(String::into_bytes),
        versions: reader.versions,
    })
}

/// An object kind that holds values by key.
trait KeyValues: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug {
    const KIND: &'static str;
    fn value(&self, key: &str) -> Option<String>;
}

impl KeyValues for Secret {
    const KIND: &'static str = "secret";
    fn value(&self, key: &str) -> Option<String> {
        let from_data = self.data.as_ref().and_then(|data| data.get(key));
        let from_data = from_data.map(|bytes| String::from_utf8_lossy(&bytes.0).into_owned());
        from_data.or_else(|| self.string_data.as_ref()?.get(key).cloned())
    }
}

impl KeyValues for ConfigMap {
    const KIND: &'static str = "configmap";
    fn value(&self, key: &str) -> Option<String> {
        self.data.as_ref()?.get(key).cloned()
    }
}

/// Reads keys of objects in one namespace and notes the version of each object read.
struct Reader<'a> {
    client: &'a kube::Client,
    namespace: &'a str,
    versions: Vec<String>,
}

impl Reader<'_> {
    async fn read<K>(
        &mut self,
        reference: &SecretKeyRef,
        field: &'static str,
    ) -> Result<String, SecretError>
    where
        K: KeyValues<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), self.namespace);
        let (kind, namespace, name) = (K::KIND, self.namespace.to_owned(), reference.name.clone());
        let object = match api.get_opt(&name).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                return Err(SecretError::NotFound {
                    kind,
                    namespace,
                    name,
                    field,
                });
            }
            Err(kube::Error::Api(status)) if status.code == 403 => {
                return Err(SecretError::Forbidden {
                    kind,
                    namespace,
                    name,
                    field,
                });
            }
            Err(source) => {
                let source = Box::new(source);
                return Err(SecretError::Api {
                    kind,
                    namespace,
                    name,
                    source,
                });
            }
        };
        let revision = object.meta().resource_version.as_deref();
        self.versions.push(version_of(kind, &name, revision));
        non_empty(
            object.value(&reference.key),
            kind,
            self.namespace,
            reference,
            field,
        )
    }
}

fn non_empty(
    value: Option<String>,
    kind: &'static str,
    namespace: &str,
    reference: &SecretKeyRef,
    field: &'static str,
) -> Result<String, SecretError> {
    let (namespace, name, key) = (
        namespace.to_owned(),
        reference.name.clone(),
        reference.key.clone(),
    );
    match value {
        None => Err(SecretError::MissingKey {
            kind,
            namespace,
            name,
            key,
            field,
        }),
        Some(text) if text.trim().is_empty() => Err(SecretError::Empty {
            kind,
            namespace,
            name,
            key,
            field,
        }),
        Some(text) => Ok(text),
    }
}

fn version_of(kind: &str, name: &str, resource_version: Option<&str>) -> String {
    format!("{kind}/{name}@{}", resource_version.unwrap_or("-"))
}

/// Values written with `kubectl create secret --from-file` often end in a newline that is
/// not part of the secret.
fn trim_line_end(value: &str) -> String {
    value.trim_end_matches(['\r', '\n']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> SecretKeyRef {
        SecretKeyRef {
            name: "jira-align-token".into(),
            key: "token".into(),
        }
    }

    #[test]
    fn a_missing_key_names_the_object_key_and_field() {
        let field = "spec.jiraAlign.tokenSecretRef";
        let error = non_empty(None, "secret", "team-a", &reference(), field).expect_err("no value");
        assert_eq!(
            error.to_string(),
            "secret team-a/jira-align-token has no key token (spec.jiraAlign.tokenSecretRef)"
        );
        assert_eq!(error.reason(), "SecretMissing");
        assert!(!error.is_transient());
    }

    #[test]
    fn a_blank_value_counts_as_empty() {
        let field = "spec.directory.bindPasswordSecretRef";
        let error = non_empty(Some(" \n".into()), "secret", "team-a", &reference(), field)
            .expect_err("blank value");
        assert_eq!(
            error.to_string(),
            "secret team-a/jira-align-token key token is empty \
             (spec.directory.bindPasswordSecretRef)"
        );
    }

    #[test]
    fn only_trailing_line_breaks_are_trimmed() {
        assert_eq!(trim_line_end("user:1|s3cret\n"), "user:1|s3cret");
        assert_eq!(trim_line_end(" pass word \r\n"), " pass word ");
    }

    #[test]
    fn versions_name_kind_object_and_revision() {
        assert_eq!(version_of("secret", "token", Some("42")), "secret/token@42");
        assert_eq!(version_of("configmap", "ca", None), "configmap/ca@-");
    }
}
