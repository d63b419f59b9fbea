//! Printing a run's report: a table for people and JSON for pipelines.

use std::fmt::Write;

use serde_json::json;

use crate::plan::Step;
use crate::sync::SyncReport;

/// The report as aligned text: what was read, each action, each skip, and the counts.
pub fn table(report: &SyncReport) -> String {
    let mut out = String::new();
    let mode = if report.dry_run {
        "dry run: nothing was changed"
    } else {
        "applied"
    };
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "directory members: {} ({} excluded)   jira align users: {}   {mode}",
        report.directory_members, report.directory_excluded, report.jira_align_users
    );

    let failures: std::collections::HashMap<&str, &str> = report
        .outcome
        .iter()
        .flat_map(|o| o.errors.iter())
        .map(|e| (e.user.as_str(), e.message.as_str()))
        .collect();

    let mut rows = vec![[
        "ACTION".to_string(),
        "USER".into(),
        "JIRA ID".into(),
        "DETAIL".into(),
    ]];
    for action in &report.plan.actions {
        let steps: Vec<&str> = action.steps.iter().map(step_name).collect();
        let detail = match failures.get(action.key.as_str()) {
            Some(message) => format!("FAILED: {message}"),
            None => action.reason.clone(),
        };
        let id = action.jira_id.map_or("-".to_string(), |id| id.to_string());
        rows.push([steps.join("+"), action.key.clone(), id, detail]);
    }
    for skip in &report.plan.skipped {
        let id = skip.jira_id.map_or("-".to_string(), |id| id.to_string());
        rows.push(["skip".into(), skip.key.clone(), id, skip.reason.describe()]);
    }
    for conflict in &report.plan.conflicts {
        let detail = conflict.describe();
        rows.push(["conflict".into(), conflict.key.clone(), "-".into(), detail]);
    }
    if rows.len() > 1 {
        out.push('\n');
        out.push_str(&aligned(&rows));
    }

    if let Some(limit) = &report.plan.withheld {
        let _ = writeln!(
            out,
            "\nBLOCKED: {} deactivations exceed the limit ({} users or {}% of {} managed \
             active users); none were made.\nApprove exactly this plan with --approve {} \
             (or the alignsync.dev/approve-plan annotation).\nWould deactivate: {}",
            limit.check.deactivations,
            limit.check.max_count,
            limit.check.max_percent,
            limit.check.managed_active,
            limit.hash,
            limit.keys.join(", ")
        );
    }
    let c = report.counts();
    let _ = writeln!(
        out,
        "\ncreated {}, reactivated {}, deactivated {}, repaired {}, updated {}, unchanged {}, \
         skipped {}, failed {}   ({} unmanaged users without a key)",
        c.created,
        c.reactivated,
        c.deactivated,
        c.repaired,
        c.updated,
        c.unchanged,
        c.skipped,
        c.failed,
        report.plan.unmanaged
    );
    out
}

/// The report as one JSON document.
pub fn json(report: &SyncReport) -> String {
    let errors = report
        .outcome
        .as_ref()
        .map(|o| o.errors.clone())
        .unwrap_or_default();
    let value = json!({
        "directoryMembers": report.directory_members,
        "directoryExcluded": report.directory_excluded,
        "jiraAlignUsers": report.jira_align_users,
        "dryRun": report.dry_run,
        "counts": report.counts(),
        "pendingPlan": report.pending_plan(),
        "userErrors": errors,
        "durationSeconds": report.duration.as_secs_f64(),
        "plan": report.plan,
    });
    // A Value built from plain data always serializes.
    serde_json::to_string_pretty(&value).expect("report serializes")
}

fn step_name(step: &Step) -> &'static str {
    match step {
        Step::Create { .. } => "create",
        Step::Repair { .. } => "repair",
        Step::Update { .. } => "update",
        Step::Reactivate => "reactivate",
        Step::Deactivate => "deactivate",
    }
}

fn aligned(rows: &[[String; 4]]) -> String {
    let mut widths = [0usize; 3];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        for (cell, width) in row.iter().zip(widths) {
            let _ = write!(out, "{cell:<width$}  ");
        }
        let _ = writeln!(out, "{}", row[3]);
    }
    out
}
