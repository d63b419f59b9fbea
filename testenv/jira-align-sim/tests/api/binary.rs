//! The `jira-align-sim` binary: prints its URL first, serves a seed file or a generated
//! site, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use jira_align_sim::ADMIN_SECRET;

struct Sim {
    child: Child,
    url: String,
}

fn launch(args: &[&str]) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jira-align-sim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary was built for this test");
    let stdout = child.stdout.take().expect("stdout was piped");
    let mut url = String::new();
    BufReader::new(stdout)
        .read_line(&mut url)
        .expect("the binary prints its URL");
    Sim {
        child,
        url: url.trim().to_owned(),
    }
}

impl Sim {
    async fn get(&self, path: &str) -> serde_json::Value {
        let url = format!("{}/rest/align/api/2{path}", self.url);
        let request = reqwest::Client::new()
            .get(url)
            .bearer_auth(format!("user:1|{ADMIN_SECRET}"));
        let response = request.send().await.expect("the binary answers");
        response.json().await.expect("answers are JSON")
    }

    fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        sent && self.child.wait().is_ok_and(|status| status.success())
    }
}

#[tokio::test]
async fn the_binary_serves_a_generated_site_and_stops_on_sigterm() {
    let sim = launch(&["--generate", "users=50,seed=3"]);
    assert!(
        sim.url.starts_with("http://127.0.0.1:"),
        "first line was {:?}",
        sim.url
    );
    let page = sim.get("/users?$skip=50&$select=id").await;
    assert_eq!(
        page,
        serde_json::json!([{"id": 1048}, {"id": 1049}, {"id": 1050}])
    );
    assert!(sim.terminate(), "SIGTERM ends the process with success");
}

#[tokio::test]
async fn the_binary_serves_a_seed_file_with_a_config_file() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seed = crate_dir.join("seeds/small.json");
    let config = crate_dir.join("configs/strict-alternatives.json");
    let seed = seed.to_string_lossy();
    let config = config.to_string_lossy();
    let sim = launch(&["--seed", &seed, "--config", &config]);
    let page = sim
        .get("/users?$filter=isLocked eq -1&$select=externalId")
        .await;
    assert_eq!(page, serde_json::json!([{"externalId": "ghopper"}]));
    assert!(sim.terminate());
}
