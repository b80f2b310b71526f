use std::fmt;

use surrealdb::Surreal;
use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::Root;

use crate::error::{DbError, DbResult};

/// The one database handle type of the product: the engine is chosen by URL at run time.
///
/// Shared behind an `Arc` on purpose: cloning a `Surreal` handle opens a new SDK session
/// (a copy of the session state, with a fresh live-query map), which a profile of the load
/// benchmark showed costing more than the query itself when done per request.
pub type Db = std::sync::Arc<Surreal<Any>>;

/// Which engine a URL selects. Only the engines compiled into this build are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// In-process, in-memory (tests, throw-away demos).
    Memory,
    /// In-process, persistent on local disk (the default).
    SurrealKv,
    /// A SurrealDB server over WebSocket (for several app processes).
    Remote,
}

impl Engine {
    /// Reads the engine from a URL such as `surrealkv://data/db`.
    pub fn from_url(url: &str) -> DbResult<Self> {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        match scheme {
            Some("mem") | Some("memory") => Ok(Self::Memory),
            Some("surrealkv") => Ok(Self::SurrealKv),
            Some("ws") | Some("wss") => Ok(Self::Remote),
            _ => Err(DbError::UnsupportedUrl(url.to_owned())),
        }
    }

    /// A short label for logs and the status page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::SurrealKv => "surrealkv",
            Self::Remote => "remote",
        }
    }
}

/// Root credentials for a SurrealDB server (unused by the embedded engines).
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    pub namespace: String,
    pub database: String,
    pub credentials: Option<Credentials>,
}

/// Opens the database named by `options.url` and selects the namespace and database.
#[tracing::instrument(skip_all, fields(url = %options.url, ns = %options.namespace, db = %options.database))]
pub async fn connect(options: &ConnectOptions) -> DbResult<Db> {
    let engine = Engine::from_url(&options.url)?;
    if engine == Engine::SurrealKv {
        ensure_parent_dir(&options.url)?;
    }
    let db = any::connect(options.url.as_str()).await?;
    if let (Engine::Remote, Some(credentials)) = (engine, &options.credentials) {
        db.signin(Root {
            username: credentials.username.clone(),
            password: credentials.password.clone(),
        })
        .await?;
    }
    db.use_ns(options.namespace.as_str())
        .use_db(options.database.as_str())
        .await?;
    Ok(std::sync::Arc::new(db))
}

/// SurrealKV creates its own folder but not the folders above it (`data/` on a fresh clone).
fn ensure_parent_dir(url: &str) -> DbResult<()> {
    let path = url
        .trim_start_matches("surrealkv://")
        .split('?')
        .next()
        .unwrap_or_default();
    let Some(parent) = std::path::Path::new(path).parent() else {
        return Ok(());
    };
    if parent.as_os_str().is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(parent).map_err(|source| DbError::DataDir {
        path: parent.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_read_from_the_url_scheme() {
        assert_eq!(Engine::from_url("mem://").ok(), Some(Engine::Memory));
        assert_eq!(
            Engine::from_url("surrealkv://data/db").ok(),
            Some(Engine::SurrealKv)
        );
        assert_eq!(
            Engine::from_url("ws://127.0.0.1:8000").ok(),
            Some(Engine::Remote)
        );
    }

    #[test]
    fn unknown_schemes_are_refused_with_the_url_in_the_message() {
        for url in ["rocksdb://x", "http://localhost:8000", "data/db", ""] {
            let err = Engine::from_url(url).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|m| m.contains(url)),
                "{url}: {err:?}"
            );
        }
    }

    #[test]
    fn credentials_never_print_the_password() {
        let credentials = Credentials {
            username: "root".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{credentials:?}").contains("s3cret"));
    }
}
