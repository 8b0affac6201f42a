//! `scopeward usage-sql`: prints the warehouse query that makes a usage summary from a table
//! of request logs (`--usage` reads the summary like a log).

use super::{print, usage_error};
use crate::cli::{GlobalArgs, SqlDialect};
use crate::usage::sql::{self, Dialect, Table};

pub(super) fn run(g: &GlobalArgs, dialect: SqlDialect, table: Table) -> u8 {
    let dialect = match dialect {
        SqlDialect::Duckdb => Dialect::DuckDb,
        SqlDialect::Bigquery => Dialect::BigQuery,
        SqlDialect::Athena => Dialect::Athena,
        SqlDialect::Clickhouse => Dialect::ClickHouse,
    };
    let catalogues = match &g.catalogue {
        Some(dir) => {
            let mut sources = crate::source::SourceMap::new();
            let cwd = std::env::current_dir().unwrap_or_default();
            match crate::catalogue::Catalogues::load_dir(dir, &mut sources, &cwd) {
                Ok(c) => c,
                Err(_) => {
                    return usage_error(format!("cannot load the catalogues in {}", dir.display()));
                }
            }
        }
        None => crate::catalogue::Catalogues::builtin(),
    };
    match sql::query(dialect, &table, &catalogues) {
        Ok(q) => print(g, &q),
        Err(e) => usage_error(e),
    }
}
