//! Errors of the lake and of queries over it.

use std::path::{Path, PathBuf};

use arrow::error::ArrowError;
use sanso_ingest::schema::Table;

/// Writing to or reading from the lake failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LakeError {
    /// A file system operation failed, for example because the disk is full.
    #[error("lake: {}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Encoding a Parquet file failed.
    #[error("lake: writing {}: {source}", path.display())]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
    /// An Arrow compute step (concatenating, sorting, splitting) failed.
    #[error("lake: {0}")]
    Arrow(#[source] arrow::error::ArrowError),
    /// The lake's location is not a folder or a supported object-store URL.
    #[error("lake location `{location}`: {reason}")]
    Location {
        /// The location as given.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An object-store request failed (after the store's own retries): the store is
    /// unreachable, the credentials are refused, the bucket does not exist.
    #[error("lake at {location}: {source}")]
    ObjectStore {
        /// The lake's URL.
        location: String,
        /// The underlying error.
        source: object_store::Error,
    },
    /// A lake file's key-value metadata is not what sanso wrote there.
    #[error("lake: {}: {reason}", path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A batch handed to the writer does not have its table's schema.
    #[error("lake: batch for table `{table}` does not have the table's schema")]
    SchemaMismatch {
        /// The table the batch was meant for.
        table: Table,
    },
    /// A lake file's columns cannot be brought to its table's current schema without
    /// losing data, so it is left as it is.
    #[error(
        "lake: {}: its columns do not fit table `{table}` of this sanso version: {reason}",
        path.display()
    )]
    IncompatibleFile {
        /// The file.
        path: PathBuf,
        /// The table it belongs to.
        table: Table,
        /// Which column does not fit, and how.
        reason: String,
    },
}

impl LakeError {
    /// Turns an I/O error on `path` into [`LakeError::Io`]; for `map_err`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LakeError + '_ {
        move |source| LakeError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// A query could not be planned or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The lake could not be opened.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// DataFusion rejected or failed the query; its message says why.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// The text is not one SQL statement.
    #[error("SQL syntax: {0}")]
    Syntax(String),
    /// The statement would change something (the lake, a file, the session) rather than
    /// only read.
    #[error(
        "refused: SQL over the lake is read-only; only SELECT, WITH, VALUES, EXPLAIN, \
         DESCRIBE and SHOW run"
    )]
    ReadOnly,
    /// The query ran past its time limit and was cancelled.
    #[error("query cancelled: it ran longer than the {}s limit", limit.as_secs_f64())]
    Timeout {
        /// The limit in force.
        limit: std::time::Duration,
    },
}

/// Whose fault a failed query is, and so which status code a client is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryFailure {
    /// The statement is wrong or not allowed: a syntax error, an unknown column, a
    /// write. Sending it again will not help.
    Rejected,
    /// The query ran past the time limit.
    Timeout,
    /// The query needed more memory than the limit allows.
    OutOfMemory,
    /// The lake or the server failed: a file could not be read, or a bug.
    Server,
}

impl QueryError {
    /// Sorts an error from parsing SQL: a syntax error is reported with the parser's
    /// own words, without DataFusion's wrapping around them.
    pub(crate) fn from_parse(err: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as E;
        use datafusion::sql::sqlparser::parser::ParserError;
        match err {
            E::SQL(parse, _) => QueryError::Syntax(match *parse {
                ParserError::TokenizerError(message) | ParserError::ParserError(message) => message,
                ParserError::RecursionLimitExceeded => {
                    "the statement nests deeper than the parser allows".to_owned()
                }
            }),
            other => QueryError::DataFusion(other),
        }
    }

    /// Whose fault this error is.
    pub fn failure(&self) -> QueryFailure {
        use datafusion::error::DataFusionError as E;
        match self {
            QueryError::Syntax(_) | QueryError::ReadOnly => QueryFailure::Rejected,
            QueryError::Timeout { .. } => QueryFailure::Timeout,
            QueryError::Lake(_) => QueryFailure::Server,
            QueryError::DataFusion(err) => match err.find_root() {
                E::ResourcesExhausted(_) => QueryFailure::OutOfMemory,
                E::IoError(_)
                | E::ObjectStore(_)
                | E::ParquetError(_)
                | E::Internal(_)
                | E::ExecutionJoin(_)
                | E::External(_) => QueryFailure::Server,
                // Arrow fails on the statement's values (a cast, a division by zero),
                // or on reading what the lake holds.
                E::ArrowError(arrow, _) => match **arrow {
                    ArrowError::IoError(..)
                    | ArrowError::IpcError(_)
                    | ArrowError::ParquetError(_)
                    | ArrowError::ExternalError(_) => QueryFailure::Server,
                    ArrowError::MemoryError(_) => QueryFailure::OutOfMemory,
                    _ => QueryFailure::Rejected,
                },
                _ => QueryFailure::Rejected,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::error::DataFusionError;

    #[test]
    fn a_failure_is_blamed_on_the_statement_only_when_it_is_the_statements() {
        let wrapped = |err: DataFusionError| {
            QueryError::DataFusion(DataFusionError::Context("running".into(), Box::new(err)))
        };
        let unreadable = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let cases = [
            (
                wrapped(DataFusionError::Plan("no column x".into())),
                QueryFailure::Rejected,
            ),
            (
                wrapped(DataFusionError::ResourcesExhausted("hash join".into())),
                QueryFailure::OutOfMemory,
            ),
            (
                wrapped(DataFusionError::IoError(unreadable)),
                QueryFailure::Server,
            ),
            (
                wrapped(DataFusionError::External("a store timed out".into())),
                QueryFailure::Server,
            ),
            (
                wrapped(DataFusionError::ArrowError(
                    Box::new(ArrowError::ParquetError("corrupt page".into())),
                    None,
                )),
                QueryFailure::Server,
            ),
            (
                wrapped(DataFusionError::ArrowError(
                    Box::new(ArrowError::DivideByZero),
                    None,
                )),
                QueryFailure::Rejected,
            ),
            (
                wrapped(DataFusionError::ArrowError(
                    Box::new(ArrowError::MemoryError("buffer of 2^40 bytes".into())),
                    None,
                )),
                QueryFailure::OutOfMemory,
            ),
            (
                QueryError::Timeout {
                    limit: std::time::Duration::from_secs(3),
                },
                QueryFailure::Timeout,
            ),
        ];
        for (err, failure) in cases {
            assert_eq!(err.failure(), failure, "{err}");
        }
    }
}
