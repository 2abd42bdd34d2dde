//! JSON helpers shared by the server side (request limits) and the upstream clients
//! (response limits).

/// The nesting depth of a JSON text, found without parsing it (strings are skipped), so
/// that a body nested too deep is refused before a parser recurses into it.
///
/// Runs over every upstream answer and request body: strings (most of a JSON text) are
/// skipped with `memchr` to their closing quote or next escape, and everything else is
/// classified through a table.
pub fn nesting_depth(bytes: &[u8]) -> usize {
    const OTHER: u8 = 0;
    const QUOTE: u8 = 1;
    const OPEN: u8 = 2;
    const CLOSE: u8 = 3;
    const CLASS: [u8; 256] = {
        let mut t = [OTHER; 256];
        t[b'"' as usize] = QUOTE;
        t[b'{' as usize] = OPEN;
        t[b'[' as usize] = OPEN;
        t[b'}' as usize] = CLOSE;
        t[b']' as usize] = CLOSE;
        t
    };
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match CLASS[usize::from(bytes[i])] {
            QUOTE => {
                // To the closing quote, stepping over escapes (`\"` and `\\`).
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
                        None => return max,
                        Some(at) if bytes[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                    }
                }
            }
            OPEN => {
                depth += 1;
                max = max.max(depth);
            }
            CLOSE => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_skips_strings() {
        assert_eq!(nesting_depth(br#"{"a":[1,{"b":"[[[{"}]}"#), 3);
        assert_eq!(nesting_depth(br#""\"[""#), 0);
        assert_eq!(nesting_depth(b"1"), 0);
        assert_eq!(nesting_depth(br#"["\\",["x\\\"]"]]"#), 2);
        assert_eq!(nesting_depth(br#"[["unterminated\"#), 2);
        assert_eq!(nesting_depth(br#"[["ends in an escape\"#), 2);
    }

    /// The byte-at-a-time state machine the scanner replaced: the oracle.
    fn simple_depth(bytes: &[u8]) -> usize {
        let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
        for &b in bytes {
            if in_str {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' | b'[' => {
                    depth += 1;
                    max = max.max(depth);
                }
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        max
    }

    #[test]
    fn depth_agrees_with_the_simple_scanner_on_every_short_text() {
        // Every text of up to 6 bytes over the characters that matter.
        let alphabet = b"\"\\{}[]a";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..6 {
            let longer: Vec<Vec<u8>> = texts
                .iter()
                .filter(|t| t.len() == texts.last().map_or(0, Vec::len))
                .flat_map(|t| {
                    alphabet.iter().map(move |&c| {
                        let mut t = t.clone();
                        t.push(c);
                        t
                    })
                })
                .collect();
            texts.extend(longer);
        }
        for t in &texts {
            assert_eq!(
                nesting_depth(t),
                simple_depth(t),
                "{:?}",
                String::from_utf8_lossy(t)
            );
        }
    }
}
