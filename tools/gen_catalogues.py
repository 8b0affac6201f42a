#!/usr/bin/env python3
"""Generate scopeward's built-in scope catalogues from the endpoint reference.

Run from the repository root:

    python3 tools/gen_catalogues.py

Reads  tests/data/impact-endpoints.tsv (a verbatim copy of reference/impact-endpoints.tsv:
       account_type, api_version, method, path, operation_id, summary, category(=OpenAPI tag), spec_file)
Writes policies/catalogues/{brand,partner,agency}.yaml

Python 3 standard library only (the YAML is written by hand, every string double-quoted).
The output is deterministic: categories in the order SPEC.md section 1 lists them, operations in
TSV order. The script exits 1, naming the rows, if the mapping below is not total (an OpenAPI tag
with no category), if a category has no operation, or if a GET looks side-effecting but has not
been judged in SIDE_EFFECT_GETS / REVIEWED_SAFE_GETS.
"""

import csv
import os
import re
import sys

TSV_PATH = os.path.join("tests", "data", "impact-endpoints.tsv")
OUT_DIR = os.path.join("policies", "catalogues")
ACCOUNT_TYPES = ("brand", "partner", "agency")

DEFAULT_HOST = "api.impact.com"

# --------------------------------------------------------------------------------------------
# Per account type: base path, API versions (oldest first; reference/impact-api.md "API versions")
# and latest version. The TSV's api_version column ("v14", "16", "3.0") is deliberately ignored.
# --------------------------------------------------------------------------------------------
ACCOUNTS = {
    "brand": {
        "base_path": "/Advertisers/{AccountSID}",
        "versions": [("11", "2022-10-12"), ("12", "2024-05-06"), ("13", "2025-03-01"), ("14", "2026-06-01")],
        "latest": "14",
    },
    "partner": {
        "base_path": "/Mediapartners/{AccountSID}",
        "versions": [
            ("11", "2022-10-12"), ("12", "2022-10-12"), ("13", "2022-10-12"), ("14", "2022-10-12"),
            ("15", "2025-03-01"), ("16", "2026-06-01"),
        ],
        "latest": "16",
    },
    "agency": {
        "base_path": "/Agencies/{AccountSID}",
        "versions": [("2", "2022-10-12"), ("3", "2022-10-12")],
        "latest": "3",
    },
}

