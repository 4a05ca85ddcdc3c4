// SPDX-License-Identifier: GPL-2.0

//! Text files of vectors: one vector per line, numbers separated by commas and/or
//! whitespace. Blank lines and lines starting with `#` are skipped.

use crate::Result;

/// The tokens of one line: split on whitespace and commas. A comma with no number
/// before it (a leading comma, `1,,2`) or after it (a trailing comma) is an error.
pub fn tokens(line: &[u8]) -> std::result::Result<Vec<&[u8]>, &'static str> {
    let mut out = Vec::new();
    let fields: Vec<&[u8]> = line.split(|&c| c == b',').collect();
    let several = fields.len() > 1;
    for field in fields {
        let before = out.len();
        out.extend(
            field
                .split(|c| c.is_ascii_whitespace())
                .filter(|t| !t.is_empty()),
        );
        if several && out.len() == before {
            return Err("empty field between commas");
        }
    }
    Ok(out)
}

/// The lines worth reading: `(line number from 1, content without '\n' or '\r')`.
pub fn lines(text: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    text.split(|&c| c == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| {
            let t = l.trim_ascii_start();
            !t.is_empty() && !t.starts_with(b"#")
        })
}

/// Float rows of `dim` values (calibration data). A first line that is not numbers is a
/// header, skipped.
pub fn read_rows(name: &str, text: &[u8], dim: usize) -> Result<Vec<Vec<f64>>> {
    let mut rows = Vec::new();
    for (k, (no, line)) in lines(text).enumerate() {
        let toks = tokens(line).map_err(|e| format!("{name}:{no}: {e}"))?;
        let parsed: Vec<Option<f64>> = toks
            .iter()
            .map(|t| {
                std::str::from_utf8(t)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|v| v.is_finite())
            })
            .collect();
        if let Some(bad) = parsed.iter().position(Option::is_none) {
            if k == 0 && parsed.iter().all(Option::is_none) {
                continue; // a header
            }
            return Err(format!(
                "{name}:{no}: value {} ('{}') is not a finite number",
                bad + 1,
                String::from_utf8_lossy(toks[bad])
            ));
        }
        if parsed.len() != dim {
            return Err(format!(
                "{name}:{no}: {} values, the model takes {dim}",
                parsed.len()
            ));
        }
        rows.push(parsed.into_iter().flatten().collect());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> std::result::Result<Vec<&str>, &'static str> {
        tokens(s.as_bytes()).map(|v| v.iter().map(|t| std::str::from_utf8(t).unwrap()).collect())
    }

    #[test]
    fn commas_and_whitespace_separate() {
        assert_eq!(toks("1 2\t3"), Ok(vec!["1", "2", "3"]));
        assert_eq!(toks("1,2,3"), Ok(vec!["1", "2", "3"]));
        assert_eq!(toks(" 1 , 2 ,3 "), Ok(vec!["1", "2", "3"]));
        assert_eq!(toks("1 2, 3"), Ok(vec!["1", "2", "3"]));
        assert_eq!(toks(""), Ok(vec![]));
        assert!(toks("1,,2").is_err());
        assert!(toks("1,2,").is_err());
        assert!(toks(",1").is_err());
    }

    #[test]
    fn lines_skip_blanks_and_comments() {
        let v: Vec<_> = lines(b"# c\n1 2\r\n\n  \n3\n").collect();
        assert_eq!(v, vec![(2, &b"1 2"[..]), (5, &b"3"[..])]);
    }

    #[test]
    fn rows_with_header_and_errors() {
        let r = read_rows("c", b"a,b\n1,2\n-0.5, 1e-3\n", 2).unwrap();
        assert_eq!(r, vec![vec![1.0, 2.0], vec![-0.5, 0.001]]);
        let e = read_rows("c", b"1,2\n3\n", 2).unwrap_err();
        assert_eq!(e, "c:2: 1 values, the model takes 2");
        let e = read_rows("c", b"1,2\n3,x\n", 2).unwrap_err();
        assert_eq!(e, "c:2: value 2 ('x') is not a finite number");
        assert!(read_rows("c", b"1,nan\n", 2).is_err());
    }
}
