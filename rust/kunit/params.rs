// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_params`: parameter types, the placement check of explicit
//! policy and node combinations against the running topology, the memory limits and the
//! budget that enforces them.

#[kernel::macros::kunit_tests(neural_network_params)]
mod tests {
    use crate::budget::Budget;
    use crate::budget::MemLimits;
    use crate::numa::placement::{
        NumaPolicy,
        Placement,
        PlacementError, //
    };
    use crate::numa::topology::{
        self,
        NodeId,
        NodeState, //
    };
    use crate::params;
    use crate::pure::nodemask::NodeMask;
    use crate::pure::nodes::NodeError;
    use kernel::prelude::*;

    #[test]
    fn policy_values_and_names_round_trip() {
        for (raw, policy, name) in [
            (0, NumaPolicy::Local, "local"),
            (1, NumaPolicy::Interleave, "interleave"),
            (2, NumaPolicy::Preferred, "preferred"),
            (3, NumaPolicy::Bind, "bind"),
            (4, NumaPolicy::Replicate, "replicate"),
        ] {
            assert_eq!(NumaPolicy::try_from(raw), Ok(policy));
            assert_eq!(i32::from(policy), raw);
            assert_eq!(policy.name(), name);
            assert_eq!(NumaPolicy::from_name(name), Some(policy));
        }
        assert_eq!(NumaPolicy::from_name("mirror"), None);
        assert_eq!(NumaPolicy::from_name(""), None);
    }

    #[test]
    fn policy_out_of_range_is_rejected() {
        assert!(NumaPolicy::try_from(-1).is_err());
        assert!(NumaPolicy::try_from(5).is_err());
        assert!(NumaPolicy::try_from(i32::MAX).is_err());
    }

    /// The nodes with memory, as a mask.
    fn memory_mask() -> NodeMask {
        NodeMask::from_nodes(topology::nodes(NodeState::Memory).map(NodeId::id))
    }

    fn mask_of(node: NodeId) -> NodeMask {
        NodeMask::from_nodes([node.id()])
    }

    #[test]
    fn preferred_and_bind_without_a_node_are_refused() {
        use PlacementError::NeedsNode;
        let (p, b) = (NumaPolicy::Preferred, NumaPolicy::Bind);
        assert_eq!(Placement::check(p, None, None), Err(NeedsNode(p)));
        assert_eq!(Placement::check(b, None, None), Err(NeedsNode(b)));
        // A mask does not make a node for preferred.
        assert_eq!(
            Placement::check(p, None, Some(memory_mask())),
            Err(NeedsNode(p))
        );
    }

    #[test]
    fn the_default_mask_is_every_node_with_memory() {
        for policy in [
            NumaPolicy::Local,
            NumaPolicy::Interleave,
            NumaPolicy::Replicate,
        ] {
            assert_eq!(
                Placement::check(policy, None, None),
                Ok(Placement {
                    policy,
                    node: None,
                    nodes: memory_mask()
                })
            );
        }
    }

    #[test]
    fn an_offline_node_is_refused_by_every_policy() {
        // Node ids below MAX_NUMNODES that are not online (the test kernel has room for
        // more nodes than any test machine boots with).
        let mut offline = 0;
        for raw in 0..topology::max_numnodes() {
            let Some(node) = topology::node_of(raw) else {
                continue;
            };
            if topology::node_state(node, NodeState::Online) {
                continue;
            }
            offline += 1;
            for policy in NumaPolicy::ALL {
                assert_eq!(
                    Placement::check(policy, Some(node), None),
                    Err(PlacementError::Node(NodeError::Offline(raw)))
                );
                let mut mask = memory_mask();
                mask.set(raw);
                // The list is checked before anything else of the policy.
                assert_eq!(
                    Placement::check(policy, None, Some(mask)),
                    Err(PlacementError::Mask(NodeError::Offline(raw)))
                );
            }
            if offline == 4 {
                break;
            }
        }
        assert!(offline > 0);
    }

    #[test]
    fn an_empty_node_list_is_refused() {
        for policy in [
            NumaPolicy::Interleave,
            NumaPolicy::Bind,
            NumaPolicy::Replicate,
        ] {
            assert_eq!(
                Placement::check(policy, None, Some(NodeMask::EMPTY)),
                Err(PlacementError::Mask(NodeError::EmptyList))
            );
        }
    }

    #[test]
    fn bind_and_replicate_to_a_node_without_memory_are_refused() {
        // Only machines with a memoryless node (the asymmetric topology) have a case here;
        // the other policies accept such a node.
        for node in topology::nodes(NodeState::Online) {
            if topology::node_state(node, NodeState::Memory) {
                continue;
            }
            let no_memory = NodeError::NoMemory(node.id());
            assert_eq!(
                Placement::check(NumaPolicy::Bind, Some(node), None),
                Err(PlacementError::Node(no_memory))
            );
            for policy in [NumaPolicy::Bind, NumaPolicy::Replicate] {
                assert_eq!(
                    Placement::check(policy, None, Some(mask_of(node))),
                    Err(PlacementError::Mask(no_memory))
                );
            }
            // Interleave over a list with no memory has nothing to spread over.
            assert_eq!(
                Placement::check(NumaPolicy::Interleave, None, Some(mask_of(node))),
                Err(PlacementError::NoMemory)
            );
            for policy in [
                NumaPolicy::Local,
                NumaPolicy::Interleave,
                NumaPolicy::Preferred,
            ] {
                assert_eq!(
                    Placement::check(policy, Some(node), None),
                    Ok(Placement {
                        policy,
                        node: Some(node),
                        nodes: memory_mask()
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
            for policy in NumaPolicy::ALL {
                // Bind without a list binds to the node.
                let mask = match policy {
                    NumaPolicy::Bind => mask_of(node),
                    _ => memory_mask(),
                };
                assert_eq!(
                    Placement::check(policy, Some(node), None),
                    Ok(Placement {
                        policy,
                        node: Some(node),
                        nodes: mask
                    })
                );
                // A list is taken as given.
                assert_eq!(
                    Placement::check(policy, Some(node), Some(mask_of(node))).map(|p| p.nodes),
                    Ok(mask_of(node))
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
