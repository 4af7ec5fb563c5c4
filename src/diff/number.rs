//! Comparing JSON numbers by value without rounding them: `1`, `1.0` and `10e-1` are equal, and
//! so are two spellings of 123456789012345678901234567890.

/// A number as sign, significant digits (no leading or trailing zeros) and the power of ten of
/// the last digit. Zero is `(false, "", 0)`.
fn canonical(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (
            &rest[..at],
            rest[at + 1..].trim_start_matches('+').parse::<i64>().ok()?,
        ),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut power = exponent - i64::try_from(frac.len()).ok()?;
    while digits.ends_with('0') {
        digits.pop();
        power += 1;
    }
    let digits = digits.trim_start_matches('0').to_owned();
    if digits.is_empty() {
        return Some((false, digits, 0));
    }
    Some((negative, digits, power))
}

/// Whether two JSON number texts name the same value.
pub fn numbers_equal(a: &str, b: &str) -> bool {
    match (canonical(a), canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::numbers_equal;

    #[test]
    fn equal_values_in_different_spellings() {
        assert!(numbers_equal("1", "1.0"));
        assert!(numbers_equal("10e-1", "1"));
        assert!(numbers_equal("-0", "0.000"));
        assert!(numbers_equal("1.5E+2", "150"));
        assert!(numbers_equal(
            "123456789012345678901234567890",
            "1.2345678901234567890123456789e29"
        ));
        assert!(!numbers_equal("19.99", "19.990000000000001"));
        assert!(!numbers_equal("-1", "1"));
    }
}
