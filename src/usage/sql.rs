//! `scopeward usage-sql`: the query that turns a warehouse table of request logs into the
//! usage summary [`super::summary`] reads — the same attribution as the log readers (the SID
//! from the path, else from a SID-shaped user; a `_method` override counts as its method;
//! the query string dropped), in the SQL of DuckDB, BigQuery, Athena (Trino) or ClickHouse.
//!
//! The table needs a time column (a TIMESTAMP, in UTC), the method, the request target (a
//! path or a URL, query included), the status (an integer) and optionally the Basic-auth
//! user. Column and table names are checked and quoted, so no flag can change the query.
//! The regular expressions hold no backslash (ClickHouse and BigQuery would read it as an
//! escape) and one capturing group each (BigQuery allows no more).

use super::route::Router;
use crate::catalogue::Catalogues;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    BigQuery,
    Athena,
    ClickHouse,
}

/// Where the request logs are.
#[derive(Clone, Debug)]
pub struct Table {
    /// `name`, `schema.name` or (BigQuery) `project.dataset.name`.
    pub name: String,
    pub time: String,
    pub method: String,
    pub path: String,
    pub status: String,
    pub user: Option<String>,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            name: "requests".into(),
            time: "time".into(),
            method: "method".into(),
            path: "path".into(),
            status: "status".into(),
            user: None,
        }
    }
}

const SCHEME: &str = "^[A-Za-z]+://";

impl Dialect {
    fn quote(self, ident: &str) -> String {
        match self {
            Dialect::BigQuery => format!("`{ident}`"),
            _ => format!("\"{ident}\""),
        }
    }

    /// A table name, each part quoted (BigQuery: the whole path in one pair of backticks).
    fn table(self, name: &str) -> String {
        match self {
            Dialect::BigQuery => self.quote(name),
            _ => name
                .split('.')
                .map(|p| self.quote(p))
                .collect::<Vec<_>>()
                .join("."),
        }
    }

    fn literal(self, s: &str) -> String {
        debug_assert!(!s.contains(['\'', '\\']));
        match self {
            Dialect::BigQuery => format!("r'{s}'"),
            _ => format!("'{s}'"),
        }
    }

    /// The first capturing group of `re` in `s`, or NULL.
    fn extract(self, s: &str, re: &str) -> String {
        let re = self.literal(re);
        let e = match self {
            Dialect::DuckDb | Dialect::Athena => format!("regexp_extract({s}, {re}, 1)"),
            Dialect::BigQuery => format!("REGEXP_EXTRACT({s}, {re})"),
            Dialect::ClickHouse => format!("extract({s}, {re})"),
        };
        self.null_if_empty(&e)
    }

    fn null_if_empty(self, e: &str) -> String {
        match self {
            Dialect::ClickHouse => format!("nullIf({e}, '')"),
            _ => format!("nullif({e}, '')"),
        }
    }

    fn matches(self, s: &str, re: &str) -> String {
        let re = self.literal(re);
        match self {
            Dialect::DuckDb => format!("regexp_matches({s}, {re})"),
            Dialect::BigQuery => format!("REGEXP_CONTAINS({s}, {re})"),
            Dialect::Athena => format!("regexp_like({s}, {re})"),
            Dialect::ClickHouse => format!("match({s}, {re})"),
        }
    }

    fn text(self, e: &str) -> String {
        match self {
            Dialect::BigQuery => format!("CAST({e} AS STRING)"),
            Dialect::ClickHouse => format!("toString({e})"),
            _ => format!("CAST({e} AS VARCHAR)"),
        }
    }

    fn hundreds(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("({e} // 100)"),
            Dialect::BigQuery => format!("DIV({e}, 100)"),
            Dialect::Athena => format!("({e} / 100)"),
            Dialect::ClickHouse => format!("intDiv({e}, 100)"),
        }
    }

    /// RFC 3339 UTC, to the second.
    fn rfc3339(self, e: &str) -> String {
        match self {
            Dialect::DuckDb => format!("strftime({e}, '%Y-%m-%dT%H:%M:%SZ')"),
            Dialect::BigQuery => format!("FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', {e}, 'UTC')"),
            Dialect::Athena => format!("date_format({e}, '%Y-%m-%dT%H:%i:%sZ')"),
            Dialect::ClickHouse => format!("formatDateTime({e}, '%Y-%m-%dT%H:%i:%SZ', 'UTC')"),
        }
    }
}

