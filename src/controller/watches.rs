//! The watches that trigger reconciles: the resources themselves, the Secrets and CA
//! ConfigMaps they name (metadata only, so no secret value is cached), and the resources of
//! every watched scope,
//! whose changes can start or end a deactivation conflict with a resource on the same Jira
//! Align site. With a namespace list, each namespace has its own controller, so each one
//! also watches the resources of the others.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Config, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;

use super::validate::site_of;
use crate::crd::JiraAlignUserSync;

/// A controller for one scope (every namespace, or one) and its cache of resources.
pub struct ScopedController {
    pub scope: Option<String>,
    pub controller: Controller<JiraAlignUserSync>,
    pub store: Store<JiraAlignUserSync>,
}

/// One controller per listed namespace, or one for all namespaces when none is listed.
pub fn controllers(
    client: &kube::Client,
    namespaces: &[String],
    concurrency: u16,
    shutdown: &tokio::sync::watch::Receiver<bool>,
) -> Vec<ScopedController> {
    let scopes: Vec<Option<String>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().cloned().map(Some).collect()
    };
    scopes
        .iter()
        .map(|scope| scoped(client, scope, &scopes, concurrency, shutdown.clone()))
        .collect()
}

fn scoped(
    client: &kube::Client,
    scope: &Option<String>,
    all_scopes: &[Option<String>],
    concurrency: u16,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> ScopedController {
    let resources: Api<JiraAlignUserSync> = api(client, scope.as_deref());
    // Metadata only: the controller never caches a secret value, nor any ConfigMap's data.
    let secrets: Api<PartialObjectMeta<Secret>> = api(client, scope.as_deref());
    let config_maps: Api<PartialObjectMeta<ConfigMap>> = api(client, scope.as_deref());
    let config = watcher::Config::default();

    let controller = Controller::new(resources, config.clone())
        .with_config(Config::default().concurrency(concurrency));
    let store = controller.store();

    let by_secret = store.clone();
    let by_config_map = store.clone();
    let mut controller = controller
        .watches(
            secrets,
            config.clone(),
            move |secret: PartialObjectMeta<Secret>| {
                referencing(&by_secret, &secret.metadata, secret_names)
            },
        )
        .watches(
            config_maps,
            config.clone(),
            move |map: PartialObjectMeta<ConfigMap>| {
                referencing(&by_config_map, &map.metadata, config_map_names)
            },
        );
    for peer_scope in all_scopes {
        let by_site = store.clone();
        let peers: Api<JiraAlignUserSync> = api(client, peer_scope.as_deref());
        controller = controller.watches(peers, config.clone(), move |changed| {
            same_site(&by_site, &changed)
        });
    }
    let controller = controller.graceful_shutdown_on(async move {
        // An error means the sender is gone, which also means shutting down.
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    });

    ScopedController {
        scope: scope.clone(),
        controller,
        store,
    }
}

fn api<K>(client: &kube::Client, scope: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match scope {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    }
}

/// The resources in the object's namespace that name it in a reference `names` lists.
fn referencing(
    store: &Store<JiraAlignUserSync>,
    object: &ObjectMeta,
    names: fn(&JiraAlignUserSync) -> Vec<&str>,
) -> Vec<ObjectRef<JiraAlignUserSync>> {
    let (Some(namespace), Some(name)) = (&object.namespace, &object.name) else {
        return Vec::new();
    };
    store
        .state()
        .iter()
        .filter(|r| r.metadata.namespace.as_ref() == Some(namespace))
        .filter(|r| names(r).contains(&name.as_str()))
        .map(|r| ObjectRef::from_obj(r.as_ref()))
        .collect()
}

/// Names of every Secret a resource references.
pub fn secret_names(resource: &JiraAlignUserSync) -> Vec<&str> {
    let spec = &resource.spec;
    let mut names = vec![
        spec.jira_align.token_secret_ref.name.as_str(),
        spec.directory.bind_password_secret_ref.name.as_str(),
    ];
    let ca = spec.directory.tls.as_ref().and_then(|tls| tls.ca.as_ref());
    if let Some(reference) = ca.and_then(|ca| ca.secret_ref.as_ref()) {
        names.push(reference.name.as_str());
    }
    names
}

/// Names of the ConfigMaps a resource references: the directory CA, when it is in one.
pub fn config_map_names(resource: &JiraAlignUserSync) -> Vec<&str> {
    let tls = resource.spec.directory.tls.as_ref();
    let reference = tls.and_then(|tls| tls.ca.as_ref()?.config_map_ref.as_ref());
    reference.map(|r| r.name.as_str()).into_iter().collect()
}

/// Every other resource that names the same site as `changed`.
fn same_site(
    store: &Store<JiraAlignUserSync>,
    changed: &JiraAlignUserSync,
) -> Vec<ObjectRef<JiraAlignUserSync>> {
    let Some(site) = site_of(&changed.spec) else {
        return Vec::new();
    };
    let changed_ref = ObjectRef::from_obj(changed);
    store
        .state()
        .iter()
        .map(|r| (ObjectRef::from_obj(r.as_ref()), site_of(&r.spec)))
        .filter(|(other, other_site)| *other != changed_ref && other_site.as_ref() == Some(&site))
        .map(|(other, _)| other)
        .collect()
}
