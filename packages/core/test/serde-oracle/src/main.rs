//! Upstream's policy document types, exactly as `aa-core/src/policy.rs` derives
//! them, used as an oracle: reads the cases of `../fixtures/policy-cases.json`
//! from stdin and writes serde_json's verdict on each to stdout. A case is read
//! the way upstream's Postgres store reads `policies.body`: the JSON decoded to
//! a `serde_json::Value` (as the JSONB column arrives), then `from_value`.
use serde::{Deserialize, Serialize};
use std::io::Read;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PolicyDecision {
    Allow,
    Deny,
    RequireApproval,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementMode {
    #[default]
    Enforce,
    Observe,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRule {
    pub action_pattern: String,
    pub decision: PolicyDecision,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDocument {
    pub version: u32,
    pub name: String,
    pub rules: Vec<PolicyRule>,
    #[serde(default)]
    pub enforcement_mode: EnforcementMode,
}

#[derive(Deserialize)]
struct Case {
    label: String,
    json: String,
}

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let cases: Vec<Case> = serde_json::from_str(&input).unwrap();
    let verdicts: Vec<serde_json::Value> = cases
        .iter()
        .map(|case| match serde_json::from_str::<serde_json::Value>(&case.json)
            .and_then(serde_json::from_value::<PolicyDocument>)
        {
            Ok(document) => serde_json::json!({
                "label": case.label,
                "accepted": true,
                "written": serde_json::to_string(&document).unwrap(),
            }),
            Err(error) => serde_json::json!({
                "label": case.label,
                "accepted": false,
                "error": error.to_string(),
            }),
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&verdicts).unwrap());
}
