//! A jq filter (jq 1.7 syntax), run in-process by jaq.
//!
//! Why jaq (`jaq-core`, `jaq-std`, `jaq-json`): it is maintained (releases through 2025–26), pure
//! Rust with no C to build, MIT-licensed, within our MSRV, and — what decides it — `jaq-json`
//! keeps a number as it was written until arithmetic needs it: `1.50`, `1e-7`,
//! `18446744073709551615` and `0.12345678901234567890123` pass through a filter unchanged, as
//! eventlens promises. jq itself (and libjq) reads numbers into doubles.
//!
//! A filter is truthy unless its first output is `false` or `null`; an error or no output is
//! falsy ([`Filter::holds`]) and no value ([`Filter::first`]).

use std::fmt;

use jaq_core::load::{self, Arena, File, Loader};
use jaq_core::{Compiler, Ctx, ValT as _, Vars, data, unwrap_valr};
use jaq_json::{Num, Rc, Val};
use serde_json::Value;

/// A parsed filter.
pub struct Filter {
    text: String,
    compiled: jaq_core::Filter<data::JustLut<Val>>,
}

/// A JSON document as filters read it, to run several filters on one state without reading it
/// again for each (cloning it is cheap: its parts are shared).
pub struct Doc(Val);

impl Doc {
    /// Reads JSON text.
    pub fn parse(text: &str) -> Result<Self, String> {
        jaq_json::read::parse_single(text.as_bytes())
            .map(Self)
            .map_err(|e| e.to_string())
    }

    /// Reads a state the fold wrote (so it reads; should it not, filters see `null`).
    pub fn read(text: &str) -> Self {
        Self::parse(text).unwrap_or(Self(Val::Null))
    }

    /// Takes a value as its text would read.
    pub fn of(value: &Value) -> Self {
        Self(to_val(value))
    }
}

/// Why a filter does not parse, and where (1-based column, in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at column {column}")]
pub struct FilterError {
    pub column: usize,
    pub message: String,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Filter").field(&self.text).finish()
    }
}

impl Filter {
    /// Parses and compiles `text`, with jq's standard library.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let arena = Arena::default();
        let loader = Loader::new(
            jaq_core::defs()
                .chain(jaq_std::defs())
                .chain(jaq_json::defs()),
        );
        let program = File {
            code: text,
            path: (),
        };
        let modules = loader
            .load(&arena, program)
            .map_err(|errors| load_error(text, &errors))?;
        let compiled = Compiler::default()
            .with_funs(
                jaq_core::funs()
                    .chain(jaq_std::funs())
                    .chain(jaq_json::funs()),
            )
            .compile(modules)
            .map_err(|errors| {
                let (name, undefined) = errors
                    .iter()
                    .flat_map(|(_, errors)| errors.iter())
                    .next()
                    .map_or(("", None), |(name, what)| (*name, Some(what)));
                FilterError {
                    column: column_of(text, name),
                    message: match undefined {
                        Some(what) => undefined_message(name, &format!("{what:?}")),
                        None => "the filter does not compile".to_owned(),
                    },
                }
            })?;
        Ok(Self {
            text: text.to_owned(),
            compiled,
        })
    }

    /// The filter as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The filter's first output on `input` (JSON text), as JSON text; `Ok(None)` when it has
    /// none, `Err` with the message when it fails (or `input` is no JSON).
    pub fn first(&self, input: &str) -> Result<Option<String>, String> {
        Ok(self.first_val(input)?.map(|value| value.to_string()))
    }

    /// Whether the filter holds for `input`: its first output is neither `false` nor `null`.
    /// An error or no output does not hold.
    pub fn holds(&self, input: &str) -> bool {
        self.first_val(input)
            .ok()
            .flatten()
            .is_some_and(|value| value.as_bool())
    }

    /// [`Filter::first`] on a value (a folded state), without going through its text; the
    /// output is `Ok(None)` too when it is no JSON (`nan`, an infinity: jq prints them as
    /// `null`).
    pub fn first_of(&self, input: &Value) -> Result<Option<Value>, String> {
        self.first_in(&Doc(to_val(input)))
    }

    /// [`Filter::holds`] on a value.
    pub fn holds_on(&self, input: &Value) -> bool {
        self.holds_in(&Doc(to_val(input)))
    }

    /// [`Filter::first_of`] on a document read once for several filters.
    pub fn first_in(&self, input: &Doc) -> Result<Option<Value>, String> {
        let output = self.run(input.0.clone())?;
        Ok(output.and_then(|value| serde_json::from_str(&value.to_string()).ok()))
    }

    /// [`Filter::holds_on`] on a document read once for several filters.
    pub fn holds_in(&self, input: &Doc) -> bool {
        self.run(input.0.clone())
            .ok()
            .flatten()
            .is_some_and(|value| value.as_bool())
    }

    fn first_val(&self, input: &str) -> Result<Option<Val>, String> {
        let input = jaq_json::read::parse_single(input.as_bytes()).map_err(|e| e.to_string())?;
        self.run(input)
    }

    fn run(&self, input: Val) -> Result<Option<Val>, String> {
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.compiled.lut, Vars::new([]));
        let mut outputs = self.compiled.id.run((ctx, input)).map(unwrap_valr);
        outputs
            .next()
            .transpose()
            .map_err(|error| error.to_string())
    }
}

