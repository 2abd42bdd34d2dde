//! Keeping secrets out of what is printed: error messages, logs, `Debug`.

use std::borrow::Cow;

/// `raw` with the password of its user info masked (`postgres://app:***@db/x`), or the
/// whole user info when it has no password, since a lone user name may be a token
/// (`https://***@host/`). Works on the text, so a URL that does not parse (the one an
/// error message is about) is masked too.
pub fn url(raw: &str) -> Cow<'_, str> {
    let Some(scheme_end) = raw.find("://") else {
        return Cow::Borrowed(raw);
    };
    let authority_start = scheme_end + 3;
    let rest = &raw[authority_start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(raw);
    };
    let shown = match authority[..at].split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_owned(),
    };
    Cow::Owned(format!(
        "{}{shown}{}",
        &raw[..authority_start],
        &raw[authority_start + at..]
    ))
}

/// A deserialisation error's message without the value it quotes: serde writes
/// `invalid type: integer `123456789`, expected a string`, and the value may be a secret
/// set in the wrong form (a numeric password from an environment variable). The kind of
/// value and what was expected stay.
pub fn serde_message(message: &str) -> Cow<'_, str> {
    const PREFIXES: [&str; 2] = ["invalid type: ", "invalid value: "];
    let Some((start, prefix)) = PREFIXES
        .iter()
        .filter_map(|p| message.find(p).map(|i| (i, *p)))
        .min_by_key(|(i, _)| *i)
    else {
        return Cow::Borrowed(message);
    };
    let unexpected_start = start + prefix.len();
    let Some(expected) = message[unexpected_start..]
        .rfind(", expected")
        .map(|i| unexpected_start + i)
    else {
        return Cow::Borrowed(message);
    };
    let unexpected = &message[unexpected_start..expected];
    let Some(quote) = unexpected.find(['`', '"']) else {
        return Cow::Borrowed(message);
    };
    Cow::Owned(format!(
        "{}{}{}",
        &message[..unexpected_start],
        unexpected[..quote].trim_end(),
        &message[expected..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserialisation_errors_keep_the_kind_not_the_value() {
        let cases = [
            (
                "invalid type: integer `123456789`, expected a string",
                "invalid type: integer, expected a string",
            ),
            (
                "invalid type: string \"s3cret, really\", expected u32 for key `x`",
                "invalid type: string, expected u32 for key `x`",
            ),
            (
                "invalid value: floating point `1.5`, expected an integer",
                "invalid value: floating point, expected an integer",
            ),
            (
                "invalid type: map, expected a string",
                "invalid type: map, expected a string",
            ),
            (
                "unknown field `tokn`, expected one of `token`",
                "unknown field `tokn`, expected one of `token`",
            ),
        ];
        for (raw, shown) in cases {
            assert_eq!(serde_message(raw), shown, "{raw}");
        }
        let real = serde_json::from_value::<String>(serde_json::json!(123456789))
            .unwrap_err()
            .to_string();
        assert!(!serde_message(&real).contains("123456789"), "{real}");
    }

    #[test]
    fn user_info_is_masked_whether_the_url_parses_or_not() {
        let cases = [
            (
                "postgres://app:s3cret@db:5432/x",
                "postgres://app:***@db:5432/x",
            ),
            (
                "http://user:s3cret@host:99999/",
                "http://user:***@host:99999/",
            ),
            ("https://t0ken@host/api", "https://***@host/api"),
            ("http://u:p@ss@host/", "http://u:***@host/"),
            ("http://host/a@b", "http://host/a@b"),
            ("http://host?q=a@b", "http://host?q=a@b"),
            ("sqlite://data/custgate.db", "sqlite://data/custgate.db"),
            ("not a url", "not a url"),
        ];
        for (raw, shown) in cases {
            assert_eq!(url(raw), shown, "{raw}");
        }
    }
}
