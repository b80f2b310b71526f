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
    Rejected(Rejection),
    /// Any error SurrealDB reported.
    #[error(transparent)]
    Surreal(#[from] surrealdb::Error),
}

pub type DbResult<T> = Result<T, DbError>;

/// Why a guard refused a write: the code its transaction THROWs (`THROW 'STALE'`), read
/// once where the error is made, so callers match a variant instead of comparing strings.
/// The name of each variant is its code, in SCREAMING_SNAKE_CASE.
#[derive(Debug, Clone, PartialEq, Eq, strum::EnumString, strum::Display)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Rejection {
    /// The record changed since the caller read it (wallet, card, order, stock): run the
    /// work again from a fresh read.
    Stale,
    /// The request's Idempotency-Key already has an answer: nothing was written, reply with
    /// the stored answer (`idempotency::find`).
    Answered,
    /// A purchase costs more silver than the diner holds.
    InsufficientSilver,
    /// The diner lacks fragments a recipe or a sale needs.
    InsufficientFragments,
    /// The diner already holds the most open payment orders allowed.
    TooManyOpen,
    /// The demo diner already has a history (`seed::reward_new_demo_diner`).
    AlreadySeeded,
    /// Silver granted to a diner who does not exist.
    UnknownDiner,
    /// A campaign was saved by someone else since the caller read it.
    VersionChanged,
    /// A work queue item's lease expired (or the item was completed) before its work
    /// committed: another worker has it now; this work is dropped.
    LeaseLost,
    /// An agent thread is not waiting for the answer given (answered already, or moved on).
    NotWaiting,
    /// An online order (or refund) is no longer PENDING (settled already): nothing to do.
    NotPending,
    /// A refund of an order that is not a paid online order of this shop and diner.
    NotRefundable,
    /// A refund of more than its order has left to refund.
    RefundExceedsOrder,
    /// A code this build does not name: a guard nobody handles, kept for the logs.
    #[strum(default)]
    Other(String),
}

impl DbError {
    /// Why a guard refused the write, when it was a [`DbError::Rejected`].
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Self::Rejected(rejection) => Some(rejection),
            _ => None,
        }
    }

    /// A conflict with a concurrent transaction (or state that changed since it was read):
    /// running the same work again, from a fresh read, may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Rejected(rejection) => *rejection == Rejection::Stale,
            Self::Surreal(err) => {
                err.query_details() == Some(&QueryError::TransactionConflict)
                    || err.is_already_exists()
            }
            _ => false,
        }
    }

    /// A record that must be new already exists (a counter behind the records it counts).
    pub fn is_duplicate(&self) -> bool {
        matches!(self, Self::Surreal(err) if err.is_already_exists())
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
        Some((_, err)) if err.is_thrown() => Err(DbError::Rejected(thrown(err.message()))),
        Some((_, err)) => Err(DbError::Surreal(err)),
        None => Ok(response),
    }
}

/// SurrealDB reports `THROW 'X'` as "An error occurred: X": the rejection named by the code.
fn thrown(message: &str) -> Rejection {
    let code = message.rsplit(": ").next().unwrap_or(message).trim();
    code.parse()
        .unwrap_or_else(|_| Rejection::Other(code.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thrown_code_reads_as_its_rejection() {
        assert_eq!(thrown("An error occurred: STALE"), Rejection::Stale);
        assert_eq!(
            thrown("An error occurred: INSUFFICIENT_FRAGMENTS"),
            Rejection::InsufficientFragments
        );
        assert_eq!(
            thrown("An error occurred: SOMETHING_ELSE"),
            Rejection::Other("SOMETHING_ELSE".into())
        );
        assert_eq!(Rejection::TooManyOpen.to_string(), "TOO_MANY_OPEN");
        assert_eq!(Rejection::Other("X".into()).to_string(), "X");
    }

    /// Every `THROW '<CODE>'` of the crate's statements is a named [`Rejection`].
    #[test]
    fn every_thrown_code_is_named() -> std::io::Result<()> {
        let src = crate::manifest_dir().join("src");
        let mut seen = 0;
        for file in std::fs::read_dir(src)? {
            let path = file?.path();
            if path.ends_with("error.rs") {
                continue; // this file's doc comments quote THROWs
            }
            let text = std::fs::read_to_string(path)?;
            for rest in text.split("THROW '").skip(1) {
                let code = rest.split('\'').next().unwrap_or_default();
                seen += 1;
                assert!(
                    !matches!(thrown(code), Rejection::Other(_)),
                    "THROW '{code}' has no Rejection variant"
                );
            }
        }
        assert!(seen > 10, "found only {seen} THROWs");
        Ok(())
    }
}
