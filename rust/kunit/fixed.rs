// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_fixed`: the number format in the kernel build.

#[kernel::macros::kunit_tests(neural_network_fixed)]
mod tests {
    use crate::pure::fixed::{dot, saturate_i16, Requant, MAX_DIM, WEIGHT_MAX};
    use kernel::prelude::*;

    #[test]
    fn saturation_at_the_extremes() {
        assert_eq!(saturate_i16(32768), 32767);
        assert_eq!(saturate_i16(i64::MAX), 32767);
        assert_eq!(saturate_i16(-32769), -32768);
        assert_eq!(saturate_i16(i64::MIN), -32768);
        assert_eq!(saturate_i16(-5), -5);
    }

    #[test]
    fn requant_rounds_half_up() {
        let half = Requant::new(1, 1).ok_or(EINVAL);
        assert!(half.is_ok());
        let Ok(half) = half else { return };
        assert_eq!(half.apply(5), 3);
        assert_eq!(half.apply(-5), -2);
        assert_eq!(half.apply(-4), -2);
    }

    #[test]
    fn largest_layer_saturates_not_wraps() -> Result {
        let w = KVec::from_elem(WEIGHT_MAX, MAX_DIM, GFP_KERNEL)?;
        let x = KVec::from_elem(i16::MIN, MAX_DIM, GFP_KERNEL)?;
        let acc = dot(&w, &x, i32::MIN);
        assert_eq!(acc, -(MAX_DIM as i64) * 32767 * 32768 + i64::from(i32::MIN));
        let r = Requant::new(65535, 0).ok_or(EINVAL)?;
        assert_eq!(r.apply(acc), i16::MIN);
        assert_eq!(r.apply(-acc), i16::MAX);
        Ok(())
    }

    #[test]
    fn requant_parameters_are_range_checked() {
        assert!(Requant::new(0, 0).is_none());
        assert!(Requant::new(65536, 0).is_none());
        assert!(Requant::new(1, 48).is_none());
        assert!(Requant::new(65535, 47).is_some());
    }
}
