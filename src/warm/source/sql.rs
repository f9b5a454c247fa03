//! SQL sources: SQLite, PostgreSQL and MySQL/MariaDB through sqlx, each with its own pool.
//!
//! sqlx's `Any` driver cannot decode NUMERIC, TIMESTAMPTZ, JSONB or UUID, so rows are mapped to
//! JSON per driver by column type. Plan SQL is runtime text: every value is bound, never
//! formatted in. The mapping, which the README documents:
//! integers and floats → numbers; NUMERIC/DECIMAL → strings (no precision lost); booleans →
//! true/false; text → strings; timestamps → RFC 3339 (with zone when the column has one);
//! dates and times → ISO 8601; JSON/JSONB → nested JSON; UUID → string; blobs → base64; NULL → null.

use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::mysql::{MySqlPool, MySqlRow};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{AssertSqlSafe, Column, Executor, Row, SqlSafeStr, Statement, TypeInfo, ValueRef};
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::warm::plan::SqlSource;
use crate::warm::source::{CHUNK_ROWS, Chunk};

#[derive(Clone, Debug)]
pub enum SqlPool {
    /// A SQLite file, read through rusqlite on a blocking thread: sqlx's SQLite driver hands
    /// every row (and a copy of every value) across threads, which made reading the
    /// bottleneck of a million-row warm.
    Sqlite(PathBuf),
    Postgres(PgPool),
    MySql(MySqlPool),
}

fn sql_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Source(format!("{what}: {e}"))
}

/// A database's error about `query`, in the database's words, pointing into the query where
/// the server says the problem is (PostgreSQL's own `at line N` is a line of its C source,
/// of no use to the plan's author).
pub(super) fn query_err(what: &str, query: &str, e: sqlx::Error) -> Error {
    database_err(what, Some(query), e)
}

