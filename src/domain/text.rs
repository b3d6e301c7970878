//! Text that people send: names, narratives, comments, search terms. Stored and returned as
//! sent (Thai included), except control characters, which no one types on purpose: NUL cannot
//! even be stored by PostgreSQL, and C1 controls (U+0080–U+009F) are the mark of text decoded
//! with the wrong code page (Windows-874 or cp1252 read as Latin-1).

/// The one rule: a control character (Unicode general category Cc: U+0000–U+001F, U+007F,
/// U+0080–U+009F) other than tab (U+0009) and line feed (U+000A), or a bidirectional embedding,
/// override or isolate (U+202A–U+202E, U+2066–U+2069). Carriage return is refused too: line
/// breaks are sent as line feeds. The bidirectional controls make text display in another
/// order than it is stored: an indicator name or code shown reversed in the exported
/// spreadsheets and meeting pages ("Trojan Source"); Thai and English never need them.
pub fn is_forbidden(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first forbidden character of `text`, if any.
pub fn forbidden_control_character(text: &str) -> Option<char> {
    text.chars().find(|c| is_forbidden(*c))
}

/// Text without forbidden characters, as a JSON Schema `pattern` (ECMA 262; also Python's and
/// Rust's regex syntax). The contract puts it on every free-text request field.
pub const TEXT_PATTERN: &str =
    r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$";

/// What a person reads in an error message about `text`: which character, and where.
pub fn forbidden_character_message(text: &str) -> Option<String> {
    let (index, c) = text.chars().enumerate().find(|(_, c)| is_forbidden(*c))?;
    Some(format!(
        "must not contain control characters: U+{:04X} at character {}; only tab and line feed \
         are allowed (and no bidirectional overrides)",
        u32::from(c),
        index + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_and_line_feed_are_text_other_controls_are_not() {
        assert_eq!(forbidden_control_character("สำนักงาน\tพลังงาน\nจังหวัด"), None);
        assert_eq!(forbidden_control_character("Yasothon 2565 ✓"), None);
        assert_eq!(forbidden_control_character(""), None);
        assert_eq!(forbidden_control_character("a\0b"), Some('\0'));
        assert_eq!(forbidden_control_character("line\r\n"), Some('\r'));
        assert_eq!(forbidden_control_character("\u{7f}"), Some('\u{7f}'));
        assert_eq!(forbidden_control_character("ก\u{85}"), Some('\u{85}'));
        assert_eq!(forbidden_control_character("\u{9f}"), Some('\u{9f}'));
        // Other format characters are left alone (a zero-width space, a BOM); the
        // bidirectional overrides and isolates are refused.
        assert_eq!(forbidden_control_character("\u{200b}\u{feff}"), None);
        assert_eq!(forbidden_control_character("E.1\u{202e}"), Some('\u{202e}'));
        assert_eq!(forbidden_control_character("\u{2066}x"), Some('\u{2066}'));
        assert_eq!(forbidden_control_character("\u{2069}"), Some('\u{2069}'));
        assert_eq!(forbidden_control_character("\u{2029}\u{206a}"), None);
        assert_eq!(
            forbidden_character_message("ab\u{1}").as_deref(),
            Some(
                "must not contain control characters: U+0001 at character 3; only tab and line \
                 feed are allowed (and no bidirectional overrides)"
            )
        );
    }

    /// The pattern the contract publishes refuses exactly what the service refuses.
    #[test]
    fn the_published_pattern_is_the_rule() {
        let pattern = regex::Regex::new(TEXT_PATTERN).expect("pattern");
        for code in (0..0x3000).chain(0xD7F0..0x11000).chain([0x10FFFF]) {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let text = format!("ก{c}a");
            assert_eq!(
                pattern.is_match(&text),
                forbidden_control_character(&text).is_none(),
                "U+{code:04X}"
            );
        }
    }
}
