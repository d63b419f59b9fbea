//! A small HTTP harness: a simulator seeded with a generated site and a client holding the
//! admin token.

use jira_align_sim::{
    ADMIN_SECRET, ADMIN_USER_ID, DEFAULT_CITY_ID, DEFAULT_COST_CENTER_ID, DEFAULT_DIVISION_ID,
    DEFAULT_REGION_ID, GeneratorSpec, MEMBER_ROLE_ID, RunningSimulator, SimConfig, generate, start,
};
use serde_json::{Value, json};

/// Generated people in the harness seed (ids 1001..=1020, plus service users 1, 2, 3).
pub const PEOPLE: u32 = 20;

pub struct Harness {
    pub sim: RunningSimulator,
    pub http: reqwest::Client,
    pub token: String,
}

/// A simulator with no deactivated or odd users among the generated people, so tests can
/// predict every record; tests that need the mix build their own spec.
pub fn plain_spec(users: u32) -> GeneratorSpec {
    GeneratorSpec {
        users,
        deactivated: 0.0,
        connector_created: 0.0,
        without_external_id: 0.0,
        duplicate_prone: 0.0,
        ..Default::default()
    }
}

pub async fn harness(config: SimConfig) -> Harness {
    harness_with(plain_spec(PEOPLE), config).await
}

pub async fn harness_with(spec: GeneratorSpec, config: SimConfig) -> Harness {
    let sim = start(generate(&spec), config)
        .await
        .expect("a free loopback port exists");
    Harness {
        sim,
        http: reqwest::Client::new(),
        token: format!("user:{ADMIN_USER_ID}|{ADMIN_SECRET}"),
    }
}

/// A create body with every required field valid.
pub fn new_user(email: &str) -> Value {
    json!({
        "firstName": "New",
        "lastName": "Person",
        "email": email,
        "externalId": email.split('@').next(),
        "roleId": MEMBER_ROLE_ID,
        "regionId": DEFAULT_REGION_ID,
        "cityId": DEFAULT_CITY_ID,
        "costCenterId": DEFAULT_COST_CENTER_ID,
        "divisionId": DEFAULT_DIVISION_ID,
    })
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.api_url())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(self.http.get(self.url(path))).await
    }

    /// Status and parsed body (`Value::Null` for an empty body).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        read(self.get(path).await).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> reqwest::Response {
        self.send(self.http.patch(self.url(path)).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> reqwest::Response {
        self.send(self.http.put(self.url(path)).json(body)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = request.header("Authorization", format!("bearer {}", self.token));
        request.send().await.expect("the simulator answers")
    }

    /// Every user through the API in pages of 100.
    pub async fn list_all(&self) -> Vec<Value> {
        let mut users = Vec::new();
        loop {
            let path = format!("/users?$top=100&$skip={}", users.len());
            let (status, page) = self.get_json(&path).await;
            assert_eq!(status, 200);
            let page = page.as_array().cloned().expect("lists are bare arrays");
            if page.is_empty() {
                return users;
            }
            users.extend(page);
        }
    }
}

/// Sends a prepared request and returns only its status.
pub async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    let response = request.send().await.expect("the simulator answers");
    response.status().as_u16()
}

/// Status and parsed body (`Value::Null` for an empty body).
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("the body arrives");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("bodies are JSON")
    };
    (status, body)
}
