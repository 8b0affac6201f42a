//! The findings-heavy token file of a first adoption or an org-wide audit: realistic brand
//! tokens of which most have something to fix. Per 100,000 tokens (as of 2026-11-22): about
//! 60% unused for over 90 days, 40% on an outdated `api_version`, 1 in 53 with a misspelled
//! scope, 1 in 97 legacy read-write, and many sensitive writes without a justification —
//! about 176,000 findings. Deterministic: the same bytes on every machine.

use std::fmt::Write;

use super::{Rng, sid};

/// The `--as-of` the counts above are for.
pub const AS_OF: &str = "2026-11-22";

const TEAMS: &[&str] = &[
    "shopify",
    "checkout",
    "crm",
    "finance",
    "growth",
    "fraud",
    "bi",
    "partner-ops",
    "mobile",
    "payouts",
    "catalog",
    "support",
];

const PURPOSES: &[&str] = &[
    "Sends orders as conversions",
    "Pulls daily performance reports",
    "Syncs the product catalog",
    "Reverses actions our fraud screen rejects",
    "Loads partner contracts into the CRM",
    "Creates tracking links for campaigns",
    "Exports clicks for attribution",
    "Reconciles invoices with the ledger",
];

/// Everyday scopes: reads and writes on low- and medium-sensitivity categories.
const EVERYDAY: &[&str] = &[
    "conversions:write",
    "campaigns:read",
    "actions:read",
    "reports:read",
    "ads:read",
    "deals:read",
    "catalogs:write",
    "catalogs:read",
    "contacts:read",
    "promo-codes:read",
    "tracking-links:write",
    "clicks:read",
];

/// Writes on `high`-sensitivity brand categories (`invoices` has no write).
const SENSITIVE: &[&str] = &[
    "actions:write",
    "contracts:write",
    "partners:write",
    "account:write",
];

/// Misspelled scopes (`unknown-scope`, with a did-you-mean).
const MISSPELLED: &[&str] = &[
    "conversion:write",
    "campaigns:raed",
    "promocodes:read",
    "tracking-link:write",
    "report:read",
];

const ENVS: &[&str] = &["development", "staging", "production"];

/// One token, appended to `out`.
pub fn token(i: usize, rng: &mut Rng, out: &mut String) {
    let env = ENVS[rng.below(ENVS.len())];
    let team = TEAMS[rng.below(TEAMS.len())];
    let _ = writeln!(out, "  - name: {team}-{i:06}-{}", &env[..4]);
    let _ = writeln!(
        out,
        "    description: {}",
        PURPOSES[rng.below(PURPOSES.len())]
    );
    let _ = writeln!(out, "    environment: {env}");
    let _ = writeln!(out, "    sid: {}", sid(rng));
    if rng.below(2) == 0 {
        let _ = writeln!(
            out,
            "    auth_token_env: {}_{i:06}_IMPACT_TOKEN",
            team.to_ascii_uppercase().replace('-', "_")
        );
    }
    // 40% outdated.
    let version = match rng.below(10) {
        0..=2 => "13",
        3 => "12",
        _ => "14",
    };
    let _ = writeln!(out, "    api_version: \"{version}\"");
    let _ = writeln!(out, "    primary_contact: {team}-{}@acme.example", i % 89);
    let _ = writeln!(
        out,
        "    created: 2026-0{}-{:02}",
        1 + rng.below(3),
        1 + rng.below(28)
    );
    // 60% unused for over 90 days (before 2026-08-24).
    if rng.below(10) < 6 {
        let _ = writeln!(
            out,
            "    last_used: 2026-0{}-{:02}",
            4 + rng.below(4),
            1 + rng.below(28)
        );
    } else {
        let _ = writeln!(out, "    last_used: 2026-11-{:02}", 1 + rng.below(21));
    }
    if i % 97 == 0 {
        let _ = writeln!(out, "    legacy: read-write");
        return;
    }
    let n = 1 + rng.below(3);
    let mut scopes: Vec<&str> = (0..n)
        .map(|_| EVERYDAY[rng.below(EVERYDAY.len())])
        .collect();
    // Sensitive writes: most without a justification.
    let sensitive = match rng.below(20) {
        0..=11 => 1,
        12..=14 => 2,
        _ => 0,
    };
    for _ in 0..sensitive {
        scopes.push(SENSITIVE[rng.below(SENSITIVE.len())]);
    }
    if i % 53 == 0 {
        scopes.push(MISSPELLED[rng.below(MISSPELLED.len())]);
    }
    scopes.sort_unstable();
    scopes.dedup();
    if sensitive > 0 && rng.below(8) == 0 {
        let _ = writeln!(
            out,
            "    justification: Reverses fraudulent actions (SEC-{i})"
        );
    }
    let _ = writeln!(out, "    scopes: [{}]", scopes.join(", "));
}

/// A definition file with tokens `range`.
pub fn document(range: std::ops::Range<usize>, rng: &mut Rng) -> String {
    let mut s = String::with_capacity(range.len() * 340 + 64);
    s.push_str("account:\n  type: brand\n  name: Acme\ntokens:\n");
    for i in range {
        token(i, rng, &mut s);
    }
    s
}
