//! Errors of the phases after loading: compiling rules and evaluating batches.
//!
//! Loading errors live with the front end ([`crate::sigma::LoadError`]). Every error of
//! a rule starts with the same label as a load error (`file:line: rule ID "title"`),
//! so `sanso rules check` prints one uniform list.

use std::fmt;

use arrow::error::ArrowError;
use sanso_ingest::schema::Table;

use crate::sigma::{Logsource, RuleLabel};

/// A rule (or filter, or correlation) that loaded but cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{rule}: {kind}")]
pub struct CompileError {
    /// Which document.
    pub rule: RuleLabel,
    /// Why it cannot run.
    pub kind: CompileErrorKind,
}

/// Why a document cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileErrorKind {
    /// No sanso table takes this logsource.
    #[error("unsupported logsource ({0}): no sanso table holds it; add a [[logsource]] mapping")]
    UnsupportedLogsource(Logsource),
    /// The field has no column in the table.
    #[error("unknown field `{field}` in table {table}; add it to the field mapping")]
    UnknownField {
        /// The Sigma field.
        field: String,
        /// The table the rule runs on.
        table: Table,
    },
    /// `|expand` names a placeholder that is not configured.
    #[error("field `{field}`: placeholder `%{name}%` is not configured")]
    MissingPlaceholder {
        /// The field (or `keywords`).
        field: String,
        /// The placeholder.
        name: String,
    },
    /// A value that its modifiers cannot use (a bad CIDR, a regex that does not compile,
    /// a non-numeric `gt`, ...).
    #[error("field `{field}`: {reason}")]
    InvalidValue {
        /// The field (or `keywords`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A filter or correlation names a rule that is not loaded.
    #[error("references rule `{0}`, which is not loaded")]
    UnknownRule(String),
    /// A feature sanso does not implement.
    #[error("unsupported feature: {0}")]
    Unsupported(String),
}

/// Every error of one compilation, so a rule directory is checked in one pass.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileErrors(pub Vec<CompileError>);

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileErrors {}

/// A batch could not be evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The batch lacks a column a rule reads: it is not a batch of that table.
    #[error("batch for table {table} has no column `{column}`")]
    MissingColumn {
        /// The table the batch was given as.
        table: Table,
        /// The missing column.
        column: String,
    },
    /// The `extra` column is not a `Map<Utf8, Utf8>`.
    #[error("batch for table {table}: column `extra` is {found}, not a map of strings")]
    BadExtra {
        /// The table.
        table: Table,
        /// The type found.
        found: String,
    },
    /// An Arrow kernel failed (a cast or a boolean operation on mismatched lengths).
    #[error("arrow: {0}")]
    Arrow(#[from] ArrowError),
}
