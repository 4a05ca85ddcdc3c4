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
//! - [`decimal`]: exact decimal text for `predict` and `train`; [`xavier`] and [`train`]:
//!   initialisation and training of created networks (pure code).
//! - [`network`]: a network in node-placed memory ([`node_mem`], by [`placement`]) and
//!   its inference; [`registry`]: the networks by id; [`budget`]: the bytes they hold,
//!   against the memory limits; [`rwsem`]: the lock of their weights; [`sched`]: long
//!   loops that yield and stop for a fatal signal; [`firmware`]: models loaded by
//!   `request_firmware()`.
//! - [`debugfs`]: the debugfs tree (`load`, `network_<id>/predict`, ...).
//! - `kunit`: the KUnit suites (`CONFIG_NEURAL_NETWORK_KUNIT_TEST`).

use kernel::prelude::*;
use kernel::sync::Arc;

// The files marked `allow` are pure code shared with tools/pure, where their items are
// public API: the module uses most of each, and the rest (host-only helpers) would be
// dead code here.
#[allow(dead_code, unreachable_pub)]
mod activation;
mod budget;
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

/// The loaded module. At unload, [`Drop::drop`] first removes every network (and its
/// `network_<id>/` directory); then the fields go in order: the top-level debugfs files,
/// then the registry, whose last reference takes the root directory with it.
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
        // Before the fields: every network and its directory. No file of the module is
        // open (each open file pins the module), so nothing can create one meanwhile.
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
    let limits = params::MemLimits::from_params();
    pr_info!(
        "memory limits: {} MiB per network (neural_max_network_mb={}), {} MiB in all (neural_max_total_mb={})\n",
        limits.network >> 20,
        params::max_network_mb(),
        limits.total >> 20,
        params::max_total_mb()
    );
    if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
        pr_info!("NUMA placement compiled out (CONFIG_NEURAL_NETWORK_NUMA=n): all memory is node-agnostic\n");
    }
    #[cfg(CONFIG_NEURAL_NETWORK_NUMA_DEBUG)]
    numa_info::log_topology();
}
