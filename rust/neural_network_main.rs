// SPDX-License-Identifier: GPL-2.0

//! neural_network: a NUMA-aware neural-network inference engine in the kernel.
//!
//! The module places each network's memory on the NUMA node its policy picks, runs
//! fixed-point inference, and shows what it does under `/sys/kernel/debug/neural_network/`.
//! See `Documentation/neural_network/` for the administrator's and the developer's view.
//!
//! The crate is three layers, each a folder (`x.rs` names the parts of `x/`):
//!
//! - [`pure`]: the engine, only `core`, shared with the host tools (`tools/pure`):
//!   number format, activations, forward pass, model format, decimal text, Xavier
//!   initialisation, training.
//! - [`numa`]: NUMA topology and node-placed memory, with their C helpers: every
//!   allocation of network memory and every topology query goes through it.
//! - the faces: [`debugfs`] (the files under `/sys/kernel/debug/neural_network/`),
//!   [`params`] (the module parameters, registered from `params_helper.c`) and
//!   [`firmware`] (models loaded by `request_firmware()`).
//!
//! Between them: [`network`], a network in node-placed memory and its inference and
//! training; [`registry`], the networks by id (it knows nothing of debugfs: the faces
//! attach their files to each network); [`budget`], the bytes the networks hold against
//! the memory limits; [`sync`], the synchronisation wrappers (the weights' rwsem, the
//! cache's raw spinlock, the layers published under SRCU); [`sched`], long loops that
//! yield and stop for a fatal signal, and a batch's work on chosen CPUs; [`simd`], the
//! vector path (the AVX2 kernel, checked on the host and at load, and the gate that picks
//! it per layer). The faces: [`api`] (the exported functions of
//! `include/linux/neural_network.h`, for other kernel code), [`debugfs`], [`params`] and
//! [`firmware`]; `api/` and `debugfs/` do not import each other. `kunit` holds the KUnit
//! suites (`CONFIG_NEURAL_NETWORK_KUNIT_TEST`).
//!
//! # Lock order (the whole module)
//!
//! Every lock of the module but the caches' raw spinlocks sleeps; no sleeping lock is
//! taken in atomic context. Each file that owns a lock points here. Outermost first:
//!
//! 1. an open debugfs file's state mutex (`debugfs/file.rs`), held for the whole of one
//!    `read`, `write` or `release` of that file; or an API batch's mutex
//!    (`api/batch.rs`), held for the whole of one `neural_batch_process()`;
//! 2. then at most one of: the registry's mutex (`registry.rs`); a network file's `last`
//!    mutex (`debugfs/network_file.rs`); a network's update mutex (the `update` field of
//!    `Network`, `network.rs`), held by a training call, a re-placement or a model
//!    replacement (`network/swap.rs`) for its whole length; a network's affinity mutex (the `affinity` field of `Network`,
//!    `network.rs`, used by `network/affinity.rs`), held only to read or set its CPU
//!    mask (with 3 and 4 under it, to find the weights' nodes);
//! 3. then (with or without the update mutex) a read-side section of the network's SRCU
//!    (`sync/published.rs`), which is not a lock a reader waits on: it never blocks;
//! 4. under it, the parameter lock of the layers in force, the rwsem of
//!    `network/placed.rs` (`sync/rwsem.rs`; read to predict or to copy the layers, write
//!    to train);
//! 5. under the parameter lock held for reading: one CPU's scratch mutex
//!    (`network/scratch.rs`);
//! 6. innermost, with or without the above, a cache's raw spinlock, interrupts off
//!    (`network/cache.rs`, `sync/rawspin.rs`), held only to look up, store or empty
//!    entries: nothing is taken under it and nothing under it sleeps.
//!
//! An atomic prediction (`network/atomic.rs`) takes only 3 and 6 (and its CPU's atomic
//! scratch, claimed by a busy bit with preemption off, not a lock): instead of 4 it
//! enters the layers' atomic readers, which a training call closes after it holds 4 for
//! writing (and waits for, sleeping, under 4 and the update mutex); a reader that finds
//! them closed fails with `EAGAIN` rather than wait.
//!
//! A re-placement or a model replacement waits for the SRCU grace period
//! (`synchronize_srcu()`) holding only the update mutex and its file's state mutex (an
//! API caller: the update mutex alone), never in a read-side section of that SRCU. An evacuation (the `evacuate` file) takes the registry's mutex only to copy the
//! list of networks, then re-places them one by one. The registry's mutex, `last` and
//! the scratch mutexes are leaves: nothing is taken while one of them is held.
//!
//! A batch's writer waits for its chunks (`sched::run_on_cpus`: `flush_work()` under
//! `cpus_read_lock()`, `network/rounds.rs`) holding only its file's state mutex (an API
//! batch: only the batch's mutex); each chunk's work item takes 3, 4 and 5 itself, on
//! its CPU. When no CPU of the chunks' list is online any more (CPU hotplug), the writer
//! runs them itself after it released `cpus_read_lock()`, taking 3, 4 and 5 under its
//! state mutex as a single prediction does: the writer holds `cpus_read_lock()` only to
//! queue and flush work items, never while it takes a lock of the module itself.

use kernel::prelude::*;
use kernel::sync::Arc;

mod api;
mod budget;
mod debugfs;
mod firmware;
#[cfg(CONFIG_NEURAL_NETWORK_KUNIT_TEST)]
mod kunit;
mod network;
mod numa;
mod params;
mod pure;
mod registry;
mod sched;
mod simd;
mod sync;

/// The module's networks, each with its `network_<id>/` directory and its entry in the
/// table BPF programs look networks up in: the registry the faces share, made and kept
/// by the module.
pub(crate) type Registry = registry::Registry<(debugfs::NetworkFiles, api::Published)>;

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
    // First of the fields: the exported API closes before the others go. No caller is
    // left by then (each holds a reference on this module), so the networks that
    // `Drop::drop` removes before it have no handle left either.
    _api: api::Exported,
    _debugfs: debugfs::DebugFs,
    registry: Arc<Registry>,
    // Last: the workqueue that batches' chunks run on outlives every caller.
    _workers: sched::Workers,
}

impl kernel::Module for NeuralNetworkModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let placement = numa::placement::from_params()?;
        let workers = sched::Workers::new()?;
        simd::init();
        let root = debugfs::DebugFs::root()?;
        api::register_kfuncs()?;
        let registry = Registry::new(placement, (root.clone(), ()))?;
        let debugfs = debugfs::DebugFs::new(&root, &registry)?;
        log_placement(&placement);
        Ok(Self {
            _api: api::Exported::new(&registry),
            _debugfs: debugfs,
            registry,
            _workers: workers,
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

fn log_placement(placement: &numa::placement::Placement) {
    let nodes = numa::topology::online_nodes().count();
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
    let limits = budget::MemLimits::from_params();
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
    numa::info::log_topology();
}
