//! An organization's branding on the public pages. Only a well-formed `#rrggbb` colour reaches a
//! style attribute, so that a stored value can never smuggle CSS in.

/// The colour, lower-cased, if it is exactly `#rrggbb`.
pub fn hex_color(value: &str) -> Option<String> {
    let value = value.trim();
    let digits = value.strip_prefix('#')?;
    (digits.len() == 6 && digits.chars().all(|character| character.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

/// The style that makes the page's main button (and links) the organization's colour.
pub fn primary_color_style(color: Option<&str>) -> Option<String> {
    let color = hex_color(color?)?;
    Some(format!("--color-primary: {color}; --color-primary-hover: {color};"))
}

/// The name to show: the display name when there is one, the organization's name otherwise.
pub fn title(display_name: Option<&str>, name: &str) -> String {
    match display_name.map(str::trim) {
        Some(display_name) if !display_name.is_empty() => display_name.to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_digit_hex_colours_pass() {
        assert_eq!(hex_color("#1A2b3C"), Some("#1a2b3c".to_owned()));
        assert_eq!(hex_color(" #ffffff "), Some("#ffffff".to_owned()));
        assert_eq!(hex_color("#fff"), None);
        assert_eq!(hex_color("ffffff"), None);
        assert_eq!(hex_color("#ffffff; background: url(x)"), None);
        assert_eq!(hex_color("#gggggg"), None);
    }

    #[test]
    fn the_style_sets_the_primary_colour() {
        assert_eq!(
            primary_color_style(Some("#2453C7")).as_deref(),
            Some("--color-primary: #2453c7; --color-primary-hover: #2453c7;")
        );
        assert_eq!(primary_color_style(Some("red")), None);
        assert_eq!(primary_color_style(None), None);
    }

    #[test]
    fn the_display_name_wins_when_set() {
        assert_eq!(title(Some("Acme Portal"), "acme"), "Acme Portal");
        assert_eq!(title(Some("  "), "Acme"), "Acme");
        assert_eq!(title(None, "Acme"), "Acme");
    }
}