/// `query_err` for an error with no query to point into (connecting): the database's words
/// and code, never PostgreSQL's source line.
fn database_err(what: &str, query: Option<&str>, e: sqlx::Error) -> Error {
    let Some(pg) = e
        .as_database_error()
        .and_then(|d| d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
    else {
        return sql_err(what, e);
    };
    let mut text = format!("{what}: {} ({})", pg.message(), pg.code());
    if let (Some(sqlx::postgres::PgErrorPosition::Original(at)), Some(query)) =
        (pg.position(), query)
    {
        text.push_str(&format!(", {}", position_in(query, at)));
    }
    if let Some(detail) = pg.detail() {
        text.push_str(&format!("; {detail}"));
    }
    if let Some(hint) = pg.hint() {
        text.push_str(&format!("; hint: {hint}"));
    }
    Error::Source(text)
}

/// `at` (1-based, in characters) as the query's line and column, with the text around it.
fn position_in(query: &str, at: usize) -> String {
    let before: Vec<char> = query.chars().take(at.saturating_sub(1)).collect();
    let line = before.iter().filter(|c| **c == '\n').count() + 1;
    let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
    let near: String = query
        .chars()
        .skip(at.saturating_sub(1))
        .take(30)
        .take_while(|c| *c != '\n')
        .collect();
    format!("at query line {line}, column {column}: `{near}`")
}

/// A pool of connections to `src`, after one made on its own (`first_connection`).
async fn pool<DB: sqlx::Database>(src: &SqlSource, max: u32) -> Result<sqlx::Pool<DB>> {
    first_connection::<DB::Connection>(src).await?;
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(max)
        .acquire_timeout(src.timeout)
        .connect(&src.url)
        .await
        .map_err(|e| database_err(&format!("connecting to {}", src.display), None, e))
}

/// One connection made and closed within the source's timeout, before the pool: the pool
/// retries a refused connection until its own deadline and then says only "pool timed out",
/// while this says what really happened (refused, no such database, bad password) at once.
async fn first_connection<C: sqlx::Connection>(src: &SqlSource) -> Result<()> {
    match tokio::time::timeout(src.timeout, C::connect(&src.url)).await {
        Err(_) => Err(Error::Source(format!(
            "connecting to {}: no answer within {} (the source's timeout)",
            src.display,
            crate::ttl::human_ms(src.timeout.as_millis() as u64)
        ))),
        Ok(Err(e)) => Err(database_err(
            &format!("connecting to {}", src.display),
            None,
            e,
        )),
        Ok(Ok(c)) => {
            let _ = c.close().await;
            Ok(())
        }
    }
}

/// What a server-prepared statement says of itself.
fn described<S: Statement>(stmt: &S) -> Described {
    let (params, param_types) = match stmt.parameters() {
        Some(sqlx::Either::Left(types)) => (
            Some(types.len()),
            types.iter().map(|t| t.name().to_string()).collect(),
        ),
        Some(sqlx::Either::Right(n)) => (Some(n), Vec::new()),
        None => (None, Vec::new()),
    };
    Described {
        columns: column_names(stmt.columns()),
        params,
        param_types,
    }
}

/// A prepared query, as the server describes it.
pub struct Described {
    pub columns: Vec<String>,
    /// Parameters the query takes, when the driver says.
    pub params: Option<usize>,
    /// Their types (PostgreSQL), by the server's names (`INT4`, `TEXT`).
    pub param_types: Vec<String>,
}

impl SqlPool {
    pub async fn connect(src: &SqlSource, max_connections: u32) -> Result<SqlPool> {
        // `sslmode=require` and friends: TLS through the process's crypto provider.
        crate::conn::install_crypto();
        let scheme = src.url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => {
                let path = PathBuf::from(
                    src.url
                        .trim_start_matches("sqlite://")
                        .trim_start_matches("sqlite:"),
                );
                let init = src.init.clone();
                let display = src.display.clone();
                tokio::task::spawn_blocking(move || -> Result<()> {
                    let missing = !path.exists();
                    if missing && init.is_none() {
                        return Err(Error::Source(format!(
                            "connecting to {display}: no such file"
                        )));
                    }
                    let conn = rusqlite::Connection::open(&path)
                        .map_err(|e| sql_err(&format!("opening {display}"), e))?;
                    if missing && let Some(init) = &init {
                        let script = std::fs::read_to_string(init).map_err(|e| Error::Io {
                            context: format!("reading {}", init.display()),
                            error: e,
                        })?;
                        conn.execute_batch(&script).map_err(|e| {
                            sql_err(
                                &format!("creating {} from {}", path.display(), init.display()),
                                e,
                            )
                        })?;
                    }
                    Ok(())
                })
                .await
                .map_err(|e| Error::Source(e.to_string()))??;
                Ok(SqlPool::Sqlite(PathBuf::from(
                    src.url
                        .trim_start_matches("sqlite://")
                        .trim_start_matches("sqlite:"),
                )))
            }
            "postgres" | "postgresql" => Ok(SqlPool::Postgres(
                pool::<sqlx::Postgres>(src, max_connections).await?,
            )),
            "mysql" => Ok(SqlPool::MySql(
                pool::<sqlx::MySql>(src, max_connections).await?,
            )),
            other => Err(Error::Source(format!(
                "{}: unsupported scheme `{other}`",
                src.display
            ))),
        }
    }

    /// The columns `query` returns, from the server's own preparation of the statement.
    pub async fn columns(&self, query: &str) -> Result<Vec<String>> {
        Ok(self.describe(query).await?.columns)
    }

    /// What the server's own preparation of `query` says: its columns, how many parameters it
    /// takes and, where the server says (PostgreSQL), their types.
    pub async fn describe(&self, query: &str) -> Result<Described> {
        let err = |e| query_err("preparing the query", query, e);
        let sql = || AssertSqlSafe(query.to_string()).into_sql_str();
        Ok(match self {
            SqlPool::Sqlite(path) => {
                let (path, query) = (path.clone(), query.to_string());
                tokio::task::spawn_blocking(move || -> Result<Described> {
                    let conn = open_read_only(&path)?;
                    let stmt = conn
                        .prepare(&query)
                        .map_err(|e| sql_err("preparing the query", e))?;
                    Ok(Described {
                        columns: stmt.column_names().iter().map(|c| c.to_string()).collect(),
                        params: Some(stmt.parameter_count()),
                        param_types: Vec::new(),
                    })
                })
                .await
                .map_err(|e| Error::Source(e.to_string()))??
            }
            SqlPool::Postgres(p) => described(&p.prepare(sql()).await.map_err(err)?),
            SqlPool::MySql(p) => described(&p.prepare(sql()).await.map_err(err)?),
        })
    }

    /// Stream the rows of `query` with `params` bound, as JSON objects, into `tx`. Returns when
    /// the rows are exhausted or the receiver is gone.
    pub async fn stream(
        &self,
        query: &str,
        params: &[Value],
        tx: mpsc::Sender<Chunk>,
    ) -> Result<()> {
        macro_rules! run {
            ($pool:expr, $row_to_json:ident) => {{
                // Plan SQL is runtime text by design; every value in it is bound below.
                let mut q = sqlx::query(AssertSqlSafe(query.to_string()));
                for p in params {
                    q = match p {
                        Value::Null => q.bind(None::<String>),
                        Value::Bool(b) => q.bind(*b),
                        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                            (Some(i), _) => q.bind(i),
                            (None, Some(f)) => q.bind(f),
                            _ => q.bind(n.to_string()),
                        },
                        Value::String(s) => q.bind(s.clone()),
                        other => q.bind(other.to_string()),
                    };
                }
                let mut rows = q.fetch($pool);
                let mut chunk = Vec::with_capacity(CHUNK_ROWS);
                // Names and type names, read off the first row once: per value they cost a
                // String each, more than the value's own decoding.
                let mut columns: Vec<(String, String)> = Vec::new();
                while let Some(row) = rows
                    .try_next()
                    .await
                    .map_err(|e| query_err("running the query", query, e))?
                {
                    if columns.is_empty() {
                        columns = row
                            .columns()
                            .iter()
                            .map(|c| (c.name().to_string(), c.type_info().name().to_string()))
                            .collect();
                    }
                    chunk.push(Value::Object($row_to_json(&row, &columns)?));
                    if chunk.len() >= CHUNK_ROWS {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                        if tx.send(full).await.is_err() {
                            return Ok(());
                        }
                    }
                }
                if !chunk.is_empty() {
                    let _ = tx.send(chunk).await;
                }
                Ok(())
            }};
        }
        match self {
            SqlPool::Sqlite(path) => {
                let (path, query, params) = (path.clone(), query.to_string(), params.to_vec());
                tokio::task::spawn_blocking(move || sqlite_stream(&path, &query, &params, &tx))
                    .await
                    .map_err(|e| Error::Source(e.to_string()))?
            }
            // Without parameters, COPY's text where it covers every column (pg_copy.rs).
            SqlPool::Postgres(p) => {
                if params.is_empty() && super::pg_copy::stream(p, query, &tx).await? {
                    return Ok(());
                }
                run!(p, pg_row)
            }
            SqlPool::MySql(p) => run!(p, mysql_row),
        }
    }
}