# --------------------------------------------------------------------------------------------
# Categories, in SPEC.md section 1 order (ids are public interface: keep them exactly).
# Each entry: (id, human name, sensitivity, description, [OpenAPI tags merged into it]).
# A comment gives the reason for every sensitivity that SPEC does not fix.
# --------------------------------------------------------------------------------------------
CATEGORIES = {
    "brand": [
        # high: SPEC.
        ("account", "Company Information", "high",
         "The brand's company profile: legal name, addresses, currency and account contacts.",
         ["Company Information"]),
        # medium: legal names, registration and tax identifiers of the brand's legal entities; read-only.
        ("legal-entities", "Legal Entities", "medium",
         "The legal entities the brand contracts and invoices through.",
         ["Legal Entities"]),
        # high: SPEC (commission payouts; write edits or reverses actions).
        ("actions", "Actions", "high",
         "Tracked conversions with their commissions, which writes can modify or reverse.",
         ["Actions"]),
        # high: the same commission data as actions, i.e. the history of modified and reversed commissions.
        ("action-updates", "Action Updates", "high",
         "The history of modifications and reversals applied to actions and their commissions.",
         ["Action Updates"]),
        # high: approving an inquiry creates a commission for the partner (money movement).
        ("action-inquiries", "Action Inquiries", "high",
         "Partners' claims for untracked conversions, which writes approve or decline.",
         ["Action Inquiries"]),
        # medium: writes change creatives and landing pages that partners' traffic is sent to.
        ("ads", "Ads", "medium",
         "Ads and creatives offered to partners, including their landing pages.",
         ["Ads"]),
        # medium: caller PII (phone numbers); logging call data can create commissionable actions.
        ("call-data", "Call Data", "medium",
         "Logging phone call data, including callers' phone numbers, for call tracking.",
         ["Call Data"]),
        # low: program metadata, read-only.
        ("campaigns", "Programs", "low",
         "The brand's programs (campaigns) and their settings.",
         ["Programs"]),
        # low: product catalogues are public product data.
        ("catalogs", "Catalogs", "low",
         "Product catalogues, their items and their import settings.",
         ["Catalogs", "Catalog Items"]),
        # medium: click records carry IP addresses and user agents; ClickExport spends a 10/day quota.
        ("clicks", "Clicks", "medium",
         "Individual click records and asynchronous click exports.",
         ["Clicks", "ClickExport"]),
        # medium: personal data (names, emails, phones) of partner contacts.
        ("contacts", "Contacts", "medium",
         "Partner contacts of a program with their names, emails and phone numbers.",
         ["Contacts"]),
        # medium: personal data and email-consent status.
        ("unsubscribed-contacts", "Unsubscribed Contacts", "medium",
         "Contacts who unsubscribed from a program's emails.",
         ["Unsubscribed Contacts"]),
        # high: SPEC (payout terms; write accepts or declines contracts).
        ("contracts", "Contracts", "high",
         "Partner contracts with their payout terms, which writes accept or decline.",
         ["Contracts"]),
        # medium: submitted conversions become commissionable actions, but this is the everyday integration.
        ("conversions", "Conversions", "medium",
         "Submitting conversion events that become tracked actions.",
         ["Conversions"]),
        # low: deals are public offers.
        ("deals", "Deals", "low",
         "Deals and offers promoted by partners.",
         ["Deals"]),
        # low: deferred deep link lookups for app installs, on trkapi.impact.com.
        ("deep-links", "Deferred Deep Linking", "low",
         "Looking up deferred deep link information for app installs.",
         ["Deferred Deep Linking"]),
        # medium: exception lists decide which items or partners earn commission.
        ("exception-lists", "Exception Lists", "medium",
         "Exception lists and their items, which exclude products or partners from commission terms.",
         ["Exception Lists", "Exception List Items"]),
        # high: SPEC.
        ("invoices", "Invoices", "high",
         "The brand's invoices and their PDF downloads.",
         ["Invoices"]),
        # medium: job results are exports that may hold any report or click data.
        ("jobs", "Jobs", "medium",
         "Asynchronous jobs, their status, result downloads and replays.",
         ["Jobs"]),
        # low: internal notes on a program's partners.
        ("notes", "Notes", "low",
         "Notes kept about partners in a program.",
         ["Notes"]),
        # low: page-load and app-open tracking events, on trkapi.impact.com.
        ("page-loads", "Page Load", "low",
         "Tracking page loads and app opens.",
         ["Page Load"]),
        # medium: group membership drives which payout terms partners receive.
        ("partner-groups", "Partner Groups", "medium",
         "Groups of partners within a program, used to target terms and communications.",
         ["Partner Groups"]),
        # high: SPEC.
        ("partners", "Partners", "high",
         "The brand's partners, including creating direct partners and updating their values.",
         ["Partners"]),
        # low: the brand's call-tracking numbers, read-only.
        ("phone-numbers", "Phone Numbers", "low",
         "Tracking phone numbers used for call attribution.",
         ["Phone Numbers"]),
        # medium: promo codes are discounts (money) and credit partners for sales.
        ("promo-codes", "Promo Codes", "medium",
         "Promo codes, which writes create or expire.",
         ["Promo Codes"]),
        # medium: decides which promo codes are excluded from partner credit.
        ("promo-code-exception-lists", "Promo Code Exception Lists", "medium",
         "Promo code exception lists and their items.",
         ["Promo Code Exception Lists", "Promo Code Exception List Items"]),
        # medium: revenue and payout figures; ReportExport spends a 100/day quota.
        ("reports", "Reports", "medium",
         "Performance reports, run directly or exported asynchronously.",
         ["Reports (Legacy)", "Report Export"]),
        # medium: redirect and block rules decide where tracked traffic goes; read-only here.
        ("routing-rules", "Routing Rules", "medium",
         "Rules that block or redirect tracked traffic in a program.",
         ["Routing Rules"]),
        # medium: error details echo rows of uploaded order files.
        ("submissions", "Submissions", "medium",
         "Status and error details of batch API and FTP file submissions.",
         ["API Submissions", "FTP Submissions"]),
        # low: workflow tasks, read-only.
        ("tasks", "Tasks", "low",
         "Workflow tasks in a program.",
         ["Tasks"]),
        # low: tracking links are handed to partners and are public by nature.
        ("tracking-links", "Tracking Links", "low",
         "Generating tracking links for partners.",
         ["Tracking Links"]),
        # medium: approving a request changes partners' tracking values and so attribution.
        ("tracking-value-requests", "Tracking Value Requests", "medium",
         "Partners' requests to change tracking values, which writes approve or reject.",
         ["Tracking Value Requests"]),
    ],
    "partner": [
        # high: SPEC.
        ("account", "Accounts", "high",
         "The partner's company profile and account details.",
         ["Accounts"]),
        # medium: claims for missing commissions (money), created by the partner.
        ("action-inquiries", "Action Inquiries", "medium",
         "Claims to brands for conversions that were not tracked.",
         ["Action Inquiries"]),
        # medium: the partner's commission earnings and action updates; read-only here.
        ("actions", "Actions", "medium",
         "Tracked actions credited to the partner with their commissions, items and updates.",
         ["Actions", "Action Updates"]),
        # low: creatives offered by brands, public by nature.
        ("ads", "Ads", "low",
         "Ads available to the partner, with their code and tracking links.",
         ["Ads"]),
        # low: joined programs' public metadata.
        ("campaigns", "Programs", "low",
         "The programs the partner has joined.",
         ["Programs"]),
        # low: public product data.
        ("catalogs", "Catalogs", "low",
         "Brands' product catalogues and their items.",
         ["Catalogs"]),
        # medium: click records carry IP addresses and user agents; ClickExport spends a 10/day quota.
        ("clicks", "Clicks", "medium",
         "Individual click records and asynchronous click exports.",
         ["Clicks", "ClickExport"]),
        # medium: the partner's payout terms; read-only.
        ("contracts", "Contracts", "medium",
         "The partner's contracts with brands and their payout terms.",
         ["Contracts"]),
        # medium: submitted conversions can become commissionable actions.
        ("conversions", "Conversions", "medium",
         "Submitting conversion events on the partner's side.",
         ["Conversions"]),
        # low: public offers.
        ("deals", "Deals", "low",
         "Deals offered by the programs the partner has joined.",
         ["Deals"]),
        # low: read-only lists of excluded items.
        ("exception-lists", "Exception Lists", "low",
         "Brands' exception lists and their items.",
         ["Exception Lists"]),
        # high: SPEC.
        ("identity-verification", "Identity Verification", "high",
         "Identity verification sessions for the partner's account holder.",
         ["Identity Verification"]),
        # medium: payments to the partner; read-only.
        ("invoices", "Invoices", "medium",
         "The partner's invoices and their downloads.",
         ["Invoices"]),
        # medium: job results are exports that may hold any report or click data.
        ("jobs", "Jobs", "medium",
         "Asynchronous jobs, their status, result downloads and replays.",
         ["Jobs"]),
        # low: the partner's own websites and channels.
        ("media-properties", "Media Properties", "low",
         "The partner's media properties (websites, apps, social accounts).",
         ["Media Properties"]),
        # low: codes assigned to the partner, read-only.
        ("promo-codes", "Promo Codes", "low",
         "Promo codes assigned to the partner.",
         ["Promo Codes"]),
        # low: read-only.
        ("promo-code-exception-lists", "Promo Code Exception Lists", "low",
         "Brands' promo code exception lists and their items.",
         ["Promo Code Exception Lists"]),
        # low: public promotions.
        ("promotions", "Promotions", "low",
         "Promotions offered by brands.",
         ["Promotions"]),
        # medium: earnings figures; ReportExport spends a 100/day quota.
        ("reports", "Reports", "medium",
         "Performance reports, run directly or exported asynchronously.",
         ["Reports", "Report Export"]),
        # low: public store listings.
        ("stores", "Stores", "low",
         "Brands' stores and their item groups.",
         ["Stores"]),
        # low: workflow tasks, read-only.
        ("tasks", "Tasks", "low",
         "Workflow tasks assigned to the partner.",
         ["Tasks"]),
        # high: SPEC.
        ("tax-documents", "Tax Documents", "high",
         "The partner's tax documents, which writes create and submit.",
         ["Tax Documents"]),
        # low: tracking links are public by nature.
        ("tracking-links", "Tracking Links", "low",
         "Generating tracking links for a program.",
         ["Tracking Links"]),
        # high: SPEC.
        ("users", "Users", "high",
         "The users of the partner account.",
         ["Users"]),
        # high: SPEC.
        ("withdrawal-settings", "Withdrawal Settings", "high",
         "Where and how the partner's earnings are paid out, including banking details.",
         ["Withdrawal Settings"]),
    ],
    "agency": [
        # high: SPEC.
        ("account", "Company Information", "high",
         "The agency's company profile and account details.",
         ["Company Information"]),
        # high: SPEC (Advertiser records embed the managed brand's credentials in RestAccountURL).
        ("advertisers", "Advertisers", "high",
         "The brands the agency manages, whose records embed their API credentials.",
         ["Advertisers"]),
        # medium: submits partner content for compliance review and reads the findings.
        ("compliance", "Compliance Content", "medium",
         "Submitting content for compliance review and reading the results.",
         ["Compliance Content"]),
        # medium: job results are exports that may hold any report data.
        ("jobs", "Jobs", "medium",
         "Asynchronous jobs, their status, result downloads and replays.",
         ["Jobs"]),
        # medium: performance figures across managed brands; ReportExport spends a 100/day quota.
        ("reports", "Reports", "medium",
         "Performance reports, run directly or exported asynchronously.",
         ["Reports (Legacy)", "ReportExport"]),
    ],
}

