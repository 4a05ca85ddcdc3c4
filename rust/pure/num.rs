// SPDX-License-Identifier: GPL-2.0

//! Integer conversions without a bare `as`, after nova-core's `num.rs`: lossless widenings
//! that `From` does not give (not in `const`, or not portably, as `usize` to `u64`), each
//! checked at compile time, and the deliberate truncations and bit reinterpretations,
//! named so that the intent is visible where they are used.
//!
//! A narrowing conversion that assumes a range is not here: the caller writes
//! `T::try_from(x)` with the error it already returns, or bounds `x` (`min`, `clamp`)
//! before a lossless conversion.
//!
//! Pure code: only `core`.

/// Defines `const fn`s that convert losslessly from one integer type to another of the
/// same signedness and at least as many bits; the widths are checked at compile time.
macro_rules! lossless {
    ($($name:ident: $from:ty => $into:ty;)*) => {
        $(
            #[doc = concat!(
                "Losslessly converts a [`", stringify!($from), "`] into a [`",
                stringify!($into), "`] (also in `const`, where `From` is not)."
            )]
            #[inline(always)]
            pub const fn $name(value: $from) -> $into {
                const {
                    assert!(<$into>::BITS >= <$from>::BITS);
                    assert!((<$from>::MIN == 0) == (<$into>::MIN == 0));
                };
                // CAST: same signedness and at least as many bits (checked above): lossless.
                value as $into
            }
        )*
    };
}

lossless! {
    u8_as_usize: u8 => usize;
    u16_as_usize: u16 => usize;
    u32_as_usize: u32 => usize;
    usize_as_u64: usize => u64;
    i32_as_i64: i32 => i64;
    i32_as_isize: i32 => isize;
}

// `usize` is 64 bits on every architecture the module builds for that has it; a 32-bit
// build has no `u64_as_usize` rather than a lossy one.
#[cfg(target_pointer_width = "64")]
lossless! {
    u64_as_usize: u64 => usize;
}

/// The low 32 bits of `value`: truncates on purpose.
#[inline(always)]
pub const fn low_u32(value: u64) -> u32 {
    // CAST: truncation is the point.
    value as u32
}

/// The high 32 bits of `value` (lossless: the shift leaves 32 bits).
#[inline(always)]
pub const fn high_u32(value: u64) -> u32 {
    // CAST: `value >> 32` < 2^32.
    (value >> 32) as u32
}

/// The low 16 bits of `value`: truncates on purpose.
#[inline(always)]
pub const fn low_u16(value: u32) -> u16 {
    // CAST: truncation is the point.
    value as u16
}

/// The low 8 bits of `value`: truncates on purpose.
#[inline(always)]
pub const fn low_u8(value: u32) -> u8 {
    // CAST: truncation is the point.
    value as u8
}

/// The low 8 bits of `value` as an `i8` (two's complement): truncates on purpose; a
/// value in -128..=127 is kept.
#[inline(always)]
pub const fn low_i8(value: i16) -> i8 {
    // CAST: truncation is the point.
    value as i8
}

/// The bits of `value` as an unsigned number (two's complement: -1 is `0xffff`).
#[inline(always)]
pub const fn i16_to_bits(value: i16) -> u16 {
    // CAST: same width; the bits are kept, the sign is read as the top bit.
    value as u16
}

/// The `i16` whose bits are `bits` (two's complement: `0xffff` is -1).
#[inline(always)]
pub const fn i16_from_bits(bits: u16) -> i16 {
    // CAST: same width; the bits are kept, the top bit is read as the sign.
    bits as i16
}

/// The `i32` whose bits are `bits` (two's complement: `0xffff_ffff` is -1).
#[inline(always)]
pub const fn i32_from_bits(bits: u32) -> i32 {
    // CAST: same width; the bits are kept, the top bit is read as the sign.
    bits as i32
}

/// `value` if it is not negative, 0 if it is (as a clock reading that went backwards).
#[inline]
pub fn nonnegative(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// `value`, or `u8::MAX` if it does not fit (for small indices that a caller has bounded,
/// such as a layer's number in an error).
#[inline]
pub fn saturating_u8(value: usize) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossless_keeps_every_value() {
        assert_eq!(u8_as_usize(u8::MAX), 255);
        assert_eq!(u16_as_usize(u16::MAX), 65_535);
        assert_eq!(u32_as_usize(u32::MAX), 0xffff_ffff);
        assert_eq!(usize_as_u64(usize::MAX), u64::MAX >> (64 - usize::BITS));
        assert_eq!(i32_as_i64(i32::MIN), -(1i64 << 31));
        assert_eq!(i32_as_i64(i32::MAX), (1i64 << 31) - 1);
        assert_eq!(i32_as_isize(i32::MIN), -(1isize << 31));
        assert_eq!(i32_as_isize(-22), -22);
        assert_eq!(i32_as_isize(i32::MAX), (1isize << 31) - 1);
        #[cfg(target_pointer_width = "64")]
        assert_eq!(u64_as_usize(u64::MAX), usize::MAX);
        const { assert!(u32_as_usize(7) == 7) };
    }

    #[test]
    fn halves_and_low_bits() {
        let v = 0x0123_4567_89ab_cdefu64;
        assert_eq!(high_u32(v), 0x0123_4567);
        assert_eq!(low_u32(v), 0x89ab_cdef);
        assert_eq!(u64::from(high_u32(v)) << 32 | u64::from(low_u32(v)), v);
        assert_eq!(low_u16(0x89ab_cdef), 0xcdef);
        assert_eq!(low_u8(0x89ab_cdef), 0xef);
    }

    #[test]
    fn bits_round_trip() {
        for v in [i16::MIN, -1, 0, 1, i16::MAX] {
            assert_eq!(i16_from_bits(i16_to_bits(v)), v);
            assert_eq!(i16_to_bits(v), u16::from_ne_bytes(v.to_ne_bytes()));
        }
        assert_eq!(i16_to_bits(-1), 0xffff);
        assert_eq!(i16_from_bits(0x8000), i16::MIN);
        assert_eq!(i32_from_bits(0xffff_ffff), -1);
        assert_eq!(i32_from_bits(0x8000_0000), i32::MIN);
        assert_eq!(i32_from_bits(0x7fff_ffff), i32::MAX);
    }

    #[test]
    fn clamped_conversions() {
        assert_eq!(nonnegative(-5), 0);
        assert_eq!(nonnegative(i64::MIN), 0);
        assert_eq!(nonnegative(0), 0);
        assert_eq!(nonnegative(i64::MAX), u64::MAX >> 1);
        assert_eq!(saturating_u8(16), 16);
        assert_eq!(saturating_u8(255), 255);
        assert_eq!(saturating_u8(256), 255);
        assert_eq!(saturating_u8(usize::MAX), 255);
    }
}
