//! Load errors: a file could not be read, or a document is not valid Sigma.

use std::path::PathBuf;

use super::condition::ConditionError;
use super::model::RuleLabel;
use super::modifiers::ModifierError;

/// A Sigma file or document that could not be loaded.
///
/// The message always starts with the file (and line), and for document errors with the
/// rule's id and title, so `sanso rules check` output can be acted on without opening
/// the file first.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The document is not YAML.
    #[error("{}:{line}:{column}: invalid YAML: {message}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// The YAML parser's message.
        message: String,
    },
    /// The document is YAML but not a Sigma document sanso can load.
    #[error("{rule}: {kind}")]
    Rule {
        /// Which document (boxed: errors stay small on the happy path's `Result`).
        rule: Box<RuleLabel>,
        /// What is wrong with it.
        kind: Box<RuleErrorKind>,
    },
}

/// What is wrong with a Sigma document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// A required attribute is missing.
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// An attribute has the wrong shape.
    #[error("`{key}` must be {expected}")]
    Invalid {
        /// The attribute, e.g. `detection.selection`.
        key: String,
        /// What it should be.
        expected: &'static str,
    },
    /// Not a rule, a filter nor a correlation.
    #[error("not a Sigma rule, filter or correlation (no `detection`, `filter` or `correlation`)")]
    UnknownDocument,
    /// A field's modifiers are wrong.
    #[error("field `{field}`: {error}")]
    Modifier {
        /// The field as written, e.g. `CommandLine|contians`.
        field: String,
        /// The problem.
        error: ModifierError,
    },
    /// The condition does not parse.
    #[error("condition `{condition}`: {error}")]
    Condition {
        /// The condition text.
        condition: String,
        /// Where and why.
        error: ConditionError,
    },
    /// The condition names a search identifier that does not exist.
    #[error("condition `{condition}` names `{name}`, which is not a search identifier")]
    UnknownSearch {
        /// The condition text.
        condition: String,
        /// The missing identifier.
        name: String,
    },
    /// A `1 of` / `all of` pattern matches no search identifier.
    #[error("condition `{condition}`: `{pattern}` matches no search identifier")]
    EmptyPattern {
        /// The condition text.
        condition: String,
        /// The pattern.
        pattern: String,
    },
    /// A Sigma feature sanso does not implement.
    #[error("unsupported feature: {0}")]
    Unsupported(String),
}