pub(super) fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub(super) fn number(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

pub(super) fn decode_err(col: &str, ty: &str, e: impl std::fmt::Display) -> Error {
    Error::Source(format!("column `{col}` ({ty}): {e}"))
}

/// A PostgreSQL row as JSON. The columns' types were read once for the query, so each value
/// is decoded without sqlx checking its type again (`try_get_unchecked`): the type names
/// matched here are the ones those decoders read.
fn pg_row(row: &PgRow, columns: &[(String, String)]) -> Result<Map<String, Value>> {
    let mut out = Map::with_capacity(columns.len());
    for (i, (name, ty)) in columns.iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(|e| decode_err(name, ty, e))?;
        let v = if raw.is_null() {
            Value::Null
        } else {
            let e = |e| decode_err(name, ty, e);
            match ty.as_str() {
                "INT2" => Value::from(row.try_get_unchecked::<i16, _>(i).map_err(e)?),
                "INT4" => Value::from(row.try_get_unchecked::<i32, _>(i).map_err(e)?),
                "INT8" => Value::from(row.try_get_unchecked::<i64, _>(i).map_err(e)?),
                "FLOAT4" => number(row.try_get_unchecked::<f32, _>(i).map_err(e)? as f64),
                "FLOAT8" => number(row.try_get_unchecked::<f64, _>(i).map_err(e)?),
                "TEXT" | "VARCHAR" | "CHAR" | "NAME" => {
                    Value::String(row.try_get_unchecked::<&str, _>(i).map_err(e)?.to_owned())
                }
                "NUMERIC" => Value::String(
                    row.try_get::<rust_decimal::Decimal, _>(i)
                        .map_err(e)?
                        .to_string(),
                ),
                "BOOL" => Value::Bool(row.try_get_unchecked::<bool, _>(i).map_err(e)?),
                "TIMESTAMPTZ" => {
                    Value::String(row.try_get::<DateTime<Utc>, _>(i).map_err(e)?.to_rfc3339())
                }
                "TIMESTAMP" => Value::String(naive(row.try_get::<NaiveDateTime, _>(i).map_err(e)?)),
                "DATE" => Value::String(row.try_get::<NaiveDate, _>(i).map_err(e)?.to_string()),
                "TIME" => Value::String(row.try_get::<NaiveTime, _>(i).map_err(e)?.to_string()),
                "JSON" | "JSONB" => row.try_get::<Value, _>(i).map_err(e)?,
                "UUID" => Value::String(row.try_get::<uuid::Uuid, _>(i).map_err(e)?.to_string()),
                "BYTEA" => b64(row.try_get_unchecked::<&[u8], _>(i).map_err(e)?),
                _ => Value::String(row.try_get::<String, _>(i).map_err(|_| {
                    decode_err(
                        name,
                        ty,
                        "this column type is not supported; cast it to text in the query",
                    )
                })?),
            }
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

fn mysql_row(row: &MySqlRow, columns: &[(String, String)]) -> Result<Map<String, Value>> {
    let mut out = Map::with_capacity(columns.len());
    for (i, (name, ty)) in columns.iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(|e| decode_err(name, ty, e))?;
        let v = if raw.is_null() {
            Value::Null
        } else {
            let e = |e| decode_err(name, ty, e);
            match ty.as_str() {
                "BOOLEAN" => Value::Bool(row.try_get::<bool, _>(i).map_err(e)?),
                // As for PostgreSQL, the types matched here are the ones these decoders read,
                // so sqlx's per-value type check is skipped.
                "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" => {
                    Value::from(row.try_get_unchecked::<i64, _>(i).map_err(e)?)
                }
                t if t.ends_with("UNSIGNED") => {
                    Value::from(row.try_get_unchecked::<u64, _>(i).map_err(e)?)
                }
                "FLOAT" => number(row.try_get_unchecked::<f32, _>(i).map_err(e)? as f64),
                "DOUBLE" => number(row.try_get_unchecked::<f64, _>(i).map_err(e)?),
                "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" => {
                    Value::String(row.try_get_unchecked::<&str, _>(i).map_err(e)?.to_owned())
                }
                "DECIMAL" => Value::String(
                    row.try_get::<rust_decimal::Decimal, _>(i)
                        .map_err(e)?
                        .to_string(),
                ),
                "TIMESTAMP" => {
                    Value::String(row.try_get::<DateTime<Utc>, _>(i).map_err(e)?.to_rfc3339())
                }
                "DATETIME" => Value::String(naive(row.try_get::<NaiveDateTime, _>(i).map_err(e)?)),
                "DATE" => Value::String(row.try_get::<NaiveDate, _>(i).map_err(e)?.to_string()),
                "TIME" => Value::String(row.try_get::<NaiveTime, _>(i).map_err(e)?.to_string()),
                "JSON" => row.try_get::<Value, _>(i).map_err(e)?,
                // MariaDB sends text with a binary collation (its JSON columns among them)
                // as blobs: text when it is UTF-8, base64 when it is really bytes.
                "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "BINARY" | "VARBINARY" => {
                    let bytes = row.try_get::<Vec<u8>, _>(i).map_err(e)?;
                    match String::from_utf8(bytes) {
                        Ok(text) => Value::String(text),
                        Err(raw) => b64(raw.as_bytes()),
                    }
                }
                _ => Value::String(row.try_get::<String, _>(i).map_err(|_| {
                    decode_err(
                        name,
                        ty,
                        "this column type is not supported; cast it to text in the query",
                    )
                })?),
            }
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

fn open_read_only(path: &Path) -> Result<rusqlite::Connection> {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| sql_err(&format!("opening {}", path.display()), e))
}

fn sqlite_stream(
    path: &Path,
    query: &str,
    params: &[Value],
    tx: &mpsc::Sender<Chunk>,
) -> Result<()> {
    use rusqlite::types::{ToSqlOutput, Value as Sql};
    let conn = open_read_only(path)?;
    let mut stmt = conn
        .prepare(query)
        .map_err(|e| sql_err("preparing the query", e))?;
    let bound: Vec<ToSqlOutput<'static>> = params
        .iter()
        .map(|p| {
            ToSqlOutput::Owned(match p {
                Value::Null => Sql::Null,
                Value::Bool(b) => Sql::Integer(*b as i64),
                Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => Sql::Integer(i),
                    (None, Some(f)) => Sql::Real(f),
                    _ => Sql::Text(n.to_string()),
                },
                Value::String(s) => Sql::Text(s.clone()),
                other => Sql::Text(other.to_string()),
            })
        })
        .collect();
    let columns: Vec<(String, String)> = stmt
        .columns()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                c.decl_type().unwrap_or("").to_ascii_uppercase(),
            )
        })
        .collect();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(bound.iter()))
        .map_err(|e| sql_err("running the query", e))?;
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    while let Some(row) = rows.next().map_err(|e| sql_err("running the query", e))? {
        chunk.push(Value::Object(sqlite_row(row, &columns)?));
        if chunk.len() >= CHUNK_ROWS
            && tx
                .blocking_send(std::mem::replace(
                    &mut chunk,
                    Vec::with_capacity(CHUNK_ROWS),
                ))
                .is_err()
        {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(chunk);
    }
    Ok(())
}

