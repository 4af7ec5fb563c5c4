//! RFC 6901 JSON Pointers: escaping tokens and walking values.

use std::borrow::Cow;

/// A reference token escaped for a pointer: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// `pointer` with one more reference token.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// The reference tokens of `pointer`, unescaped. `None` if it is neither empty nor starts
/// with `/`.
pub fn tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// An array index token: decimal digits without leading zeros (RFC 6901 section 4).
pub fn array_index(token: &str) -> Option<usize> {
    let digits_only = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        assert_eq!(child("/a", "b/c~d"), "/a/b~1c~0d");
        assert_eq!(tokens("/a/b~1c~0d"), Some(vec!["a".into(), "b/c~d".into()]));
        assert_eq!(tokens("/"), Some(vec![String::new()]));
        assert_eq!(tokens("a"), None);
        assert_eq!(tokens("~01"), None);
        assert_eq!(tokens("/~01"), Some(vec!["~1".into()]));
    }

    #[test]
    fn indices_refuse_leading_zeros_and_signs() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("12"), Some(12));
        assert_eq!(array_index("01"), None);
        assert_eq!(array_index("-"), None);
        assert_eq!(array_index("+1"), None);
        assert_eq!(array_index("1e0"), None);
    }
}
