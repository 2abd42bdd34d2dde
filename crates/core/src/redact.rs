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

#[cfg(test)]
mod tests {
    use super::*;

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
