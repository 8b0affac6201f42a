use super::{FindingBuilder, Rule, RuleMeta, Run, Severity, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags an `api_version` older than the catalogue's latest for the account type, and (as
    /// an error) a version that does not exist.
    ///
    /// ## Why is this bad?
    /// Old API versions miss fixes and are retired in time; impact.com lets a token be
    /// upgraded in place. An unknown version is a typo.
    ///
    /// ## Example
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     api_version: "12"
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     api_version: "14"
    /// ```
    pub struct OutdatedApiVersion {
        id: "outdated-api-version",
        severity: Warning,
        summary: "`api_version` older than the catalogue's latest (unknown version: error)",
        options: {},
        security_severity: "2.0",
    }
}

impl Rule for OutdatedApiVersion {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, _run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let Some(v) = &t.doc().api_version else {
            return;
        };
        let version = v.value.0.as_str();
        let doc = &t.catalogue.doc;
        let latest = doc.latest_version.as_str();
        if version == latest {
            return;
        }
        let known: Vec<&str> = doc.versions.iter().map(|x| x.version.as_str()).collect();
        let finding = if !t.catalogue.is_known_version(version) {
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` uses unknown {} API version `{version}`",
                    t.name(),
                    t.account.kind
                ),
            )
            .severity(Severity::Error)
            .help(format!(
                "{} API versions are {}; the latest is {latest}",
                t.account.kind,
                known.join(", ")
            ))
            .label("unknown version")
        } else {
            let pos = |x: &str| known.iter().position(|k| *k == x);
            if pos(version) > pos(latest) {
                return;
            }
            let released = doc
                .versions
                .iter()
                .find(|x| x.version == latest)
                .map(|x| format!(" (released {})", x.released))
                .unwrap_or_default();
            FindingBuilder::for_token(
                &Self::META,
                t,
                format!(
                    "token `{}` uses {} API version {version}; the latest is {latest}{released}",
                    t.name(),
                    t.account.kind
                ),
            )
            .help("upgrade the token's version in impact.com after testing the integration against it")
            .label("outdated")
        };
        out.push(finding.at(v.span));
    }
}
