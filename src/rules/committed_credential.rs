use super::{FindingBuilder, Rule, RuleMeta, Severity};
use crate::finding::Finding;
use crate::redact::redact;
use crate::scan::{Evidence, Hit};
use crate::source::{FileId, Span};

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
        options: [],
        needs: Scan,
    }
}

impl Rule for CommittedCredential {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
}

impl CommittedCredential {
    /// The finding for one hit of `scan`, located at the secret in `file`.
    pub fn finding(file: FileId, text: &str, hit: &Hit) -> Finding {
        let value = &text[hit.range.clone()];
        let shown = redact(value);
        let sid = hit.sid.as_deref();
        let message = match hit.evidence {
            Evidence::CredentialUrl => format!(
                "impact.com Auth Token `{shown}` in a URL with credentials{}",
                sid.map_or(String::new(), |s| format!(" for Account SID `{s}`"))
            ),
            Evidence::ToldByName => format!(
                "impact.com Auth Token `{shown}` assigned to `{}`",
                hit.name.as_deref().unwrap_or("?")
            ),
            Evidence::GenericNameInImpactFile => format!(
                "Auth Token `{shown}` assigned to `{}` in a file about impact.com",
                hit.name.as_deref().unwrap_or("?")
            ),
            Evidence::BesideSid => format!(
                "impact.com Auth Token `{shown}` beside its Account SID `{}`",
                sid.unwrap_or("?")
            ),
            Evidence::BareSid => format!(
                "impact.com Account SID `{value}` with no Auth Token beside it (an identifier, not a secret)"
            ),
        };
        // What the finding is about, never where: a hash of the secret and its name.
        let subject = crate::finding::fingerprint(&[value, hit.name.as_deref().unwrap_or("")]);
        let mut b = FindingBuilder::new(&Self::META, message).subject(subject);
        if let Some(s) = sid {
            b = b.token_name(s);
        }
        let span = Span::new(file, hit.range.start, hit.range.end);
        if hit.evidence == Evidence::BareSid {
            b.severity(Severity::Info)
                .help("nothing to do if this is meant to be here; an Auth Token must never be")
                .label("Account SID")
                .at(span)
        } else {
            b.help("remove it (and from the history), reset the token in impact.com — the old Auth Token stops working at once — and read the new one from the environment or a secret store")
                .label("Auth Token")
                .at(span)
        }
    }
}