# Tags that are not API operations: the partner "Event Notifications" are webhooks impact.com
# sends to the partner (SPEC section 1). Their rows are dropped.
DROPPED_TAGS = {("partner", "Event Notifications")}

# --------------------------------------------------------------------------------------------
# GETs with side effects: access "write", probe_safe false. Keyed by (account_type, path).
# Judged from every GET's path and summary in the TSV:
#   - ReportExport (brand, partner, agency): creates an export job against the 100/day quota.
#   - ClickExport (brand, partner): creates an export job against the 10/day quota.
#   - /calldata/logCallData via GET (brand): logs call data, i.e. records tracking data.
# Reviewed and judged free of side effects (stay read, probe-safe): job and invoice downloads
# (fetch an existing file), legacy "Run a report" (synchronous, creates nothing), ad
# code / tracking-link retrieval, compliance submission status/results lookups.
# --------------------------------------------------------------------------------------------
SIDE_EFFECT_GETS = {
    ("brand", "/Advertisers/{AccountSID}/ReportExport/{ReportId_or_Handle}"),
    ("partner", "/Mediapartners/{AccountSID}/ReportExport/{Id}"),
    ("agency", "/Agencies/{AccountSID}/ReportExport/{ReportId}"),
    ("brand", "/Advertisers/{AccountSID}/Programs/{ProgramId}/ClickExport"),
    ("partner", "/Mediapartners/{AccountSID}/ClickExport"),
    ("brand", "/calldata/logCallData"),
}

