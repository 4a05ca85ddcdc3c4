// SPDX-License-Identifier: GPL-2.0

//! Host tests of the decimal text format (`rust/pure/decimal.rs`).

extern crate std;

use std::format;
use std::string::String;
use std::vec::Vec;

use crate::decimal::{parse_line, parse_q, write_outputs, write_q, DecimalError, MAX_FRAC};

fn text(q: i16, frac: u8) -> String {
    let mut s = String::new();
    write_q(&mut s, q, frac).unwrap();
    s
}

fn p(s: &str, frac: u8) -> Result<i16, DecimalError> {
    parse_q(s.as_bytes(), frac)
}

/// The reference: a number of at most 30 digits as `n / 10^k` in `i128`, then
/// `floor(n * 2^frac / 10^k + 1/2)` exactly (None when it has too many digits).
fn reference(s: &str, frac: u8) -> Option<i128> {
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (i, f) = body.split_once('.').unwrap_or((body, ""));
    let digits = format!("{i}{f}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 || f.len() > 30 {
        return None;
    }
    let n: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().unwrap()
    };
    let den = 10i128.pow(f.len() as u32);
    let num = if neg { -n } else { n } << frac;
    Some((2 * num + den).div_euclid(2 * den))
}

fn expect(s: &str, frac: u8) -> Result<i16, DecimalError> {
    let r = reference(s, frac).unwrap();
    i16::try_from(r).map_err(|_| DecimalError::OutOfRange)
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

#[test]
fn write_then_parse_is_the_identity_for_every_i16_and_frac() {
    for frac in 0..=MAX_FRAC {
        for q in i16::MIN..=i16::MAX {
            let s = text(q, frac);
            assert_eq!(p(&s, frac), Ok(q), "{s} at frac {frac}");
            // Shortest exact form.
            if s.contains('.') {
                assert!(!s.ends_with('0') && !s.ends_with('.'), "{s}");
            }
            assert!(!s.starts_with("-0") || s.starts_with("-0."), "{s}");
            // The written value is exactly q / 2^frac.
            let (i, f) = s
                .trim_start_matches('-')
                .split_once('.')
                .unwrap_or((&s, ""));
            let i = i.trim_start_matches('-');
            let n: i128 = format!("{i}{f}").parse().unwrap();
            let n = if q < 0 { -n } else { n };
            assert_eq!(
                n << frac,
                i128::from(q) * 10i128.pow(f.len() as u32),
                "{s} is not {q}/2^{frac}"
            );
            assert!(f.len() <= usize::from(frac));
        }
    }
}

#[test]
fn write_q_examples() {
    assert_eq!(text(0, 0), "0");
    assert_eq!(text(0, 15), "0");
    assert_eq!(text(-16384, 15), "-0.5");
    assert_eq!(text(i16::MIN, 15), "-1");
    assert_eq!(text(i16::MIN, 0), "-32768");
    assert_eq!(text(i16::MAX, 0), "32767");
    assert_eq!(text(1, 15), "0.000030517578125");
    assert_eq!(text(i16::MAX, 15), "0.999969482421875");
    assert_eq!(text(-3, 1), "-1.5");
    assert_eq!(text(40, 4), "2.5");
    let mut s = String::new();
    assert!(write_q(&mut s, 1, 16).is_err());
    assert!(s.is_empty());
}

#[test]
fn ties_round_up_both_signs() {
    for (s, q) in [
        ("0.5", 1),
        ("1.5", 2),
        ("2.5", 3),
        ("-0.5", 0),
        ("-1.5", -1),
        ("-2.5", -2),
        ("2.4", 2),
        ("2.6", 3),
        ("-2.4", -2),
        ("-2.6", -3),
        ("-32768.5", -32768),
        ("32766.5", 32767),
    ] {
        assert_eq!(p(s, 0), Ok(q), "{s}");
    }
    assert_eq!(p("0.25", 1), Ok(1));
    assert_eq!(p("-0.25", 1), Ok(0));
    assert_eq!(p("0.75", 1), Ok(2));
    assert_eq!(p("-0.75", 1), Ok(-1));
    // Every tie (2q + 1) / 2^(frac + 1) at every frac goes to q + 1.
    for frac in 0..=MAX_FRAC {
        for q in (-32768i32..32767).step_by(97) {
            let num = i64::from(2 * q + 1);
            let s = exact(num, u32::from(frac) + 1);
            assert_eq!(p(&s, frac), Ok((q + 1) as i16), "{s} at frac {frac}");
        }
    }
}

/// The exact decimal of `num / 2^k` (k <= 40), with the big-integer arithmetic of the
/// test: `num * 5^k / 10^k`.
fn exact(num: i64, k: u32) -> String {
    let n = i128::from(num).unsigned_abs() * 5u128.pow(k);
    let digits = format!("{n:0>width$}", width = k as usize + 1);
    let (i, f) = digits.split_at(digits.len() - k as usize);
    let f = f.trim_end_matches('0');
    let sign = if num < 0 { "-" } else { "" };
    if f.is_empty() {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    }
}

#[test]
fn long_digit_strings_are_exact() {
    let nines = "9".repeat(1000);
    let zeros = "0".repeat(1000);
    // Just below and just above a tie, far beyond 19 digits.
    assert_eq!(p(&format!("2.4{nines}"), 0), Ok(2));
    assert_eq!(p(&format!("2.5{zeros}1"), 0), Ok(3));
    assert_eq!(p(&format!("2.5{zeros}"), 0), Ok(3));
    assert_eq!(p(&format!("-2.4{nines}"), 0), Ok(-2));
    assert_eq!(p(&format!("-2.5{zeros}"), 0), Ok(-2));
    assert_eq!(p(&format!("-2.5{zeros}1"), 0), Ok(-3));
    // 0.00001525878906250000...01 = 2^-16 + tiny: at frac 15, above the tie of 0.5 LSB.
    assert_eq!(p("0.0000152587890625", 15), Ok(1));
    assert_eq!(p(&format!("0.0000152587890624{nines}"), 15), Ok(0));
    assert_eq!(p(&format!("-0.0000152587890625{zeros}1"), 15), Ok(-1));
    assert_eq!(p("-0.0000152587890625", 15), Ok(0));
    // Leading zeros anywhere.
    assert_eq!(p(&format!("{zeros}1.5"), 0), Ok(2));
    assert_eq!(p(&format!("-{zeros}.{zeros}"), 15), Ok(0));
    // Just below and above the range limits.
    assert_eq!(p(&format!("32767.4{nines}"), 0), Ok(32767));
    assert_eq!(
        p(&format!("32767.5{zeros}"), 0),
        Err(DecimalError::OutOfRange)
    );
    assert_eq!(p(&format!("-32768.5{zeros}"), 0), Ok(-32768));
    assert_eq!(
        p(&format!("-32768.5{zeros}1"), 0),
        Err(DecimalError::OutOfRange)
    );
    assert_eq!(p(&format!("0.9999847412109374{nines}"), 15), Ok(32767));
    assert_eq!(p("0.99998474121", 15), Ok(32767));
    assert_eq!(p("0.9999847412109375", 15), Err(DecimalError::OutOfRange));
    assert_eq!(p("-1.0000152587890625", 15), Ok(-32768));
}

#[test]
fn random_numbers_match_the_i128_reference() {
    let mut rng = Rng(0x5eed);
    for _ in 0..300_000 {
        let int_len = rng.below(7) as usize;
        let frac_len = rng.below(24) as usize;
        let mut s = String::new();
        match rng.below(3) {
            0 => s.push('-'),
            1 if rng.below(4) == 0 => s.push('+'),
            _ => {}
        }
        s += &rng.digits(int_len);
        if frac_len > 0 || rng.below(4) == 0 {
            s.push('.');
            s += &rng.digits(frac_len);
        }
        if int_len == 0 && frac_len == 0 {
            s.push('0');
        }
        let frac = rng.below(16) as u8;
        assert_eq!(p(&s, frac), expect(&s, frac), "{s} at frac {frac}");
    }
}

#[test]
fn random_near_ties_match_the_i128_reference() {
    let mut rng = Rng(7);
    for _ in 0..100_000 {
        let frac = rng.below(16) as u8;
        let q = rng.below(65535) as i64 - 32768;
        // (2q + 1) / 2^(frac + 1) -/+ 2^-(frac + 1 + k): within 2^-k LSB of a tie.
        let k = rng.below(12) as u32 + 1;
        let tie = (2 * q + 1) << k;
        let d = if rng.below(2) == 0 { -1 } else { 1 };
        let s = exact(tie + d, u32::from(frac) + 1 + k);
        assert_eq!(p(&s, frac), expect(&s, frac), "{s} at frac {frac}");
        let want = if d > 0 { q + 1 } else { q };
        assert_eq!(p(&s, frac), Ok(want as i16), "{s} at frac {frac}");
    }
}

#[test]
fn every_error_names_its_reason() {
    use DecimalError::*;
    for (s, frac, e) in [
        ("", 0, Empty),
        ("+", 0, NoDigits),
        ("-", 0, NoDigits),
        (".", 0, NoDigits),
        ("-.", 0, NoDigits),
        ("+.", 3, NoDigits),
        ("1e3", 0, BadChar),
        ("1E3", 0, BadChar),
        ("1.2.3", 0, BadChar),
        ("..1", 0, BadChar),
        (" 1", 0, BadChar),
        ("1 ", 0, BadChar),
        ("1-", 0, BadChar),
        ("+-1", 0, BadChar),
        ("--1", 0, BadChar),
        ("0x10", 0, BadChar),
        ("inf", 0, BadChar),
        ("nan", 0, BadChar),
        ("1,5", 0, BadChar),
        ("\u{0661}", 0, BadChar),
        ("1\n", 0, BadChar),
        ("9999999999999999999999x", 0, BadChar),
        ("32768", 0, OutOfRange),
        ("-32769", 0, OutOfRange),
        ("32767.5", 0, OutOfRange),
        ("-32768.51", 0, OutOfRange),
        ("1", 15, OutOfRange),
        ("-1.0000152587890625000000001", 15, OutOfRange),
        ("99999999999999999999999999999999", 0, OutOfRange),
        ("-99999999999999999999999999999999", 0, OutOfRange),
        ("1048577", 0, OutOfRange),
        ("1", 16, BadFrac),
        ("1", 255, BadFrac),
    ] {
        assert_eq!(p(s, frac), Err(e), "{s:?} at frac {frac}");
        assert!(!e.reason().is_empty());
    }
    assert_eq!(p("-1", 15), Ok(-32768));
    assert_eq!(p("0.5", 15), Ok(16384));
    assert_eq!(p("5.", 0), Ok(5));
    assert_eq!(p("+.5", 1), Ok(1));
    assert_eq!(p("-0", 0), Ok(0));
    // All reasons are distinct.
    let all = [Empty, NoDigits, BadChar, OutOfRange, BadFrac, TooMany];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.reason(), b.reason());
        }
    }
    assert_eq!(format!("{OutOfRange}"), OutOfRange.reason());
}