/// A value as jaq holds it, numbers as jaq reads them from text: an integer as an integer
/// (big ones too), anything else as its decimal text, kept until arithmetic needs a double.
fn to_val(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(number) => {
            let text = number.to_string();
            let integral = !text.contains(['.', 'e', 'E']);
            Val::Num(
                integral
                    .then(|| Num::from_str_radix(&text, 10))
                    .flatten()
                    .unwrap_or_else(|| Num::Dec(Rc::new(text))),
            )
        }
        Value::String(text) => Val::utf8_str(text.clone().into_bytes()),
        Value::Array(items) => Val::Arr(Rc::new(items.iter().map(to_val).collect())),
        Value::Object(members) => Val::obj(
            members
                .iter()
                .map(|(name, value)| (Val::utf8_str(name.clone().into_bytes()), to_val(value)))
                .collect(),
        ),
    }
}

/// What jq says of a name it does not know: `status/0 is not defined` for a filter called with
/// no arguments, `$x is not defined` for a variable. `what` is jaq's `Debug` of what is missing
/// (`Filter(0)`, `Var`, …).
fn undefined_message(name: &str, what: &str) -> String {
    let arity = what
        .strip_prefix("Filter(")
        .and_then(|rest| rest.strip_suffix(')'));
    match arity {
        Some(arity) => format!("{name}/{arity} is not defined"),
        None if what.starts_with("Var") => {
            format!("${} is not defined", name.trim_start_matches('$'))
        }
        None => format!("{name} is not defined ({})", what.to_lowercase()),
    }
}

/// The first load error (lexing or parsing) as a message with its column.
fn load_error(text: &str, errors: &load::Errors<&str, ()>) -> FilterError {
    let first = errors.iter().find_map(|(_, error)| match error {
        load::Error::Lex(errors) => errors
            .first()
            .map(|(expected, got)| (format!("expected {}", expected.as_str()), *got)),
        load::Error::Parse(errors) => errors
            .first()
            .map(|(expected, got)| (format!("expected {}", expected.as_str()), *got)),
        load::Error::Io(errors) => errors.first().map(|(got, why)| (why.clone(), *got)),
    });
    let (message, got) = first.unwrap_or_else(|| ("the filter does not parse".to_owned(), ""));
    let found = if got.is_empty() {
        "the end".to_owned()
    } else {
        format!("\"{}\"", got.chars().take(12).collect::<String>())
    };
    FilterError {
        column: column_of(text, got),
        message: format!("{message}, found {found}"),
    }
}

