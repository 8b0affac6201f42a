//! Where rules put findings: the policy's severity for each rule is applied on the way in.

use crate::finding::{Finding, FindingBuilder, RuleMeta};
use crate::policy::Policy;

use super::TokenRef;

impl FindingBuilder {
    /// A finding about a token: fills in token, account and environment.
    pub fn for_token(rule: &'static RuleMeta, t: TokenRef<'_>, message: impl Into<String>) -> Self {
        FindingBuilder::new(rule, message)
            .token_name(t.name())
            .account(
                t.account.kind,
                t.account.name.as_ref().map(|n| n.value.as_str()),
            )
            .environment(t.token.environment())
    }
}

/// Where rules put findings. Applies the policy's severity for the rule on the way in.
pub struct Sink<'a> {
    policy: &'a Policy,
    findings: Vec<Box<Finding>>,
}

impl<'a> Sink<'a> {
    pub fn new(policy: &'a Policy) -> Self {
        Sink {
            policy,
            findings: Vec::new(),
        }
    }

    pub fn push(&mut self, mut f: Finding) {
        let proposed = (f.severity != f.rule.default_severity).then_some(f.severity);
        if let Some(s) = self.policy.severity(f.rule, proposed) {
            f.severity = s;
            self.findings.push(Box::new(f));
        }
    }

    pub fn into_findings(self) -> Vec<Box<Finding>> {
        self.findings
    }

    pub fn len(&self) -> usize {
        self.findings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }
}