#[test]
fn lines_split_on_spaces_and_tabs() {
    let mut out = [0i16; 4];
    assert_eq!(parse_line(b"1 2\t3\r", 0, &mut out), Ok(3));
    assert_eq!(out[..3], [1, 2, 3]);
    assert_eq!(parse_line(b"  -0.5 \t 0.25  \r\n", 2, &mut out), Ok(2));
    assert_eq!(out[..2], [-2, 1]);
    assert_eq!(parse_line(b"1 2 3 4\n", 0, &mut out), Ok(4));
    assert_eq!(parse_line(b"", 0, &mut out), Ok(0));
    assert_eq!(parse_line(b" \t \r\n", 0, &mut out), Ok(0));
    assert_eq!(
        parse_line(b"1 2 3 4 5", 0, &mut out),
        Err(DecimalError::TooMany)
    );
    assert_eq!(
        parse_line(b"1 2 3", 0, &mut out[..0]),
        Err(DecimalError::TooMany)
    );
    assert_eq!(parse_line(b"1 x", 0, &mut out), Err(DecimalError::BadChar));
    assert_eq!(parse_line(b"1,2", 0, &mut out), Err(DecimalError::BadChar));
    assert_eq!(parse_line(b"1\n2", 0, &mut out), Err(DecimalError::BadChar));
    assert_eq!(
        parse_line(b"1\r\r", 0, &mut out),
        Err(DecimalError::BadChar)
    );
    assert_eq!(
        parse_line(b"1 40000", 0, &mut out),
        Err(DecimalError::OutOfRange)
    );
    assert_eq!(parse_line(b"1 2", 16, &mut out), Err(DecimalError::BadFrac));
    // Exactly what write_outputs writes reads back (without the class).
    let mut s = String::new();
    let v: Vec<i16> = (-8..8).map(|i| i * 3001).collect();
    write_outputs(&mut s, &v, 11).unwrap();
    let numbers = s.split(" class ").next().unwrap();
    let mut back = [0i16; 16];
    assert_eq!(parse_line(numbers.as_bytes(), 11, &mut back), Ok(16));
    assert_eq!(back[..], v[..]);
}