/// A column or table name: letters, digits and `_` (and `-` in a BigQuery project), parts
/// separated by dots. Anything else could change the query.
fn check(kind: &str, name: &str, dialect: Dialect) -> Result<(), String> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || b == b'_'
                    || (b == b'-' && dialect == Dialect::BigQuery)
            })
    };
    let dots_ok = kind == "table" || !name.contains('.');
    if dots_ok && name.len() <= 256 && name.split('.').all(part_ok) {
        Ok(())
    } else {
        Err(format!(
            "invalid {kind} name `{}`: use letters, digits and `_`{}",
            crate::redact::scrub(name),
            if kind == "table" {
                " (parts separated by `.`)"
            } else {
                ""
            }
        ))
    }
}

/// The off-base operations' paths as one regular expression (`/PageLoad`, …).
fn off_base_re(router: &Router) -> String {
    let alts: Vec<String> = router
        .off_base_paths()
        .iter()
        .map(|p| {
            p.split('/')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    if s == "{}" {
                        "[^/]+".to_string()
                    } else {
                        s.to_ascii_lowercase()
                    }
                })
                .collect::<Vec<_>>()
                .join("/+")
        })
        .collect();
    format!(
        "^/+(?i:{})(?:[.](?i:json|xml))?/*$",
        if alts.is_empty() {
            // Nothing: `$` then a character never matches.
            "$x".to_string()
        } else {
            alts.join("|")
        }
    )
}

const BASE: &str = "(?i:advertisers?|mediapartners?|agency|agencies)";

/// The query.
/// Checks every name the query will hold.
fn check_table(table: &Table, dialect: Dialect) -> Result<(), String> {
    check("table", &table.name, dialect)?;
    for (kind, c) in [
        ("--time-col", &table.time),
        ("--method-col", &table.method),
        ("--path-col", &table.path),
        ("--status-col", &table.status),
    ]
    .into_iter()
    .chain(table.user.iter().map(|u| ("--user-col", u)))
    {
        check(kind, c, dialect)?;
    }
    Ok(())
}

/// The expressions of the query, over the columns `target`, `m_raw`, `st_raw`, `usr`,
/// `host` and `path_only`.
struct Exprs {
    url: String,
    method: String,
    host: String,
    path_only: String,
    sid: String,
    status: String,
    keep: String,
}

fn expressions(d: Dialect, router: &Router) -> Exprs {
    let coalesce_empty = |e: String| format!("coalesce({e}, '')");
    let path_only = "path_only";
    Exprs {
        // The target without user info, query or fragment: `scheme://host` kept, so that
        // `--usage-host` applies to the summary too.
        url: format!(
            "concat({}, {}, {})",
            coalesce_empty(d.extract("target", &format!("({SCHEME})"))),
            coalesce_empty(d.extract("target", &format!("{SCHEME}(?:[^/?#@]*@)?([^/?#]*)"))),
            coalesce_empty(d.extract("target", "^(?:[A-Za-z]+://[^/?#]*)?([^?#]*)")),
        ),
        // A `_method` override counts as its method.
        method: format!(
            "coalesce(upper({}), upper(m_raw))",
            d.extract(
                "target",
                "[?&](?i:_method)=((?i:get|put|post|patch|delete))(?:[&#]|$)"
            )
        ),
        host: format!(
            "lower(coalesce({}, ''))",
            d.extract("target", &format!("{SCHEME}(?:[^/?#@]*@)?([^/?#:]*)"))
        ),
        path_only: coalesce_empty(d.extract("target", "^(?:[A-Za-z]+://[^/?#]*)?([^?#]*)")),
        // The SID from the path, else a SID-shaped user (logged, or in the URL).
        sid: format!(
            "coalesce({}, CASE WHEN {} THEN usr END, {})",
            d.extract(
                path_only,
                &format!("^/+{BASE}/+(IR[A-Za-z0-9]{{8,62}})(?:/|$|[.](?i:json|xml)$)")
            ),
            d.matches("coalesce(usr, '')", "^IR[A-Za-z0-9]{30,40}$"),
            d.extract(
                "target",
                &format!("{SCHEME}(IR[A-Za-z0-9]{{30,40}})(?::[^/?#@]*)?@")
            ),
        ),
        status: format!(
            "CASE WHEN st_raw IN (401, 403) THEN {} WHEN st_raw IS NULL THEN '' ELSE concat({}, 'xx') END",
            d.text("st_raw"),
            d.text(&d.hundreds("st_raw"))
        ),
        // impact.com's requests: a base path, an off-base operation, or an impact.com host.
        keep: [
            d.matches(path_only, &format!("^/+{BASE}(?:/|$)")),
            d.matches(path_only, &off_base_re(router)),
            d.matches("host", "(?:^|[.])(?:impact|impactradius)[.]com$"),
        ]
        .join("\n     OR "),
    }
}

