use super::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// `scopeward scan` looks through every file of a tree (or the files a pre-commit hook
    /// passes) for impact.com Auth Tokens: beside their Account SID, in a
    /// `https://SID:TOKEN@api.impact.com/…` URL (or `api.impactradius.com`), or assigned to a
    /// telling name such as `IMPACT_AUTH_TOKEN` or `IR_AUTH_TOKEN` — or `auth_token` in a file
    /// about impact.com — in env files, YAML, JSON, TOML, shell, Python, JavaScript and the like.
    /// A bare Account SID is an identifier, not a secret: it is reported as information only
    /// (and not at all under a `sid` key).
    ///
    /// ## Why is this bad?
    /// impact.com's own advice is never to keep tokens in source code, configuration files or
    /// version control. A committed Auth Token is readable by everyone with the repository and
    /// stays in its history after the line is deleted.
    ///
    /// ## Example
    /// ```sh
    /// # deploy/.env
    /// IMPACT_ACCOUNT_SID=IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    /// IMPACT_AUTH_TOKEN=Fk2Lm9Qz7Xc4Vb1Nw8Ep5Rt3Yu6Io0As
    /// ```
    ///
    /// Use instead: reset the token in impact.com (the old Auth Token stops working at once),
    /// and read the new one from the environment or a secret store at run time.
    /// ```sh
    /// # deploy/.env — the value comes from the CI secret store
    /// IMPACT_ACCOUNT_SID=IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1
    /// IMPACT_AUTH_TOKEN=${IMPACT_AUTH_TOKEN}
    /// ```
    pub struct CommittedCredential {
        id: "committed-credential",
        severity: Error,
        summary: "`scan`: an impact.com Auth Token (with its SID or other context) in a file",
        options: {},
        needs: Scan,
        security_severity: "9.5",
        precision: "high",
    }
}

/// Findings of this rule are made by `scan` (`scan::credential_finding`), which reads
/// files of any kind rather than definitions.
impl Rule for CommittedCredential {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
}
