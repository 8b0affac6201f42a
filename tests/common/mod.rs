//! Helpers shared by the integration tests that drive the real binary.

#![allow(dead_code)] // each test crate uses its own subset

pub mod impact;

use assert_cmd::Command;
use serde_json::Value;

pub const AS_OF: &str = "2026-11-22";

/// The binary with a neutral environment and no `--as-of` yet.
pub fn bare() -> Command {
    let mut cmd = Command::cargo_bin("scopeward").expect("the scopeward binary is built");
    cmd.env("NO_COLOR", "1")
        .env_remove("SCOPEWARD_AS_OF")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env_remove("COLUMNS")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    cmd
}

/// What one run printed and how it ended.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs the command; fails the test if the binary panicked or overflowed its stack.
pub fn run(mut cmd: Command) -> Out {
    let out = cmd.output().expect("the binary runs");
    let out = Out {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    let all = out.all();
    for bad in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        assert!(!all.contains(bad), "`{bad}` in the output:\n{all}");
    }
    out
}

/// The category ids of SPEC §1, as the specification writes them (not taken from the code).
pub const SPEC_BRAND_CATEGORIES: &[&str] = &[
    "account",
    "legal-entities",
    "actions",
    "action-updates",
    "action-inquiries",
    "ads",
    "call-data",
    "campaigns",
    "catalogs",
    "clicks",
    "contacts",
    "unsubscribed-contacts",
    "contracts",
    "conversions",
    "deals",
    "deep-links",
    "exception-lists",
    "invoices",
    "jobs",
    "notes",
    "page-loads",
    "partner-groups",
    "partners",
    "phone-numbers",
    "promo-codes",
    "promo-code-exception-lists",
    "reports",
    "routing-rules",
    "submissions",
    "tasks",
    "tracking-links",
    "tracking-value-requests",
];

pub const SPEC_PARTNER_CATEGORIES: &[&str] = &[
    "account",
    "action-inquiries",
    "actions",
    "ads",
    "campaigns",
    "catalogs",
    "clicks",
    "contracts",
    "conversions",
    "deals",
    "exception-lists",
    "identity-verification",
    "invoices",
    "jobs",
    "media-properties",
    "promo-codes",
    "promo-code-exception-lists",
    "promotions",
    "reports",
    "stores",
    "tasks",
    "tax-documents",
    "tracking-links",
    "users",
    "withdrawal-settings",
];

pub const SPEC_AGENCY_CATEGORIES: &[&str] =
    &["account", "advertisers", "compliance", "jobs", "reports"];