/// The 1-based column (in characters) where `part`, a slice of `text`, starts; the end of
/// `text` when `part` is not in it.
fn column_of(text: &str, part: &str) -> usize {
    let start = text.as_ptr() as usize;
    let at = (part.as_ptr() as usize)
        .checked_sub(start)
        .filter(|offset| *offset <= text.len())
        .unwrap_or(text.len());
    text.get(..at).map_or(at, |before| before.chars().count()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"big": 18446744073709551615, "fine": 0.12345678901234567890123, "price": 19.99, "tiny": 1e-7, "qty": 1.50, "status": "shipped", "payment": null}"#;

    #[test]
    fn numbers_pass_through_exactly_as_stored() {
        let filter = Filter::parse("[.big, .fine, .price, .tiny, .qty]").unwrap();
        assert_eq!(
            filter.first(DOC).unwrap().as_deref(),
            Some("[18446744073709551615,0.12345678901234567890123,19.99,1e-7,1.50]")
        );
        assert_eq!(
            Filter::parse("{b: .big}")
                .unwrap()
                .first(DOC)
                .unwrap()
                .as_deref(),
            Some(r#"{"b":18446744073709551615}"#)
        );
        assert!(
            Filter::parse(".big == 18446744073709551615")
                .unwrap()
                .holds(DOC)
        );
    }

    #[test]
    fn values_go_in_as_their_text_would() {
        let doc: Value = serde_json::from_str(DOC).unwrap();
        let filter =
            Filter::parse("[.big, .fine, .price, .tiny, .qty, .big + 1, .price * 2]").unwrap();
        assert_eq!(
            filter.first_of(&doc).unwrap().unwrap().to_string(),
            "[18446744073709551615,0.12345678901234567890123,19.99,1e-7,1.50,18446744073709551616,39.98]"
        );
        assert!(
            Filter::parse(".big == 18446744073709551615")
                .unwrap()
                .holds_on(&doc)
        );
        assert!(
            Filter::parse(r#".status == "shipped" and .payment == null"#)
                .unwrap()
                .holds_on(&doc)
        );
        assert!(!Filter::parse(".status | tonumber").unwrap().holds_on(&doc));
        assert_eq!(Filter::parse("nan").unwrap().first_of(&doc), Ok(None));
        let keys = Filter::parse("keys_unsorted")
            .unwrap()
            .first_of(&doc)
            .unwrap()
            .unwrap();
        assert_eq!(keys[0], "big", "members keep their order");
    }

    #[test]
    fn truthiness_is_jq_s_and_failures_do_not_hold() {
        let holds = |f: &str| Filter::parse(f).unwrap().holds(DOC);
        assert!(holds(r#".status == "shipped" and .payment == null"#));
        assert!(!holds(".payment"));
        assert!(!holds(".missing"));
        assert!(holds(".qty"));
        assert!(!holds("empty"), "no output");
        assert!(!holds(".status | tonumber"), "an error");
        assert!(
            Filter::parse(".status | tonumber")
                .unwrap()
                .first(DOC)
                .is_err()
        );
        assert_eq!(Filter::parse("empty").unwrap().first(DOC), Ok(None));
    }

    #[test]
    fn a_filter_that_does_not_parse_says_where() {
        let error = Filter::parse(".a | (.b").unwrap_err();
        assert_eq!(
            error.column, 9,
            "where the closing parenthesis was due: {error}"
        );
        assert!(error.message.contains("closing parenthesis"), "{error}");
        let error = Filter::parse(".a | nosuch(1)").unwrap_err();
        assert_eq!(error.column, 6, "{error}");
        assert_eq!(error.message, "nosuch/1 is not defined", "as jq says it");
        let error = Filter::parse("status").unwrap_err();
        assert_eq!(error.message, "status/0 is not defined");
        let error = Filter::parse(".a ==").unwrap_err();
        assert!(error.column >= 4, "{error}");
    }
}
