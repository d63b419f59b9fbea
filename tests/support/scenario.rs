//! One test's world: its own namespace, slapd with the standard fixture, simulated Jira Align
//! site and operator process, with the Secrets a resource needs already in place.

use jira_align_sim::{RunningSimulator, Seed, SimConfig, start};
use jira_align_user_sync::crd::JiraAlignUserSync;
use serde_json::Value;
use test_directories::{LdifFixture, OpenLdap};

use super::cluster::{Setup, admin_client, namespace, setup};
use super::fixture::{Directory, active, admin_token, create, manifest, put_secrets};
use super::operator::{Operator, OperatorOptions};

pub struct Scenario {
    pub setup: &'static Setup,
    pub client: kube::Client,
    /// The first of [`Scenario::namespaces`].
    pub namespace: String,
    /// Every namespace the operator watches, with the Secrets in each.
    pub namespaces: Vec<String>,
    pub ldap: OpenLdap,
    pub directory: Directory,
    pub site: RunningSimulator,
    pub operator: Operator,
}

impl Scenario {
    /// Starts everything for a test whose namespace name starts with `prefix`.
    pub async fn start(prefix: &str, seed: Seed) -> Scenario {
        Scenario::start_in(&[prefix], seed).await
    }

    /// Like [`Scenario::start`] with one namespace per prefix, all watched by the operator.
    pub async fn start_in(prefixes: &[&str], seed: Seed) -> Scenario {
        let setup = setup();
        let ldap = OpenLdap::start(&LdifFixture::standard()).unwrap_or_else(|e| panic!("{e}"));
        let directory = Directory::openldap(&ldap);
        let site = start(seed, SimConfig::default())
            .await
            .expect("the simulator starts");
        let client = admin_client(setup).await;
        let mut namespaces = Vec::new();
        for prefix in prefixes {
            let namespace = namespace(&client, prefix).await;
            put_secrets(&client, &namespace, &admin_token(), &directory).await;
            namespaces.push(namespace);
        }
        let options = OperatorOptions {
            namespaces: namespaces.clone(),
            lease_name: namespaces[0].clone(),
            identity: format!("{}-operator", prefixes[0]),
        };
        let operator = Operator::start(setup, &options);
        Scenario {
            setup,
            client,
            namespace: namespaces[0].clone(),
            namespaces,
            ldap,
            directory,
            site,
            operator,
        }
    }

    /// A manifest of resource `name` in the first namespace, for this scenario's site.
    pub fn manifest(&self, name: &str) -> Value {
        manifest(&self.namespace, name, self.site.base_url(), &self.directory)
    }

    pub async fn create(&self, manifest: &Value) -> JiraAlignUserSync {
        create(&self.client, manifest).await
    }

    /// Whether the site has an active user with this externalId.
    pub fn active(&self, key: &str) -> bool {
        active(&self.site, key)
    }
}
