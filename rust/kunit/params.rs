// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_params`: parameter types and the placement check.

#[kernel::macros::kunit_tests(neural_network_params)]
mod tests {
    use crate::params::{
        self,
        NumaPolicy,
        Placement, //
    };

    #[test]
    fn policy_values_round_trip() {
        for (raw, policy) in [
            (0, NumaPolicy::Local),
            (1, NumaPolicy::Interleave),
            (2, NumaPolicy::Preferred),
            (3, NumaPolicy::Bind),
        ] {
            assert_eq!(NumaPolicy::try_from(raw), Ok(policy));
            assert_eq!(policy as i32, raw);
        }
    }

    #[test]
    fn policy_out_of_range_is_rejected() {
        assert!(NumaPolicy::try_from(-1).is_err());
        assert!(NumaPolicy::try_from(4).is_err());
        assert!(NumaPolicy::try_from(i32::MAX).is_err());
    }

    #[test]
    fn only_preferred_and_bind_need_a_node() {
        assert!(!NumaPolicy::Local.needs_node());
        assert!(!NumaPolicy::Interleave.needs_node());
        assert!(NumaPolicy::Preferred.needs_node());
        assert!(NumaPolicy::Bind.needs_node());
    }

    #[test]
    fn loaded_parameters_pass_the_placement_check() {
        // The module is loading with the current parameters, so they were accepted.
        let placement = Placement::from_params();
        assert!(placement.is_ok());
        if let Ok(p) = placement {
            assert_eq!(p.policy, params::numa_policy());
            assert_eq!(p.node, params::default_numa_node());
        }
    }

    #[test]
    fn cache_timeout_is_in_range() {
        assert!(params::cache_timeout_ms() <= 3_600_000);
    }
}
