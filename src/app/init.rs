//! `scopeward init`: a commented policy and a starter definition file, never overwriting.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{EXIT_CLEAN, usage_error};
use crate::catalogue::Catalogues;
use crate::cli::AccountTypeArg;
use crate::model::AccountType;

/// The starter policy `init` writes: every setting, commented.
const INIT_POLICY: &str = r#"# scopeward policy — see `scopeward rules` and `scopeward explain ID`.

# Definition files found under directory arguments (the default: files named for tokens, and
# files under a folder named for tokens or for impact.com), and files never read.
# include = [INCLUDE]
# exclude = ["**/fixtures/**"]

# The environments tokens may serve, each with its own limits.
[environments.development]
deny = ["*:write"]                       # no writes from development
# allowed_contact_domains = ["example.com"]

[environments.staging]
deny = ["*:write"]

[environments.production]
# allowed_contact_domains = ["example.com"]

# Rule severities (error | warning | info | off) and options.
[rules.unused-token]
days = 90

[rules.rotation-overdue]
days = 365

# Accepted findings, each with a reason; `expires` makes them come back.
# [[ignore]]
# rule = "legacy-token"
# token = "old-reporting"
# reason = "Migrating to a scoped token in Q1"
# expires = 2027-01-31
"#;

fn init_tokens(account_type: AccountType, latest: &str, example_scopes: &str) -> String {
    format!(
        r#"# impact.com API access tokens of this {account_type} account, declared as code.
# Never put an Auth Token here: name the environment variable that holds it (auth_token_env).
# `scopeward schema tokens` prints the full structure; `scopeward catalogue {account_type}` the scopes.
account:
  type: {account_type}
  name: My {account_type}

tokens:
  - name: example-integration-prod
    description: What this integration does, and who runs it
    environment: production
    # sid: IR...                      # the token's Account SID (an identifier, not the secret)
    # auth_token_env: MY_IMPACT_TOKEN  # for `scopeward audit --live`
    api_version: "{latest}"
    primary_contact: owner@example.com
    created: {today}
    last_used: never
    scopes: [{example_scopes}]
"#,
        today = jiff::Zoned::now().date(),
    )
}

pub(super) fn run(account_type: AccountTypeArg, dir: Option<&Path>) -> u8 {
    let dir = dir.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let ty = match account_type {
        AccountTypeArg::Brand => AccountType::Brand,
        AccountTypeArg::Partner => AccountType::Partner,
        AccountTypeArg::Agency => AccountType::Agency,
    };
    let catalogues = Catalogues::builtin();
    let latest = catalogues.get(ty).doc.latest_version.clone();
    let scopes = match ty {
        AccountType::Brand => "conversions:write, campaigns:read",
        AccountType::Partner => "deals:read, promo-codes:read",
        AccountType::Agency => "reports:read",
    };
    let include = crate::policy::DEFAULT_INCLUDE
        .iter()
        .map(|g| format!("\"{g}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let policy = dir.join(crate::policy::FILE_NAME);
    let starter = dir.join(format!("{ty}-tokens.yaml"));
    // A setup that has a policy gets the starter file of another account type added to it.
    if starter.exists() {
        return usage_error(format!(
            "{} already exists; init never overwrites",
            starter.display()
        ));
    }
    let mut files = vec![(starter, init_tokens(ty, &latest, scopes))];
    if policy.exists() {
        super::say(format_args!(
            "kept {} (it already exists)",
            policy.display()
        ));
    } else {
        files.insert(0, (policy, INIT_POLICY.replace("INCLUDE", &include)));
    }
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return usage_error(format!("cannot create {}: {e}", dir.display()));
    }
    for (path, text) in &files {
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            return usage_error(format!("cannot write {}: {e}", path.display()));
        }
        super::say(format_args!("wrote {}", path.display()));
    }
    super::say(format_args!(
        "next: edit the tokens, then run `scopeward check`"
    ));
    EXIT_CLEAN
}
