//! Text that cannot drive a terminal. A record's free text (titles, quotes, notes, names) is
//! shown in plain-text output with every control character — escape sequences, carriage returns,
//! line breaks, and the Unicode controls that reorder text — written out as an escape (`\u{1b}`,
//! `\r`, `\n`), as `ripgrep` and `git` do, so that a scenario cannot paint a fake line or overwrite
//! one. JSON output stays exact. (The command line applies it to a whole record before printing.)

use std::borrow::Cow;

/// Whether a character is one a terminal would act on rather than show.
fn drives_a_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The text with every control character escaped; the text itself when it has none.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(drives_a_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if drives_a_terminal(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A real number for people: plain digits in the everyday range, scientific notation beyond it
/// (`1.6e308`, not three hundred digits), `inf`/`-inf`/`NaN` as Rust writes them.
pub fn real(number: f64) -> String {
    let size = number.abs();
    if number.is_finite() && size != 0.0 && !(1e-6..1e16).contains(&size) { format!("{number:e}") } else { format!("{number}") }
}

#[cfg(test)]
mod tests {
    use super::{escape_controls, real};

    #[test]
    fn reals_beyond_the_everyday_range_use_an_exponent() {
        assert_eq!(real(800000.0), "800000");
        assert_eq!(real(2.5), "2.5");
        assert_eq!(real(0.0), "0");
        assert_eq!(real(-1.6e308), "-1.6e308");
        assert_eq!(real(1e-9), "1e-9");
        assert_eq!(real(f64::INFINITY), "inf");
    }

    #[test]
    fn controls_are_escaped_and_plain_text_is_borrowed() {
        assert_eq!(escape_controls("plain, ünïcode, 北京"), "plain, ünïcode, 北京");
        assert!(matches!(escape_controls("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(escape_controls("a\u{1b}[32mCONSISTENT\rb\n"), "a\\u{1b}[32mCONSISTENT\\rb\\n");
        assert_eq!(escape_controls("x\u{202E}y\u{7f}"), "x\\u{202e}y\\u{7f}");
    }
}
