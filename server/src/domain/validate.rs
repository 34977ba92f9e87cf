//! Input checks shared by every path that accepts profile or organization fields.

/// Trims and lower-cases an email address and checks its shape. Deliverability is proven by the
/// verification mail, not here.
pub fn email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return Err("must be an email address".into());
    };
    let valid = !local.is_empty()
        && local.len() <= 64
        && domain.len() >= 3
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 320
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        // ASCII only: a Cyrillic `а` would otherwise make a second account that reads like the
        // first. An international domain is written in its `xn--` form.
        && email.is_ascii()
        // Characters that would let a mail library read a display name, a list or a route.
        && !email.chars().any(|c| matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\' | ':'));
    if valid {
        Ok(email)
    } else {
        Err("must be an email address".into())
    }
}

/// An email domain an organization claims: lower case ASCII labels of `a-z`, `0-9` and `-` (an
/// international domain in its `xn--` form), at least two, each 1 to 63 characters not starting or
/// ending with `-`, at most 253 in all, no trailing dot.
pub fn domain(raw: &str) -> Result<String, String> {
    let domain = raw.trim().to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let valid = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if valid {
        Ok(domain)
    } else {
        Err("must be a domain name such as example.com (an international one in its xn-- form)".into())
    }
}

/// The domain of an address already checked by [`email`].
pub fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// An organization slug: 3 to 63 of `a-z`, `0-9` and `-`, not starting or ending with `-`.
pub fn slug(raw: &str) -> Result<String, String> {
    let slug = raw.trim();
    let valid = (3..=63).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if valid {
        Ok(slug.to_owned())
    } else {
        Err("3 to 63 characters of a-z, 0-9 and -, not starting or ending with -".into())
    }
}

/// Free text of at most `max` characters with no control characters; empty after trimming is
/// refused (use null to clear).
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err("must not be empty (use null to clear it)".into());
    }
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// An http(s) URL, for pictures and logos.
pub fn url(raw: &str) -> Result<String, String> {
    let value = text(raw, 2048)?;
    if !(value.starts_with("https://") || value.starts_with("http://")) || value.contains(char::is_whitespace) {
        return Err("must be an http or https URL".into());
    }
    Ok(value)
}

/// A colour as `#rrggbb`.
pub fn color(raw: &str) -> Result<String, String> {
    let value = raw.trim().to_lowercase();
    if value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(value)
    } else {
        Err("must be a colour as #rrggbb".into())
    }
}

/// A username: 1 to 128 of letters, digits and `._-@+`, stored lower-cased.
pub fn username(raw: &str) -> Result<String, String> {
    let value = raw.trim().to_lowercase();
    let valid =
        (1..=128).contains(&value.chars().count()) && value.chars().all(|c| c.is_alphanumeric() || "._-@+".contains(c));
    if valid {
        Ok(value)
    } else {
        Err("1 to 128 letters, digits or ._-@+".into())
    }
}

/// A BCP 47-ish locale tag such as `en` or `pt-BR`.
pub fn locale(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    let valid =
        (2..=35).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(value.to_owned())
    } else {
        Err("must be a locale tag such as en or pt-BR".into())
    }
}

