//! The database's answer to "are you there, and is the schema current?".

use crate::{Db, DbResult, migrations};

/// What one round trip to the database found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbHealth {
    /// The schema version recorded in the database.
    pub schema_version: u32,
    /// The version this binary's migrations bring it to.
    pub expected_version: u32,
}

impl DbHealth {
    /// Ready to serve: the schema is exactly what this binary was built for.
    pub fn is_current(&self) -> bool {
        self.schema_version == self.expected_version
    }
}

/// Reads the schema version: a real query, so it proves the store answers.
#[tracing::instrument(skip_all)]
pub async fn check(db: &Db) -> DbResult<DbHealth> {
    Ok(DbHealth {
        schema_version: migrations::schema_version(db).await?,
        expected_version: migrations::latest_version(),
    })
}
