//! The built-in catalogues against impact.com's documented operations
//! (`tests/data/impact-endpoints.tsv`, copied from the reference material).

use scopeward::catalogue::{Access, Catalogues, Sensitivity};
use scopeward::model::AccountType;

mod common;

struct Row {
    account: String,
    method: String,
    path: String,
    operation_id: String,
    tag: String,
}

fn rows() -> Vec<Row> {
    let text = include_str!("data/impact-endpoints.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        header,
        [
            "account_type",
            "api_version",
            "method",
            "path",
            "operation_id",
            "summary",
            "category",
            "spec_file"
        ]
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                account: f[0].into(),
                method: f[2].into(),
                path: f[3].into(),
                operation_id: f[4].into(),
                tag: f[6].into(),
            }
        })
        .collect()
}

#[test]
fn every_documented_operation_lands_in_exactly_one_category() {
    let cats = Catalogues::builtin();
    let rows = rows();
    assert_eq!(rows.len(), 117 + 74 + 15);
    let mut seen = 0;
    for row in &rows {
        if row.account == "partner" && row.tag == "Event Notifications" {
            continue; // webhooks impact.com sends, not API operations (SPEC §1)
        }
        let ty = AccountType::parse(&row.account).unwrap();
        let homes: Vec<&str> = cats
            .get(ty)
            .doc
            .categories
            .iter()
            .filter(|c| {
                c.operations.iter().any(|op| {
                    op.method == row.method
                        && op.path == row.path
                        && op.operation_id == row.operation_id
                })
            })
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            homes.len(),
            1,
            "{} {} {} is in {:?}",
            row.account,
            row.method,
            row.path,
            homes
        );
        seen += 1;
    }
    let total: usize = cats
        .iter()
        .map(|c| {
            c.doc
                .categories
                .iter()
                .map(|c| c.operations.len())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(
        seen, total,
        "the catalogues hold operations the reference does not list"
    );
}

#[test]
fn category_ids_are_exactly_the_specs() {
    let spec = [
        (AccountType::Brand, common::SPEC_BRAND_CATEGORIES),
        (AccountType::Partner, common::SPEC_PARTNER_CATEGORIES),
        (AccountType::Agency, common::SPEC_AGENCY_CATEGORIES),
    ];
    let cats = Catalogues::builtin();
    for (ty, ids) in spec {
        let mut have: Vec<&str> = cats
            .get(ty)
            .doc
            .categories
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let mut want = ids.to_vec();
        have.sort();
        want.sort();
        assert_eq!(have, want, "{ty}");
    }
}

#[test]
fn sensitivity_access_and_probe_safety_follow_the_spec() {
    let cats = Catalogues::builtin();
    let high = [
        (
            AccountType::Brand,
            ["account", "actions", "contracts", "invoices", "partners"].as_slice(),
        ),
        (
            AccountType::Partner,
            [
                "account",
                "identity-verification",
                "tax-documents",
                "users",
                "withdrawal-settings",
            ]
            .as_slice(),
        ),
        (AccountType::Agency, ["account", "advertisers"].as_slice()),
    ];
    for (ty, ids) in high {
        for id in ids {
            assert_eq!(
                cats.get(ty).category(id).unwrap().sensitivity,
                Sensitivity::High,
                "{ty} {id}"
            );
        }
    }
    for c in cats.iter() {
        for cat in &c.doc.categories {
            for op in &cat.operations {
                let side_effect = op.path.contains("ReportExport")
                    || op.path.contains("ClickExport")
                    || op.path.contains("calldata");
                if op.method != "GET" || side_effect {
                    assert_eq!(op.access, Access::Write, "{} {}", op.method, op.path);
                    assert!(
                        !op.probe_safe,
                        "{} {} must never be probed",
                        op.method, op.path
                    );
                } else {
                    assert_eq!(op.access, Access::Read, "{} {}", op.method, op.path);
                }
            }
        }
    }
    // Other hosts are recorded.
    let brand = cats.get(AccountType::Brand);
    let host = |id: &str| {
        brand.category(id).unwrap().operations[0]
            .host
            .clone()
            .unwrap()
    };
    assert_eq!(host("page-loads"), "trkapi.impact.com");
    assert_eq!(host("deep-links"), "trkapi.impact.com");
    assert_ne!(host("call-data"), "api.impact.com");
}
