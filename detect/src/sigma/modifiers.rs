//! Value modifiers (`field|contains|all`), parsed into a typed list.
//!
//! Sigma chains modifiers after the field name with `|`. Parsing them here, once, means
//! the lowering never sees a modifier name as text, and a misspelt or unsupported one is
//! a load error that names it instead of a rule that silently matches nothing.

use std::fmt;

/// One value modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Modifier {
    /// `contains`: the value occurs anywhere in the field.
    Contains,
    /// `startswith`: the field starts with the value.
    StartsWith,
    /// `endswith`: the field ends with the value.
    EndsWith,
    /// `all`: every value of the list must match (instead of any).
    All,
    /// `re`: the value is a regular expression, searched (not anchored).
    Re,
    /// `i` after `re`: case-insensitive regular expression.
    ReIgnoreCase,
    /// `m` after `re`: `^` and `$` match at line boundaries.
    ReMultiLine,
    /// `s` after `re`: `.` matches a newline.
    ReDotAll,
    /// `cidr`: the field is an address inside one of the given ranges.
    Cidr,
    /// `windash`: `-` or `/` introducing a command-line option may be any Windows dash.
    Windash,
    /// `base64`: match the base64 encoding of the value.
    Base64,
    /// `base64offset`: match the value base64-encoded at any of the three byte offsets.
    Base64Offset,
    /// `utf16le` / `wide`: encode the value as UTF-16LE before `base64`.
    Utf16Le,
    /// `utf16be`: encode as UTF-16BE before `base64`.
    Utf16Be,
    /// `utf16`: encode as UTF-16 with a byte-order mark before `base64`.
    Utf16,
    /// `exists`: the field is present (`true`) or absent (`false`).
    Exists,
    /// `lt`: numerically less than.
    Lt,
    /// `lte`: numerically less than or equal.
    Lte,
    /// `gt`: numerically greater than.
    Gt,
    /// `gte`: numerically greater than or equal.
    Gte,
    /// `expand`: `%name%` placeholders are replaced by configured lists.
    Expand,
    /// `fieldref`: the value names another field whose value must be equal.
    FieldRef,
    /// `neq`: the field is present and not equal to the value.
    Neq,
    /// `cased`: compare strings case-sensitively.
    Cased,
}

/// Modifiers Sigma defines that sanso cannot evaluate; naming them apart from typos lets
/// the error say "unsupported" rather than "unknown".
const UNSUPPORTED: &[&str] = &["minute", "hour", "day", "week", "month", "year"];

/// A modifier name could not be turned into a [`Modifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModifierError {
    /// Not a Sigma modifier at all (a typo, or a backend-specific extension).
    Unknown(String),
    /// A Sigma modifier sanso does not evaluate.
    Unsupported(String),
    /// Known modifiers that cannot be combined, e.g. `contains|startswith`.
    Conflict(String),
}

impl fmt::Display for ModifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModifierError::Unknown(m) => write!(f, "unknown modifier `{m}`"),
            ModifierError::Unsupported(m) => write!(f, "unsupported modifier `{m}`"),
            ModifierError::Conflict(m) => write!(f, "modifiers cannot be combined: {m}"),
        }
    }
}

