// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_topology`: the topology queries agree with each other
//! on whatever machine the test runs.

#[kernel::macros::kunit_tests(neural_network_topology)]
mod tests {
    use crate::numa::info::NumaInfo;
    use crate::numa::topology::{
        self,
        NodeId,
        NodeState, //
    };
    use kernel::prelude::*;
    use kernel::str::CString;

    #[test]
    fn node_ids_are_range_checked() {
        assert!(NodeId::new(-1).is_none());
        assert!(NodeId::new(0).is_some());
        let max = i32::try_from(topology::max_numnodes()).unwrap_or(i32::MAX);
        assert!(NodeId::new(max).is_none());
        assert!(NodeId::new(max - 1).is_some());
    }

    #[test]
    fn there_is_an_online_node_with_memory_and_one_with_cpus() {
        assert!(topology::online_nodes().count() >= 1);
        assert!(topology::nodes(NodeState::Memory).count() >= 1);
        assert!(topology::nodes(NodeState::Cpu).count() >= 1);
    }

    #[test]
    fn node_sets_are_within_the_online_set() {
        for state in [NodeState::Memory, NodeState::Cpu] {
            for node in topology::nodes(state) {
                assert!(topology::node_state(node, NodeState::Online));
            }
        }
    }

    #[test]
    fn every_online_cpu_is_in_exactly_its_own_node() {
        for cpu in 0..topology::nr_cpu_ids() {
            if !topology::cpu_online(cpu) {
                continue;
            }
            let node = topology::cpu_to_node(cpu);
            assert!(node.is_some());
            let Some(node) = node else { continue };
            assert!(topology::node_state(node, NodeState::Online));
            let homes = topology::online_nodes()
                .filter(|&n| topology::node_cpus(n).any(|c| c == cpu))
                .count();
            assert_eq!(homes, 1);
            assert!(topology::node_cpus(node).any(|c| c == cpu));
        }
    }

    #[test]
    fn distances_are_local_on_the_diagonal_and_remote_elsewhere() {
        for a in topology::online_nodes() {
            assert_eq!(topology::node_distance(a, a), 10);
            for b in topology::online_nodes() {
                if a != b {
                    assert!(topology::node_distance(a, b) > 10);
                }
            }
        }
    }

    #[test]
    fn node_memory_is_consistent() {
        for node in topology::online_nodes() {
            let mem = topology::node_memory(node);
            assert!(mem.is_some());
            let Some(mem) = mem else { continue };
            assert!(mem.free_kib <= mem.total_kib);
            if topology::node_state(node, NodeState::Memory) {
                assert!(mem.total_kib > 0);
            }
        }
    }

    #[test]
    fn numa_info_has_a_line_per_node_and_a_square_matrix() -> Result {
        let text = CString::try_from_fmt(fmt!("{}", NumaInfo))?;
        let text = core::str::from_utf8(text.to_bytes()).map_err(|_| EINVAL)?;
        let nodes = topology::online_nodes().count();
        assert_eq!(
            text.lines()
                .filter(|l| l.contains(" cpus: ") || l.ends_with(" cpus:"))
                .count(),
            nodes
        );
        let matrix = text.lines().skip_while(|l| *l != "distances:").skip(2);
        let rows: KVec<&str> = {
            let mut v = KVec::new();
            for row in matrix {
                v.push(row, GFP_KERNEL)?;
            }
            v
        };
        assert_eq!(rows.len(), nodes);
        for row in rows.iter() {
            assert_eq!(row.split_whitespace().count(), nodes + 1);
        }
        Ok(())
    }
}