/// A phone number in E.164-ish form: `+` and 6 to 15 digits, spaces and dashes ignored.
pub fn phone(raw: &str) -> Result<String, String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let valid =
        digits.starts_with('+') && (7..=16).contains(&digits.len()) && digits[1..].chars().all(|c| c.is_ascii_digit());
    if valid {
        Ok(digits)
    } else {
        Err("must be a phone number in international form, like +14155550100".into())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn domains_are_lower_cased_dotted_labels() {
        assert_eq!(super::domain(" Acme.COM ").unwrap(), "acme.com");
        assert_eq!(super::domain("xn--bcher-kva.example").unwrap(), "xn--bcher-kva.example");
        for bad in [
            "acme",
            "acme.com.",
            ".acme.com",
            "-a.com",
            "a-.com",
            "a..com",
            "ac me.com",
            "bücher.de",
            "a@b.com",
        ] {
            assert!(super::domain(bad).is_err(), "{bad}");
        }
        assert_eq!(super::domain_of("ada@acme.com"), "acme.com");
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(super::email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        assert!(super::email("no-at-sign").is_err());
        assert!(super::email("a@b").is_err());
        assert!(super::email("a b@example.com").is_err());
        // Nothing a mail library would read as a display name, a list or a route.
        for sneaky in [
            "x<evil@example.com>",
            "a@example.com,b@example.com",
            "\"a\"@example.com",
            "a@[127.0.0.1]",
        ] {
            assert!(super::email(sneaky).is_err(), "{sneaky}");
        }
        assert!(super::email("o'brien+tag@example.co.uk").is_ok());
        // Look-alikes of user@example.com: Cyrillic letters, a fullwidth at sign.
        for look_alike in [
            "us\u{0435}r@example.com",
            "user@ex\u{0430}mple.com",
            "user\u{ff20}example.com",
        ] {
            assert!(super::email(look_alike).is_err(), "{look_alike}");
        }
        assert!(super::email("user@xn--exmple-4nf.com").is_ok());
    }

    #[test]
    fn slugs() {
        assert!(super::slug("acme-corp").is_ok());
        assert!(super::slug("ab").is_err());
        assert!(super::slug("Acme").is_err());
        assert!(super::slug("-acme").is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    /// Characters a mail library could read as a display name, a list, a route or a header break.
    const FORBIDDEN: &[char] = &['<', '>', ',', ';', '"', '(', ')', '[', ']', '\\', ':', '\r', '\n'];

    /// Plausible addresses: a local part, a dotted domain, with random case and padding.
    fn addresses() -> impl Strategy<Value = String> {
        (
            "[A-Za-z0-9._%+'-]{1,30}",
            "[A-Za-z0-9-]{1,20}(\\.[A-Za-z0-9-]{1,10}){1,3}",
            "[ \t]{0,3}",
            "[ \t]{0,3}",
        )
            .prop_map(|(local, domain, before, after)| format!("{before}{local}@{domain}{after}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn email_never_panics_and_what_it_accepts_is_normal(raw in prop_oneof![
            any::<String>(),
            "\\PC{0,12}@\\PC{0,12}",
            "[a-zA-Z0-9 <>,;\"()\\[\\]\\\\:\r\n\t.@İK\u{212A}]{0,16}@[a-zA-Z0-9.\r\n İ]{0,12}",
        ]) {
            if let Ok(email) = super::email(&raw) {
                prop_assert_eq!(email.trim(), email.as_str());
                prop_assert_eq!(email.to_lowercase(), email.clone());
                prop_assert_eq!(email.matches('@').count(), 1);
                prop_assert!(!email.contains(FORBIDDEN), "{email:?}");
                prop_assert!(!email.chars().any(|c| c.is_whitespace() || c.is_control()), "{email:?}");
                prop_assert_eq!(super::email(&email), Ok(email.clone()));
            }
        }

        #[test]
        fn email_accepts_plain_addresses_trimmed_and_lower_cased(raw in addresses()) {
            let expected = raw.trim().to_lowercase();
            match super::email(&raw) {
                Ok(email) => {
                    prop_assert_eq!(&email, &expected);
                    prop_assert_eq!(super::email(&email), Ok(email.clone()));
                }
                // Only the documented limits may refuse a plain address.
                Err(_) => {
                    let (local, domain) = expected.split_once('@').unwrap();
                    prop_assert!(
                        local.len() > 64 || domain.len() < 3 || domain.starts_with('.') || domain.ends_with('.'),
                        "{raw:?} was refused"
                    );
                }
            }
        }

        #[test]
        fn email_refuses_line_breaks_and_display_name_characters(
            raw in addresses(),
            at in any::<prop::sample::Index>(),
            bad in prop::sample::select(FORBIDDEN),
        ) {
            // Inside the address: at either end, whitespace is trimmed off like any padding.
            let mut chars: Vec<char> = raw.trim().chars().collect();
            let position = 1 + at.index(chars.len() - 1);
            chars.insert(position, bad);
            let sneaky: String = chars.into_iter().collect();
            prop_assert!(super::email(&sneaky).is_err(), "{sneaky:?} was accepted");
        }

        #[test]
        fn other_field_checks_never_panic(raw in any::<String>(), max in 0usize..300) {
            let _ = super::slug(&raw);
            let _ = super::text(&raw, max);
            let _ = super::url(&raw);
            let _ = super::color(&raw);
            let _ = super::username(&raw);
            let _ = super::locale(&raw);
            let _ = super::phone(&raw);
        }
    }
}
