// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_activation`: integer sigmoid and tanh in the kernel build
//! (the error bounds against f64 are measured on the host, which has floating point).

#[kernel::macros::kunit_tests(neural_network_activation)]
mod tests {
    use crate::pure::activation::{sigmoid_q15, tanh_q15, Activation};

    #[test]
    fn known_points() {
        assert_eq!(sigmoid_q15(0), 16384);
        assert_eq!(tanh_q15(0), 0);
        // sigmoid(1) = 0.731059 -> 23955.4 in Q0.15; tanh(1) = 0.761594 -> 24956.2
        assert!((i32::from(sigmoid_q15(4096)) - 23955).abs() <= 2);
        assert!((i32::from(tanh_q15(4096)) - 24956).abs() <= 4);
    }

    #[test]
    fn monotonic_and_symmetric_over_all_inputs() {
        let mut prev = (i16::MIN, i16::MIN);
        for q in i16::MIN..=i16::MAX {
            let (s, t) = (sigmoid_q15(q), tanh_q15(q));
            assert!(s >= prev.0 && t >= prev.1);
            prev = (s, t);
            if q > i16::MIN {
                assert_eq!(i32::from(s) + i32::from(sigmoid_q15(-q)), 32768);
                assert_eq!(t, -tanh_q15(-q));
            }
        }
    }

    #[test]
    fn relu_clamps_negatives() {
        assert_eq!(Activation::Relu.apply(-1), 0);
        assert_eq!(Activation::Relu.apply(i16::MIN), 0);
        assert_eq!(Activation::Relu.apply(i16::MAX), i16::MAX);
        assert_eq!(Activation::Linear.apply(-3), -3);
    }
}