#[test]
fn output_line_format() {
    let mut s = String::new();
    write_outputs(&mut s, &[1, -2, 3], 2).unwrap();
    assert_eq!(s, "0.25 -0.5 0.75 class 2\n");
    s.clear();
    write_outputs(&mut s, &[7, 7, -7], 0).unwrap();
    assert_eq!(s, "7 7 -7 class 0\n");
    s.clear();
    write_outputs(&mut s, &[i16::MIN], 15).unwrap();
    assert_eq!(s, "-1 class 0\n");
    s.clear();
    assert!(write_outputs(&mut s, &[], 0).is_err());
    assert!(write_outputs(&mut s, &[1], 16).is_err());
    assert!(s.is_empty());
}

#[test]
fn saturating_parse_clamps_only_out_of_range() {
    use crate::decimal::{parse_line_saturating, parse_q_saturating, DecimalError};
    assert_eq!(parse_q_saturating(b"1", 15), Ok(i16::MAX));
    assert_eq!(parse_q_saturating(b"-1", 15), Ok(i16::MIN));
    assert_eq!(parse_q_saturating(b"-2", 15), Ok(i16::MIN));
    assert_eq!(parse_q_saturating(b"0.5", 15), Ok(16384));
    assert_eq!(parse_q_saturating(b"x", 15), Err(DecimalError::BadChar));
    let mut out = [0i16; 2];
    assert_eq!(parse_line_saturating(b"1 -0.25\n", 15, &mut out), Ok(2));
    assert_eq!(out, [i16::MAX, -8192]);
}