/// The query.
pub fn query(dialect: Dialect, table: &Table, catalogues: &Catalogues) -> Result<String, String> {
    check_table(table, dialect)?;
    let d = dialect;
    let q = |c: &str| format!("t.{}", d.quote(c));
    let user = table.user.as_deref().map_or_else(|| "NULL".to_string(), q);
    let Exprs {
        url,
        method,
        host,
        path_only,
        sid,
        status,
        keep,
    } = expressions(d, &Router::new(catalogues));
    let out = |name: &str| d.quote(name);
    Ok(format!(
        "-- scopeward usage summary (SPEC §8): one row per SID, method, path and status class.
-- Table {table}: {time} a TIMESTAMP in UTC; {method_col} the HTTP method; {path_col} the request
-- target (a path or a URL, query included); {status_col} the HTTP status, an integer{user_note}.
WITH r AS (
  SELECT {tcol} AS ts, {mcol} AS m_raw, {pcol} AS target, {scol} AS st_raw, {user} AS usr
  FROM {tname} AS t
),
p AS (
  SELECT ts, st_raw, usr,
    {method} AS m_eff,
    {url} AS url,
    {host} AS host,
    {path_expr} AS path_only,
    target
  FROM r
),
s AS (
  SELECT ts, m_eff, url, {sid} AS sid_,
    {status} AS st_class
  FROM p
  WHERE {keep}
)
SELECT coalesce(sid_, '') AS {o_sid}, m_eff AS {o_method}, url AS {o_path}, st_class AS {o_status},
  count(*) AS {o_count}, {first} AS {o_first}, {last} AS {o_last}
FROM s
GROUP BY sid_, m_eff, url, st_class
ORDER BY sid_, m_eff, url, st_class
",
        table = table.name,
        time = table.time,
        method_col = table.method,
        path_col = table.path,
        status_col = table.status,
        user_note = match &table.user {
            Some(u) => format!("; {u} the Basic-auth user"),
            None => String::new(),
        },
        tcol = q(&table.time),
        mcol = q(&table.method),
        pcol = q(&table.path),
        scol = q(&table.status),
        tname = d.table(&table.name),
        path_expr = path_only,
        o_sid = out("sid"),
        o_method = out("method"),
        o_path = out("path"),
        o_status = out("status"),
        o_count = out("count"),
        o_first = out("first_seen"),
        o_last = out("last_seen"),
        first = d.rfc3339("min(ts)"),
        last = d.rfc3339("max(ts)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_quotes_and_checks_names() {
        let cats = Catalogues::builtin();
        for d in [
            Dialect::DuckDb,
            Dialect::BigQuery,
            Dialect::Athena,
            Dialect::ClickHouse,
        ] {
            let sql = query(d, &Table::default(), &cats).unwrap();
            assert!(!sql.contains('\\'), "{d:?}: a backslash");
            assert!(sql.contains("pageload"), "{d:?}: {sql}");
            let bad = Table {
                path: "path; DROP TABLE x".into(),
                ..Table::default()
            };
            assert!(query(d, &bad, &cats).is_err());
            let bad = Table {
                name: "a\"b".into(),
                ..Table::default()
            };
            assert!(query(d, &bad, &cats).is_err());
        }
        let t = Table {
            name: "my-project.logs.requests".into(),
            user: Some("remote_user".into()),
            ..Table::default()
        };
        let sql = query(Dialect::BigQuery, &t, &cats).unwrap();
        assert!(sql.contains("`my-project.logs.requests`"), "{sql}");
        assert!(sql.contains("t.`remote_user`"), "{sql}");
        assert!(
            query(Dialect::DuckDb, &t, &cats).is_err(),
            "`-` only in BigQuery"
        );
    }
}
