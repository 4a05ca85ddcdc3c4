// SPDX-License-Identifier: GPL-2.0

//! neural_network: a NUMA-aware neural-network inference engine in the kernel.
//!
//! The module places each network's memory on the NUMA node its policy picks, runs
//! fixed-point inference, and shows what it does under `/sys/kernel/debug/neural_network/`.
//! See `Documentation/neural_network/` for the administrator's and the developer's view.
//!
//! Where things live:
//!
//! - [`params`]: the module parameters (registered from `helpers/params.c`).
//! - [`topology`]: NUMA topology queries (nodes, CPUs, memory, distances).
//! - [`numa_info`]: the `numa_info` debugfs report.
//! - [`cpulist`]: cpulist formatting (pure code, also tested on the host).
//! - [`fixed`], [`activation`], [`forward`], [`model`]: the number format, integer
//!   activations, the dense-layer forward pass and the model format parser (pure code).
//! - [`network`]: a network in node-placed memory ([`node_mem`], by [`placement`]) and
//!   its inference; [`registry`]: the networks by id; [`rwsem`]: the lock of their weights;
//!   [`sched`]: long loops that yield and stop for a fatal signal.
//! - [`debugfs`]: the debugfs tree (`load`, `network_<id>/predict`, ...).
//! - `kunit`: the KUnit suites (`CONFIG_NEURAL_NETWORK_KUNIT_TEST`).

use kernel::prelude::*;
use kernel::sync::Arc;

// Pure code shared with tools/pure, where its items are public API. The engine that uses
// the fixed-point, activation, forward and model files is being built (issue 3): until it
// lands, only their KUnit suites use them.
#[allow(dead_code, unreachable_pub)]
mod activation;
#[allow(unreachable_pub)]
mod cpulist;
mod debugfs;
#[allow(dead_code, unreachable_pub)]
mod decimal;
mod firmware;
#[allow(dead_code, unreachable_pub)]
mod fixed;
#[allow(dead_code, unreachable_pub)]
mod forward;
#[cfg(CONFIG_NEURAL_NETWORK_KUNIT_TEST)]
mod kunit;
#[allow(dead_code, unreachable_pub)]
mod model;
mod network;
mod node_mem;
mod numa_info;
mod params;
mod placement;
mod registry;
mod rwsem;
mod sched;
mod topology;
#[allow(dead_code, unreachable_pub)]
mod train;
#[allow(dead_code, unreachable_pub)]
mod xavier;

module! {
    type: NeuralNetworkModule,
    name: "neural_network",
    authors: ["The neural_network developers"],
    description: "NUMA-aware in-kernel neural network inference",
    license: "GPL",
}

/// The loaded module: what it owns is torn down, in field order, when it unloads.
struct NeuralNetworkModule {
    _debugfs: debugfs::DebugFs,
    registry: Arc<registry::Registry>,
}

impl kernel::Module for NeuralNetworkModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let placement = params::Placement::from_params()?;
        let root = debugfs::DebugFs::root()?;
        let registry = registry::Registry::new(placement, root.clone())?;
        let debugfs = debugfs::DebugFs::new(&root, &registry)?;
        log_placement(&placement);
        Ok(Self {
            _debugfs: debugfs,
            registry,
        })
    }
}

impl Drop for NeuralNetworkModule {
    fn drop(&mut self) {
        // The top-level files go first (field order), then every network.
        self.registry.clear();
        pr_info!(
            "unloaded (policy {})\n",
            self.registry.placement().policy.name()
        );
    }
}

fn log_placement(placement: &params::Placement) {
    let nodes = topology::online_nodes().count();
    let simd = if params::simd_enabled() { "on" } else { "off" };
    let timeout = params::cache_timeout_ms();
    match placement.node {
        Some(node) => pr_info!(
            "loaded: policy {}, node {}, {} online NUMA node(s), simd {}, cache timeout {} ms\n",
            placement.policy.name(),
            node.id(),
            nodes,
            simd,
            timeout
        ),
        None => pr_info!(
            "loaded: policy {}, {} online NUMA node(s), simd {}, cache timeout {} ms\n",
            placement.policy.name(),
            nodes,
            simd,
            timeout
        ),
    }
    if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
        pr_info!("NUMA placement compiled out (CONFIG_NEURAL_NETWORK_NUMA=n): all memory is node-agnostic\n");
    }
    #[cfg(CONFIG_NEURAL_NETWORK_NUMA_DEBUG)]
    numa_info::log_topology();
}
