// SPDX-License-Identifier: GPL-2.0

//! `/sys/kernel/debug/neural_network/numa_info`: the topology the module places memory on.
//!
//! The format, one fact per line so that scripts can pick lines with `grep`:
//!
//! ```text
//! nodes_online: 0-1
//! nodes_with_memory: 0-1
//! nodes_with_cpus: 0-1
//! node 0 cpus: 0-1
//! node 0 mem_total_kb: 506772
//! node 0 mem_free_kb: 470212
//! node 1 cpus: 2-3
//! ...
//! distances:
//! node     0   1
//!    0:   10  20
//!    1:   20  10
//! ```
//!
//! `cpus` is the node's cpulist exactly as `/sys/devices/system/node/nodeN/cpulist` prints
//! it (empty for a node without CPUs); the memory lines are that node's `MemTotal` and
//! `MemFree` from `nodeN/meminfo`; the matrix row of node N is `nodeN/distance`.

use kernel::fmt;

use crate::numa::topology::{
    self,
    NodeState, //
};
use crate::pure::cpulist::CpuList;

/// Writes the report for the topology as it is now.
#[cfg_attr(
    not(any(CONFIG_NEURAL_NETWORK_NUMA, CONFIG_NEURAL_NETWORK_KUNIT_TEST)),
    expect(dead_code)
)]
pub(crate) fn write(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let nodes = || topology::nodes(NodeState::Online).map(|n| n.id());
    writeln!(f, "nodes_online: {}", CpuList(nodes))?;
    writeln!(
        f,
        "nodes_with_memory: {}",
        CpuList(|| topology::nodes(NodeState::Memory).map(|n| n.id()))
    )?;
    writeln!(
        f,
        "nodes_with_cpus: {}",
        CpuList(|| topology::nodes(NodeState::Cpu).map(|n| n.id()))
    )?;
    for node in topology::online_nodes() {
        let id = node.id();
        writeln!(
            f,
            "node {id} cpus: {}",
            CpuList(|| topology::node_cpus(node))
        )?;
        if let Some(mem) = topology::node_memory(node) {
            writeln!(f, "node {id} mem_total_kb: {}", mem.total_kib)?;
            writeln!(f, "node {id} mem_free_kb: {}", mem.free_kib)?;
        }
    }
    writeln!(f, "distances:")?;
    write!(f, "node ")?;
    for to in topology::online_nodes() {
        write!(f, " {:>3}", to.id())?;
    }
    writeln!(f)?;
    for from in topology::online_nodes() {
        write!(f, "{:>4}:", from.id())?;
        for to in topology::online_nodes() {
            write!(f, " {:>3}", topology::node_distance(from, to))?;
        }
        writeln!(f)?;
    }
    Ok(())
}

// The kernel's `fmt!` and `pr_*!` take the kernel's own `Display`; the pure `CpuList`
// implements `core`'s, so forward it.
impl<F, I> fmt::Display for CpuList<F>
where
    F: Fn() -> I,
    I: IntoIterator<Item = u32>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

/// Logs the topology, one line a node (`CONFIG_NEURAL_NETWORK_NUMA_DEBUG`).
#[cfg(CONFIG_NEURAL_NETWORK_NUMA_DEBUG)]
pub(crate) fn log_topology() {
    use kernel::prelude::*;
    for node in topology::online_nodes() {
        let mem = topology::node_memory(node).unwrap_or(topology::NodeMemory {
            total_kib: 0,
            free_kib: 0,
        });
        pr_info!(
            "numa: node {}: cpus {}, {} kB total, {} kB free\n",
            node.id(),
            CpuList(|| topology::node_cpus(node)),
            mem.total_kib,
            mem.free_kib
        );
    }
}

/// The report as a value: `{}` formats it.
#[cfg_attr(
    not(any(CONFIG_NEURAL_NETWORK_NUMA, CONFIG_NEURAL_NETWORK_KUNIT_TEST)),
    expect(dead_code)
)]
pub(crate) struct NumaInfo;

impl fmt::Display for NumaInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f)
    }
}
