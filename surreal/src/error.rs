use surrealdb::IndexedResults;
use surrealdb::types::QueryError;
use thiserror::Error;

/// Everything the database layer can fail with. Callers map these once to their own errors;
/// the SurrealDB detail is for logs, never for API bodies.
#[derive(Debug, Error)]
pub enum DbError {
    /// The configured URL names no engine this build supports.
    #[error("unsupported database URL `{0}`: use mem://, surrealkv://<path> or ws://<host>:<port>")]
    UnsupportedUrl(String),
    /// An applied migration's text differs from the one compiled into this binary.
    #[error("migration {version} ({name}) was changed after it was applied (checksum mismatch)")]
    MigrationChanged { version: u32, name: &'static str },
    /// The database holds migrations this binary does not know (it is older than the data).
    #[error("database schema version {found} is newer than this binary's {known}")]
    SchemaTooNew { found: u32, known: u32 },
    /// Could not create the directory for an embedded store.
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A guard inside a transaction refused the write (`THROW '<CODE>'`): the state was not
    /// what the caller computed from, or a business condition failed. Nothing was written.
    #[error("rejected: {0}")]
    Rejected(String),
    /// Any error SurrealDB reported.
    #[error(transparent)]
    Surreal(#[from] surrealdb::Error),
}

pub type DbResult<T> = Result<T, DbError>;

/// The guard code for "the record changed since you read it".
pub const STALE: &str = "STALE";

impl DbError {
    /// The guard code of a [`DbError::Rejected`], e.g. `STALE`.
    pub fn rejection(&self) -> Option<&str> {
        match self {
            Self::Rejected(code) => Some(code),
            _ => None,
        }
    }

    /// A conflict with a concurrent transaction (or state that changed since it was read):
    /// running the same work again, from a fresh read, may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Rejected(code) => code == STALE,
            Self::Surreal(err) => {
                err.query_details() == Some(&QueryError::TransactionConflict)
                    || err.is_already_exists()
            }
            _ => false,
        }
    }

    /// The database could not be reached or did not answer in time (connection lost, engine
    /// shutting down, query timed out or cancelled): an outage, worth a retry later. Anything
    /// else — a schema ASSERT tripped, a value of the wrong type, a guard nobody handles — is
    /// a fault in our code or data, and must not be reported as an outage.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Surreal(err) => {
                err.is_connection()
                    || matches!(
                        err.query_details(),
                        Some(QueryError::TimedOut { .. } | QueryError::Cancelled)
                    )
            }
            _ => false,
        }
    }
}

/// Like `IndexedResults::check`, but reports the statement that actually failed: inside
/// `BEGIN … COMMIT` every other statement reads "not executed", which explains nothing.
pub(crate) fn checked(mut response: IndexedResults) -> DbResult<IndexedResults> {
    let mut errors: Vec<(usize, surrealdb::Error)> = response.take_errors().into_iter().collect();
    errors.sort_by_key(|(index, _)| *index);
    let cause = errors
        .iter()
        .position(|(_, err)| err.query_details() != Some(&QueryError::NotExecuted))
        .unwrap_or(0);
    match errors.into_iter().nth(cause) {
        Some((_, err)) if err.is_thrown() => Err(DbError::Rejected(thrown_code(err.message()))),
        Some((_, err)) => Err(DbError::Surreal(err)),
        None => Ok(response),
    }
}

/// SurrealDB reports `THROW 'X'` as "An error occurred: X"; keep just the code.
fn thrown_code(message: &str) -> String {
    message
        .rsplit(": ")
        .next()
        .unwrap_or(message)
        .trim()
        .to_owned()
}