# GETs whose path or summary matches SUSPECT_GET but that were reviewed and judged side-effect free.
REVIEWED_SAFE_GETS = {
    ("brand", "/Advertisers/{AccountSID}/Invoices/{InvoiceId}/Download"),
    ("brand", "/Advertisers/{AccountSID}/Jobs/{JobId}/Download"),
    ("brand", "/Advertisers/{AccountSID}/Reports/{ReportId}"),
    ("partner", "/Mediapartners/{AccountSID}/Invoices/{Id}/Download"),
    ("partner", "/Mediapartners/{AccountSID}/Jobs/{JobId}/Download"),
    ("partner", "/Mediapartners/{AccountSID}/Reports/{Id}"),
    ("agency", "/Agencies/{AccountSID}/Jobs/{JobId}/Download"),
    ("agency", "/Agencies/{AccountSID}/Reports/{ReportId}"),
}

# A GET matching this (in its path or summary) must be judged in one of the two sets above, so a
# new export-like GET in a future TSV cannot silently become a probe-safe read.
SUSPECT_GET = re.compile(
    r"export|(?<![a-z])log(?![o])|send|notif|create|generat|submit|run|replay|download|upload|trigger|async",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------------------------
# Hosts. /PageLoad and /DeferredDeepLink live on trkapi.impact.com (reference/impact-api.md).
# The call-data host is INFERRED: the reference only says call data lives on "a call-data host";
# calldata.impact.com is our best guess and should be corrected if impact.com documents another.
# --------------------------------------------------------------------------------------------
HOST_PREFIXES = [
    ("/PageLoad", "trkapi.impact.com"),
    ("/DeferredDeepLink", "trkapi.impact.com"),
    ("/calldata/", "calldata.impact.com"),  # inferred host
]

READ_METHODS = {"GET", "HEAD"}


def fail(msg):
    sys.stderr.write("gen_catalogues: error: " + msg + "\n")
    sys.exit(1)


def host_for(path):
    for prefix, host in HOST_PREFIXES:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/") or path.startswith(prefix + "?"):
            return host
    return DEFAULT_HOST


def q(s):
    """A YAML double-quoted scalar."""
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def read_rows():
    if not os.path.exists(TSV_PATH):
        fail("%s not found (run from the repository root)" % TSV_PATH)
    with open(TSV_PATH, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        expected = ["account_type", "api_version", "method", "path", "operation_id", "summary",
                    "category", "spec_file"]
        if reader.fieldnames != expected:
            fail("unexpected TSV header %r, expected %r" % (reader.fieldnames, expected))
        rows = []
        for lineno, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                fail("%s:%d: wrong number of columns" % (TSV_PATH, lineno))
            row = {k: v.strip() for k, v in row.items()}
            row["lineno"] = lineno
            rows.append(row)
    return rows


def build():
    tag_map = {}
    for acct, cats in CATEGORIES.items():
        ids = [c[0] for c in cats]
        if len(set(ids)) != len(ids):
            fail("duplicate category id for %s" % acct)
        for cid, _name, sens, _desc, tags in cats:
            if sens not in ("high", "medium", "low"):
                fail("bad sensitivity %r for %s %s" % (sens, acct, cid))
            for tag in tags:
                if (acct, tag) in tag_map:
                    fail("tag %r mapped twice for %s" % (tag, acct))
                tag_map[(acct, tag)] = cid

    rows = read_rows()
    ops = {acct: {c[0]: [] for c in CATEGORIES[acct]} for acct in ACCOUNT_TYPES}
    seen_tags = {acct: {c[0]: set() for c in CATEGORIES[acct]} for acct in ACCOUNT_TYPES}
    errors = []
    used_side_effect = set()
    used_reviewed = set()
    seen_ops = set()

    for row in rows:
        acct, tag, method, path = row["account_type"], row["category"], row["method"].upper(), row["path"]
        where = "%s:%d" % (TSV_PATH, row["lineno"])
        if acct not in ACCOUNTS:
            errors.append("%s: unknown account type %r" % (where, acct))
            continue
        if (acct, tag) in DROPPED_TAGS:
            continue
        cid = tag_map.get((acct, tag))
        if cid is None:
            errors.append("%s: %s tag %r (%s %s) has no category mapping" % (where, acct, tag, method, path))
            continue
        key = (acct, method, path)
        if key in seen_ops:
            errors.append("%s: duplicate operation %s %s %s" % (where, acct, method, path))
        seen_ops.add(key)

        if method in READ_METHODS:
            if (acct, path) in SIDE_EFFECT_GETS:
                access, probe_safe = "write", False
                used_side_effect.add((acct, path))
            else:
                access, probe_safe = "read", True
                if (acct, path) in REVIEWED_SAFE_GETS:
                    used_reviewed.add((acct, path))
                elif SUSPECT_GET.search(path) or SUSPECT_GET.search(row["summary"]):
                    errors.append("%s: %s %s %s (%r) may have side effects: judge it in SIDE_EFFECT_GETS "
                                  "or REVIEWED_SAFE_GETS" % (where, acct, method, path, row["summary"]))
        else:
            access, probe_safe = "write", False

        ops[acct][cid].append({
            "method": method,
            "path": path,
            "operation_id": row["operation_id"],
            "summary": row["summary"],
            "access": access,
            "probe_safe": probe_safe,
            "host": host_for(path),
        })
        seen_tags[acct][cid].add(tag)

    for entry in sorted(SIDE_EFFECT_GETS - used_side_effect):
        errors.append("SIDE_EFFECT_GETS entry %r matches no GET in the TSV" % (entry,))
    for entry in sorted(REVIEWED_SAFE_GETS - used_reviewed):
        errors.append("REVIEWED_SAFE_GETS entry %r matches no GET in the TSV" % (entry,))
    for acct in ACCOUNT_TYPES:
        for cid in ops[acct]:
            if not ops[acct][cid]:
                errors.append("%s category %r has no operation in the TSV" % (acct, cid))
    if errors:
        fail("\n  " + "\n  ".join(errors))
    return ops, seen_tags


def render(acct, ops, seen_tags):
    info = ACCOUNTS[acct]
    lines = [
        "# scopeward catalogue: %s \u2014 generated by tools/gen_catalogues.py from %s."
        % (acct, "tests/data/impact-endpoints.tsv"),
        "# Do not edit by hand: change the script or the TSV and regenerate.",
        "account_type: %s" % acct,
        "base_path: %s" % q(info["base_path"]),
        "default_host: %s" % q(DEFAULT_HOST),
        "latest_version: %s" % q(info["latest"]),
        "versions:",
    ]
    for version, released in info["versions"]:
        lines.append("  - version: %s" % q(version))
        lines.append("    released: %s" % q(released))
    lines.append("categories:")
    for cid, name, sens, desc, tags in CATEGORIES[acct]:
        present = [t for t in tags if t in seen_tags[acct][cid]]
        lines.append("  - id: %s" % q(cid))
        lines.append("    name: %s" % q(name))
        lines.append("    sensitivity: %s" % q(sens))
        lines.append("    description: %s" % q(desc))
        lines.append("    tags: [%s]" % ", ".join(q(t) for t in present))
        lines.append("    operations:")
        for op in ops[acct][cid]:
            lines.append("      - method: %s" % q(op["method"]))
            lines.append("        path: %s" % q(op["path"]))
            lines.append("        operation_id: %s" % q(op["operation_id"]))
            lines.append("        summary: %s" % q(op["summary"]))
            lines.append("        access: %s" % q(op["access"]))
            lines.append("        probe_safe: %s" % ("true" if op["probe_safe"] else "false"))
            lines.append("        host: %s" % q(op["host"]))
    return "\n".join(lines) + "\n"


def main():
    ops, seen_tags = build()
    os.makedirs(OUT_DIR, exist_ok=True)
    for acct in ACCOUNT_TYPES:
        out = os.path.join(OUT_DIR, acct + ".yaml")
        text = render(acct, ops, seen_tags)
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        n_ops = sum(len(v) for v in ops[acct].values())
        print("wrote %s: %d categories, %d operations" % (out, len(CATEGORIES[acct]), n_ops))


if __name__ == "__main__":
    main()
