use super::util::{domain_allowed, email_domain};
use super::{FindingBuilder, Rule, RuleMeta, Run, Sink, TokenRef};

declare_rule! {
    /// ## What it does
    /// Flags a primary or developer contact whose address is outside the environment's
    /// `allowed_contact_domains` (subdomains count as inside). Environments without that
    /// setting are not checked.
    ///
    /// ## Why is this bad?
    /// Contacts receive the token's notices and are who impact.com support will talk to about
    /// it. An agency's or a personal address on a production token means someone outside the
    /// company controls it.
    ///
    /// ## Example
    /// ```toml
    /// [environments.production]
    /// allowed_contact_domains = ["acme.example"]
    /// ```
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     environment: production
    ///     primary_contact: ops@acme.example
    ///     developer_contacts: [dev@agency.example]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// account: {type: brand}
    /// tokens:
    ///   - name: orders
    ///     environment: production
    ///     primary_contact: ops@acme.example
    ///     developer_contacts: [dev@eu.acme.example]
    /// ```
    pub struct ExternalContact {
        id: "external-contact",
        severity: Warning,
        summary: "a contact outside the environment's `allowed_contact_domains`",
        options: {},
        security_severity: "3.5",
    }
}

impl Rule for ExternalContact {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_token(&self, run: &Run<'_>, t: TokenRef<'_>, out: &mut Sink<'_>) {
        let doc = t.doc();
        let contacts = || {
            doc.primary_contact
                .iter()
                .chain(doc.developer_contacts.iter().flat_map(|d| d.value.iter()))
        };
        for env in &t.token.environments {
            let Some(policy_env) = run.policy.environment(&env.value) else {
                continue;
            };
            let Some(allowed) = &policy_env.allowed_contact_domains else {
                continue;
            };
            for contact in contacts() {
                let domain = email_domain(&contact.value);
                let ok = domain
                    .as_deref()
                    .is_some_and(|d| allowed.iter().any(|a| domain_allowed(d, &a.value)));
                if ok {
                    continue;
                }
                let list: Vec<&str> = allowed.iter().map(|a| a.value.as_str()).collect();
                let message = match &domain {
                    Some(d) => format!(
                        "contact `{}` of token `{}` is at `{d}`, which is not among {}'s allowed contact domains ({})",
                        contact.value,
                        t.name(),
                        env.value,
                        list.join(", ")
                    ),
                    None => format!(
                        "contact `{}` of token `{}` is not an e-mail address",
                        contact.value,
                        t.name()
                    ),
                };
                let mut b = FindingBuilder::for_token(&Self::META, t, message)
                    .help(format!("use an address in {}", list.join(", ")))
                    .label(if domain.is_some() {
                        "external contact"
                    } else {
                        "not an e-mail address"
                    })
                    .subject(format!("{}:{}", env.value, contact.value));
                if let Some(first) = allowed.first() {
                    b = b.related(first.span, "allowed domains");
                }
                out.push(b.at(contact.span));
            }
        }
    }
}
