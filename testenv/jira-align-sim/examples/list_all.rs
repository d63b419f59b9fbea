//! Measures a full listing of a generated site in pages of 100 with a minimal client, the
//! way a sync client reads every user. Run with
//! `cargo run --release -p jira-align-sim --example list_all -- 100000`.

use std::time::Instant;

use jira_align_sim::{ADMIN_SECRET, GeneratorSpec, SimConfig, generate, start};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users: u32 = std::env::args().nth(1).map_or(Ok(100_000), |n| n.parse())?;
    let started = Instant::now();
    let seed = generate(&GeneratorSpec {
        users,
        ..Default::default()
    });
    let sim = start(seed, SimConfig::default()).await?;
    println!(
        "generated and started {users} users in {:?}",
        started.elapsed()
    );

    let client = reqwest::Client::new();
    let token = format!("user:1|{ADMIN_SECRET}");
    let started = Instant::now();
    let mut listed = 0usize;
    let mut pages = 0usize;
    loop {
        let url = format!("{}/Users?$top=100&$skip={listed}", sim.api_url());
        let response = client.get(url).bearer_auth(&token).send().await?;
        let page: Vec<serde_json::Value> = response.json().await?;
        pages += 1;
        if page.is_empty() {
            break;
        }
        listed += page.len();
    }
    let elapsed = started.elapsed();
    let per_page = elapsed / u32::try_from(pages).unwrap_or(u32::MAX);
    println!("listed {listed} users in {pages} requests: {elapsed:?} ({per_page:?} a page)");
    let served: u64 = sim
        .admin()
        .request_log()
        .iter()
        .map(|r| r.elapsed_micros)
        .sum();
    let served = std::time::Duration::from_micros(served);
    println!("of which the simulator spent {served:?} handling requests");
    sim.admin().assert_no_violations();
    Ok(())
}
