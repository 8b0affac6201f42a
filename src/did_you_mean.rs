//! Did-you-mean suggestions (Jaro-Winkler similarity, as Cedar and clap do).

/// The closest candidate to `input`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lowered = input.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = if c.bytes().any(|b| b.is_ascii_uppercase()) {
            strsim::jaro_winkler(&lowered, &c.to_ascii_lowercase())
        } else {
            strsim::jaro_winkler(&lowered, c)
        };
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Words impact.com itself (its API paths and older docs) uses for the account types.
const ACCOUNT_TYPE_WORDS: &[(&str, &str, &str)] = &[
    ("advertiser", "brand", "brand accounts `Advertisers`"),
    ("advertisers", "brand", "brand accounts `Advertisers`"),
    ("publisher", "partner", "partner accounts `Mediapartners`"),
    ("publishers", "partner", "partner accounts `Mediapartners`"),
    (
        "mediapartner",
        "partner",
        "partner accounts `Mediapartners`",
    ),
    (
        "mediapartners",
        "partner",
        "partner accounts `Mediapartners`",
    ),
    (
        "media-partner",
        "partner",
        "partner accounts `Mediapartners`",
    ),
    (
        "media_partner",
        "partner",
        "partner accounts `Mediapartners`",
    ),
    ("affiliate", "partner", "partners affiliates"),
    ("agencies", "agency", "agency accounts `Agencies`"),
];

/// The account type impact.com means by one of its own words (`advertiser` is a brand), with
/// a note saying so, when `candidates` holds it.
pub fn account_type_word<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<(&'a str, &'static str)> {
    let lowered = input.trim().to_ascii_lowercase();
    let (_, ty, why) = ACCOUNT_TYPE_WORDS.iter().find(|(w, _, _)| *w == lowered)?;
    let found = candidates.into_iter().find(|c| c == ty)?;
    Some((found, why))
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_names_only() {
        let names = ["environment", "description", "scopes"];
        assert_eq!(
            super::did_you_mean("enviroment", names),
            Some("environment")
        );
        assert_eq!(super::did_you_mean("scope", names), Some("scopes"));
        assert_eq!(super::did_you_mean("zzz", names), None);
    }
}
