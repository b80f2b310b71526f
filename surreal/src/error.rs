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
    /// Any error SurrealDB reported.
    #[error(transparent)]
    Surreal(#[from] surrealdb::Error),
}

pub type DbResult<T> = Result<T, DbError>;

impl DbError {
    /// A conflict with a concurrent transaction: running the same work again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Surreal(err) => {
                err.query_details() == Some(&QueryError::TransactionConflict)
                    || err.is_already_exists()
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
        Some((_, err)) => Err(DbError::Surreal(err)),
        None => Ok(response),
    }
}