// SQLite types values, not columns: decode by each value's storage class, and use the
// declared column type only where the storage class cannot tell (BOOLEAN, DATETIME). It has no
// JSON type: plans name such text columns in `json_columns`.
fn sqlite_row(row: &rusqlite::Row<'_>, columns: &[(String, String)]) -> Result<Map<String, Value>> {
    use rusqlite::types::ValueRef as Sql;
    let mut out = Map::with_capacity(columns.len());
    for (i, (name, declared)) in columns.iter().enumerate() {
        let v = match row.get_ref(i).map_err(|e| decode_err(name, declared, e))? {
            Sql::Null => Value::Null,
            Sql::Integer(n) if declared.starts_with("BOOL") => Value::Bool(n != 0),
            Sql::Integer(n) => Value::from(n),
            Sql::Real(f) => number(f),
            Sql::Text(t) => {
                let text = std::str::from_utf8(t).map_err(|e| decode_err(name, declared, e))?;
                match declared.as_str() {
                    "DATETIME" | "TIMESTAMP" => {
                        match NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f") {
                            Ok(t) => Value::String(naive(t)),
                            Err(_) => Value::String(text.to_string()),
                        }
                    }
                    _ => Value::String(text.to_string()),
                }
            }
            Sql::Blob(b) => b64(b),
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

fn column_names<C: Column>(cols: &[C]) -> Vec<String> {
    cols.iter().map(|c| c.name().to_string()).collect()
}

/// A timestamp without zone, as written: `2024-05-01T10:00:00` (RFC 3339 without an offset).
pub(super) fn naive(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}
