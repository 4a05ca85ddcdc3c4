// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_params`: parameter types, the placement check of explicit
//! policy and node combinations against the running topology, the memory limits and the
//! budget that enforces them.

#[kernel::macros::kunit_tests(neural_network_params)]
mod tests {
    use crate::budget::Budget;
    use crate::numa::placement::{
        NumaPolicy,
        Placement, //
    };
    use crate::numa::topology::{
        self,
        NodeId,
        NodeState, //
    };
    use crate::params::{self, MemLimits};
    use kernel::prelude::*;

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

    /// Every policy, for the loops below.
    const POLICIES: [NumaPolicy; 4] = [
        NumaPolicy::Local,
        NumaPolicy::Interleave,
        NumaPolicy::Preferred,
        NumaPolicy::Bind,
    ];

    #[test]
    fn preferred_and_bind_without_a_node_are_refused() {
        assert_eq!(Placement::check(NumaPolicy::Preferred, None), Err(EINVAL));
        assert_eq!(Placement::check(NumaPolicy::Bind, None), Err(EINVAL));
    }

    #[test]
    fn local_and_interleave_need_no_node() {
        for policy in [NumaPolicy::Local, NumaPolicy::Interleave] {
            assert_eq!(
                Placement::check(policy, None),
                Ok(Placement { policy, node: None })
            );
        }
    }

    #[test]
    fn an_offline_node_is_refused_by_every_policy() {
        // Node ids below MAX_NUMNODES that are not online (the test kernel has room for
        // more nodes than any test machine boots with).
        let mut offline = 0;
        for raw in 0..topology::max_numnodes() {
            let Some(node) = i32::try_from(raw).ok().and_then(NodeId::new) else {
                continue;
            };
            if topology::node_state(node, NodeState::Online) {
                continue;
            }
            offline += 1;
            for policy in POLICIES {
                assert_eq!(Placement::check(policy, Some(node)), Err(EINVAL));
            }
            if offline == 4 {
                break;
            }
        }
        assert!(offline > 0);
    }

    #[test]
    fn bind_to_a_node_without_memory_is_refused() {
        // Only machines with a memoryless node (the asymmetric topology) have a case here;
        // the other policies accept such a node.
        for node in topology::nodes(NodeState::Online) {
            if topology::node_state(node, NodeState::Memory) {
                continue;
            }
            assert_eq!(Placement::check(NumaPolicy::Bind, Some(node)), Err(EINVAL));
            for policy in [
                NumaPolicy::Local,
                NumaPolicy::Interleave,
                NumaPolicy::Preferred,
            ] {
                assert_eq!(
                    Placement::check(policy, Some(node)),
                    Ok(Placement {
                        policy,
                        node: Some(node)
                    })
                );
            }
        }
    }

    #[test]
    fn every_policy_accepts_an_online_node_with_memory() {
        let mut nodes = 0;
        for node in topology::nodes(NodeState::Memory) {
            nodes += 1;
            for policy in POLICIES {
                assert_eq!(
                    Placement::check(policy, Some(node)),
                    Ok(Placement {
                        policy,
                        node: Some(node)
                    })
                );
            }
        }
        assert!(nodes > 0);
    }

    #[test]
    fn automatic_memory_limits_are_fractions_of_ram() {
        let ram = 24u64 << 30;
        let l = MemLimits::resolve(0, 0, ram);
        assert_eq!(l.network, 6u64 << 30);
        assert_eq!(l.total, 12u64 << 30);
        // Each parameter on its own.
        assert_eq!(MemLimits::resolve(0, 100, ram).network, 6u64 << 30);
        assert_eq!(MemLimits::resolve(0, 100, ram).total, 100u64 << 20);
        assert_eq!(MemLimits::resolve(3, 0, ram).network, 3u64 << 20);
        assert_eq!(MemLimits::resolve(3, 0, ram).total, 12u64 << 30);
    }

    #[test]
    fn memory_limits_in_mib_are_bytes() {
        let l = MemLimits::resolve(1, params::MEM_LIMIT_MAX_MB, 1 << 30);
        assert_eq!(l.network, 1 << 20);
        assert_eq!(l.total, 1u64 << 40);
        // Explicit values hold whatever the RAM, even above it.
        assert_eq!(MemLimits::resolve(4096, 4096, 1 << 30).network, 4u64 << 30);
        // No RAM known: automatic limits refuse everything rather than allow anything.
        assert_eq!(
            MemLimits::resolve(0, 0, 0),
            MemLimits {
                network: 0,
                total: 0
            }
        );
    }

    #[test]
    fn memory_limits_of_the_running_module_are_in_range() {
        let l = MemLimits::from_params();
        let max = u64::from(params::MEM_LIMIT_MAX_MB) << 20;
        assert!(params::max_network_mb() <= params::MEM_LIMIT_MAX_MB);
        assert!(params::max_total_mb() <= params::MEM_LIMIT_MAX_MB);
        assert!(l.network > 0 && l.network <= max);
        assert!(l.total > 0 && l.total <= max);
    }

    #[test]
    fn the_budget_charges_up_to_its_limit_and_no_further() -> Result {
        let budget = Budget::new()?;
        let a = Budget::charge(&budget, 600, 1000).map_err(|_| EINVAL)?;
        assert_eq!(budget.used(), 600);
        // Over the limit: refused with the bytes in use, nothing charged.
        assert_eq!(Budget::charge(&budget, 401, 1000).err(), Some(600));
        assert_eq!(budget.used(), 600);
        // Exactly up to it.
        let b = Budget::charge(&budget, 400, 1000).map_err(|_| EINVAL)?;
        assert_eq!(budget.used(), 1000);
        assert_eq!(Budget::charge(&budget, 1, 1000).err(), Some(1000));
        // Overflow is refused, not wrapped.
        assert_eq!(
            Budget::charge(&budget, u64::MAX, u64::MAX).err(),
            Some(1000)
        );
        drop(a);
        assert_eq!(budget.used(), 400);
        drop(b);
        assert_eq!(budget.used(), 0);
        Ok(())
    }

    #[test]
    fn cache_timeout_is_in_range() {
        assert!(params::cache_timeout_ms() <= 3_600_000);
    }
}