impl Modifier {
    /// The modifier's Sigma spelling.
    pub fn name(self) -> &'static str {
        match self {
            Modifier::Contains => "contains",
            Modifier::StartsWith => "startswith",
            Modifier::EndsWith => "endswith",
            Modifier::All => "all",
            Modifier::Re => "re",
            Modifier::ReIgnoreCase => "i",
            Modifier::ReMultiLine => "m",
            Modifier::ReDotAll => "s",
            Modifier::Cidr => "cidr",
            Modifier::Windash => "windash",
            Modifier::Base64 => "base64",
            Modifier::Base64Offset => "base64offset",
            Modifier::Utf16Le => "utf16le",
            Modifier::Utf16Be => "utf16be",
            Modifier::Utf16 => "utf16",
            Modifier::Exists => "exists",
            Modifier::Lt => "lt",
            Modifier::Lte => "lte",
            Modifier::Gt => "gt",
            Modifier::Gte => "gte",
            Modifier::Expand => "expand",
            Modifier::FieldRef => "fieldref",
            Modifier::Neq => "neq",
            Modifier::Cased => "cased",
        }
    }

    fn from_name(name: &str, after_re: bool) -> Result<Modifier, ModifierError> {
        Ok(match name {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "all" => Modifier::All,
            "re" => Modifier::Re,
            "i" if after_re => Modifier::ReIgnoreCase,
            "m" if after_re => Modifier::ReMultiLine,
            "s" if after_re => Modifier::ReDotAll,
            "cidr" => Modifier::Cidr,
            "windash" => Modifier::Windash,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "utf16le" | "wide" => Modifier::Utf16Le,
            "utf16be" => Modifier::Utf16Be,
            "utf16" => Modifier::Utf16,
            "exists" => Modifier::Exists,
            "lt" => Modifier::Lt,
            "lte" => Modifier::Lte,
            "gt" => Modifier::Gt,
            "gte" => Modifier::Gte,
            "expand" => Modifier::Expand,
            "fieldref" => Modifier::FieldRef,
            "neq" => Modifier::Neq,
            "cased" => Modifier::Cased,
            other if UNSUPPORTED.contains(&other) => {
                return Err(ModifierError::Unsupported(other.to_owned()));
            }
            other => return Err(ModifierError::Unknown(other.to_owned())),
        })
    }

    fn is_position(self) -> bool {
        matches!(
            self,
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith
        )
    }

    fn is_numeric(self) -> bool {
        matches!(
            self,
            Modifier::Lt | Modifier::Lte | Modifier::Gt | Modifier::Gte
        )
    }

    fn is_encoding(self) -> bool {
        matches!(
            self,
            Modifier::Utf16Le | Modifier::Utf16Be | Modifier::Utf16
        )
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The modifiers of one field, in the order written, checked for combinations that make
/// sense.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Modifiers(Vec<Modifier>);

impl Modifiers {
    /// Parses the `|`-separated names that follow a field name.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Modifiers, ModifierError> {
        let mut list: Vec<Modifier> = Vec::new();
        for name in names {
            let after_re = list.contains(&Modifier::Re);
            let modifier = Modifier::from_name(name, after_re)?;
            if list.contains(&modifier) {
                return Err(ModifierError::Conflict(format!("`{name}` given twice")));
            }
            list.push(modifier);
        }
        let modifiers = Modifiers(list);
        modifiers.validate()?;
        Ok(modifiers)
    }

    /// Whether `m` is in the list.
    pub fn has(&self, m: Modifier) -> bool {
        self.0.contains(&m)
    }

    /// The modifiers in the order written.
    pub fn as_slice(&self) -> &[Modifier] {
        &self.0
    }

    /// The numeric comparison, if any (`lt`, `lte`, `gt`, `gte`).
    pub fn numeric(&self) -> Option<Modifier> {
        self.0.iter().copied().find(|m| m.is_numeric())
    }

    /// The position modifier, if any (`contains`, `startswith`, `endswith`).
    pub fn position(&self) -> Option<Modifier> {
        self.0.iter().copied().find(|m| m.is_position())
    }

    /// The text encoding applied before `base64`, if any.
    pub fn encoding(&self) -> Option<Modifier> {
        self.0.iter().copied().find(|m| m.is_encoding())
    }

    fn validate(&self) -> Result<(), ModifierError> {
        let conflict = |what: &str| Err(ModifierError::Conflict(what.to_owned()));
        let count = |f: fn(Modifier) -> bool| self.0.iter().filter(|m| f(**m)).count();
        if count(Modifier::is_position) > 1 {
            return conflict("more than one of contains, startswith, endswith");
        }
        if count(Modifier::is_numeric) > 1 {
            return conflict("more than one of lt, lte, gt, gte");
        }
        if count(Modifier::is_encoding) > 1 {
            return conflict("more than one of utf16le, utf16be, utf16, wide");
        }
        let base64 = self.has(Modifier::Base64) || self.has(Modifier::Base64Offset);
        if self.has(Modifier::Base64) && self.has(Modifier::Base64Offset) {
            return conflict("base64 and base64offset");
        }
        if self.encoding().is_some() && !base64 {
            return conflict("utf16 encodings only make sense before base64 or base64offset");
        }
        // Everything that changes how a value is read as text.
        let textual = self.position().is_some()
            || base64
            || self.has(Modifier::Windash)
            || self.has(Modifier::Cased);
        if self.has(Modifier::Exists) && self.0.len() > 1 {
            return conflict("exists takes no other modifier");
        }
        if self.has(Modifier::Re) && (textual || self.has(Modifier::Cidr)) {
            return conflict("re with a string or cidr modifier");
        }
        if self.has(Modifier::Cidr) && (textual || self.numeric().is_some()) {
            return conflict("cidr with a string or numeric modifier");
        }
        if self.numeric().is_some() && (textual || self.has(Modifier::Neq)) {
            return conflict("a numeric comparison with a string modifier or neq");
        }
        if self.has(Modifier::FieldRef)
            && self
                .0
                .iter()
                .any(|m| !matches!(m, Modifier::FieldRef | Modifier::All | Modifier::Cased))
        {
            return conflict("fieldref with anything but all or cased");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chains_in_order() {
        let m = Modifiers::parse(["contains", "all"]).unwrap();
        assert_eq!(m.as_slice(), [Modifier::Contains, Modifier::All]);
        let m = Modifiers::parse(["re", "i", "s"]).unwrap();
        assert!(m.has(Modifier::ReIgnoreCase) && m.has(Modifier::ReDotAll));
        let m = Modifiers::parse(["wide", "base64offset", "contains"]).unwrap();
        assert_eq!(m.encoding(), Some(Modifier::Utf16Le));
    }

    #[test]
    fn names_unknown_and_unsupported_modifiers() {
        assert_eq!(
            Modifiers::parse(["contians"]),
            Err(ModifierError::Unknown("contians".into()))
        );
        assert_eq!(
            Modifiers::parse(["minute"]),
            Err(ModifierError::Unsupported("minute".into()))
        );
        // `i` is a regex flag only after `re`.
        assert_eq!(
            Modifiers::parse(["i"]),
            Err(ModifierError::Unknown("i".into()))
        );
    }

    #[test]
    fn rejects_nonsense_combinations() {
        for chain in [
            &["contains", "startswith"][..],
            &["re", "contains"],
            &["cidr", "endswith"],
            &["gt", "lt"],
            &["exists", "all"],
            &["wide", "contains"],
            &["fieldref", "contains"],
            &["all", "all"],
        ] {
            assert!(
                matches!(
                    Modifiers::parse(chain.iter().copied()),
                    Err(ModifierError::Conflict(_))
                ),
                "{chain:?}"
            );
        }
    }
}