#[test]
fn clipping_parse_saturates_and_counts() {
    use crate::decimal::{parse_line_clipping, Clipped};
    let mut out = [0i16; 4];
    // Q7.8: -128..=127.99609375; 200 and -200 saturate, 127.99609375 and -128 fit.
    let r = parse_line_clipping(b"200 -200 127.99609375 -128\n", 8, &mut out);
    assert_eq!(
        r,
        Ok(Clipped {
            count: 4,
            clipped: 2
        })
    );
    assert_eq!(out, [i16::MAX, i16::MIN, i16::MAX, i16::MIN]);
    // Rounding decides: 127.998046875 * 256 = 32767.5 rounds up, out of range;
    // -128.001953125 * 256 = -32768.5 rounds up, to -32768, in range; -128.00390625 is
    // -32769, out of range.
    let r = parse_line_clipping(b"127.998046875 -128.001953125 -128.00390625", 8, &mut out);
    assert_eq!(
        r,
        Ok(Clipped {
            count: 3,
            clipped: 2
        })
    );
    assert_eq!(out[..3], [i16::MAX, i16::MIN, i16::MIN]);
    // Integer parts far beyond the limit, with signs, saturate too.
    let r = parse_line_clipping(b"+99999999999999999999 -99999999999999999999", 0, &mut out);
    assert_eq!(
        r,
        Ok(Clipped {
            count: 2,
            clipped: 2
        })
    );
    assert_eq!(out[..2], [i16::MAX, i16::MIN]);
    // In range: nothing clipped, the same values as the strict reader.
    let r = parse_line_clipping(b"1 -0.5 0.25", 8, &mut out);
    assert_eq!(
        r,
        Ok(Clipped {
            count: 3,
            clipped: 0
        })
    );
    let mut strict = [0i16; 4];
    assert_eq!(parse_line(b"1 -0.5 0.25", 8, &mut strict), Ok(3));
    assert_eq!(out[..3], strict[..3]);
    // Malformed text stays an error; syntax is judged before range.
    assert_eq!(
        parse_line_clipping(b"1 99999x", 8, &mut out),
        Err(DecimalError::BadChar)
    );
    assert_eq!(
        parse_line_clipping(b"1e3", 8, &mut out),
        Err(DecimalError::BadChar)
    );
    assert_eq!(
        parse_line_clipping(b"1 2 3 4 500", 8, &mut out),
        Err(DecimalError::TooMany)
    );
    assert_eq!(
        parse_line_clipping(b"-", 8, &mut out),
        Err(DecimalError::NoDigits)
    );
}

#[test]
fn clipping_agrees_with_strict_on_every_q_at_every_frac() {
    use crate::decimal::parse_line_clipping;
    let mut one = [0i16; 1];
    for frac in 0..=MAX_FRAC {
        for q in (i16::MIN..=i16::MAX).step_by(97) {
            let t = text(q, frac);
            let r = parse_line_clipping(t.as_bytes(), frac, &mut one).unwrap();
            assert_eq!((r.count, r.clipped, one[0]), (1, 0, q), "{t} at {frac}");
        }
        // One unit of 2^-frac beyond each end saturates and counts.
        let above = format!(
            "{}",
            (i32::from(i16::MAX) + 1) as f64 / f64::from(1u32 << frac)
        );
        let r = parse_line_clipping(above.as_bytes(), frac, &mut one).unwrap();
        assert_eq!((r.clipped, one[0]), (1, i16::MAX), "{above} at {frac}");
        let below = format!(
            "{}",
            (i32::from(i16::MIN) - 1) as f64 / f64::from(1u32 << frac)
        );
        let r = parse_line_clipping(below.as_bytes(), frac, &mut one).unwrap();
        assert_eq!((r.clipped, one[0]), (1, i16::MIN), "{below} at {frac}");
    }
}
