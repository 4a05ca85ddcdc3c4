// SPDX-License-Identifier: GPL-2.0

//! What networks are made of, and the list of it: the module's slab caches and NUMA
//! counters ([`Pools`]), and each buffer of a network's layers ([`Buffer`],
//! [`each_buffer`]) as `memory_map`, the NUMA counters and the placement checks see it.
//! The CPUs' scratch is listed beside it (`scratch.rs`, `atomic.rs`).

use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex, //
};

use super::layer::{
    Layer,
    LayerBox,
    Replica, //
};
use crate::numa::mem::{
    Array,
    NodeVec, //
};
use crate::numa::pagemap::PageMap;
use crate::numa::slab::SlabCache;
use crate::numa::stats::NumaStats;

/// The module's slab caches for what networks are made of, and the NUMA counters their
/// memory is held in: one set for the module (`Pools::new`), whose caches are destroyed
/// when the last object of each is freed. Each network keeps a clone, for its
/// re-placements.
#[derive(Clone)]
pub(crate) struct Pools {
    /// The `numa_stats` counters.
    pub(crate) numa: Arc<NumaStats>,
    /// `neural_layer`: the layer descriptors.
    pub(super) layers: Arc<SlabCache<Layer>>,
    /// `neural_scratch`: each CPU's scratch mutex and buffer header (`scratch.rs`).
    pub(super) scratch: Arc<SlabCache<Mutex<NodeVec<i16>>>>,
    /// `neural_replica`: the descriptors of `replicate`'s copies.
    pub(super) replicas: Arc<SlabCache<Replica>>,
}

impl Pools {
    /// The caches `neural_layer`, `neural_scratch` and `neural_replica`, and counters at
    /// zero.
    ///
    /// # Errors
    ///
    /// `ENOMEM`, or an error of `kmem_cache_create()`.
    pub(crate) fn new() -> Result<Self> {
        Self::named(c"neural_layer", c"neural_scratch", c"neural_replica")
    }

    /// As [`Pools::new`], with caches of other names (the KUnit suites, which run while
    /// the module's own caches exist).
    pub(crate) fn named(
        layer: &'static CStr,
        scratch: &'static CStr,
        replica: &'static CStr,
    ) -> Result<Self> {
        Ok(Self {
            numa: NumaStats::new()?,
            layers: SlabCache::new(layer)?,
            scratch: SlabCache::new(scratch)?,
            replicas: SlabCache::new(replica)?,
        })
    }
}

/// The owner of a buffer of a network, in `memory_map`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Part {
    /// Layer `i`.
    Layer(usize),
    /// The scratch space of CPU `cpu`.
    Cpu(u32),
}

impl core::fmt::Display for Part {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Part::Layer(i) => write!(f, "layer{i}"),
            Part::Cpu(c) => write!(f, "cpu{c}"),
        }
    }
}

/// One buffer of a network: who owns it, what it holds, its size and where its pages
/// are.
pub(crate) struct Buffer<'a> {
    /// The owner.
    pub(crate) part: Part,
    /// What it holds: `weights`, `bias`, `weights_replica`, `bias_replica`, `grad_w`,
    /// `grad_b`, `pre`, `out`, `delta`, `scratch`, `atomic`.
    pub(crate) kind: &'static str,
    /// Bytes asked for.
    pub(crate) bytes: usize,
    /// Where its pages landed.
    pub(crate) pages: &'a PageMap,
    /// Whether it went to another node than the one intended (`preferred`).
    pub(crate) fell_back: bool,
    /// Its address, for checks of its alignment (never shown: kernel addresses stay
    /// private).
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) addr: usize,
}

impl<'a> Buffer<'a> {
    pub(super) fn of(part: Part, kind: &'static str, v: &'a dyn Array) -> Self {
        Self {
            part,
            kind,
            bytes: v.bytes(),
            pages: v.pages(),
            fell_back: v.fell_back(),
            addr: v.as_ptr().addr(),
        }
    }
}

/// Calls `f` on every buffer of `layers`: weights, biases, their copies, training memory.
pub(super) fn each_buffer(layers: &[LayerBox], mut f: impl FnMut(&Buffer<'_>) -> Result) -> Result {
    for (i, l) in layers.iter().enumerate() {
        let part = Part::Layer(i);
        f(&Buffer::of(part, "weights", l.weights.array()))?;
        f(&Buffer::of(part, "bias", &l.bias))?;
        for r in l.copies.iter() {
            f(&Buffer::of(part, "weights_replica", r.weights.array()))?;
            f(&Buffer::of(part, "bias_replica", &r.bias))?;
        }
        if let Some((_, m)) = &l.train {
            m.each_buffer(|kind, v| f(&Buffer::of(part, kind, v)))?;
        }
    }
    Ok(())
}
