// SPDX-License-Identifier: GPL-2.0

//! A network in the kernel: its layers in node-placed memory, and inference.
//!
//! Each layer's weights and biases are [`NodeVec`]s on the node [`placement`] picks. The
//! layers sit behind a reader-writer semaphore: any number of CPUs predict at once
//! (readers); a training step (the writer) has them to itself.
//!
//! Prediction allocates nothing: it runs in scratch space set up when the network is
//! created, one buffer per possible CPU on that CPU's node, each behind its own mutex
//! (the zswap pattern: a task that migrates mid-prediction keeps using, and holding, the
//! buffer of the CPU it started on, so correctness never depends on staying put).
//! Callers that bring their own scratch use [`Network::predict_with`]. Where these two
//! locks sit in the module's lock order: [`crate::registry`], "Lock order".
//!
//! Before any of its memory is allocated, a network's [`Network::footprint`] (the bytes
//! of all its arrays) is charged to the module's [`Budget`](crate::budget::Budget); the
//! network keeps the [`Charge`] and gives the bytes back when its memory is freed.

mod affinity;
pub(crate) mod atomic;
pub(crate) mod cache;
mod layer;
mod owner;
mod placed;
mod replace;
pub(crate) mod rounds;
mod train;

pub(crate) use affinity::CpuCounts;
use affinity::{
    count_cpu, //
    Affinity,
};
use atomic::{
    AtomicScratch,
    NoPreempt, //
};
use cache::{
    now_ns,
    CacheStats, //
};
use layer::{
    Layer,
    LayerBox,
    Replica, //
};
pub(crate) use owner::Owner;
pub(crate) use placed::Placed;
pub(crate) use replace::evacuation;
use train::TrainMem;
pub(crate) use train::TrainReport;

use core::sync::atomic::{
    AtomicBool,
    AtomicU32,
    AtomicU64,
    Ordering, //
};

use kernel::cpu::CpuId;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::{
    Arc,
    Mutex, //
};

use crate::budget::Charge;
use crate::numa::cpumask::CpuMask;
use crate::numa::mem::{
    self,
    Array,
    NodeVec, //
};
use crate::numa::pagemap::PageMap;
use crate::numa::placement::{
    self,
    Placement, //
};
use crate::numa::slab::{
    SlabBox,
    SlabCache, //
};
use crate::numa::stats::{
    Held,
    NumaStats, //
};
use crate::numa::topology;
use crate::published::{
    Published,
    ReadGuard, //
};
use crate::pure::batch::{self, Shape};
use crate::pure::model::Model;
use crate::pure::rng::Rng;
use crate::pure::xavier::{
    self,
    Plan, //
};
use crate::simd::Section;

/// Where a network came from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    /// A model blob, by its CRC-32.
    Loaded {
        /// The blob's checksum.
        crc: u32,
    },
    /// A topology, initialised from a seed.
    Created {
        /// The seed of the initialisation.
        seed: u64,
    },
}

/// Counters shown in `network_<id>/stats`.
pub(crate) struct Stats {
    /// Input vectors predicted.
    pub(crate) predictions: Atomic<u64>,
    /// Calls to predict (one per batch).
    pub(crate) batches: Atomic<u64>,
    /// Training steps (one per sample and epoch).
    pub(crate) train_steps: Atomic<u64>,
    /// Mean loss of the last epoch trained, in units of 2^-30 (`train::LOSS_FRAC`).
    pub(crate) last_loss: Atomic<u64>,
    /// Input numbers beyond the input format that `predict` saturated.
    pub(crate) inputs_clipped: Atomic<u64>,
    /// Whether a saturated input was logged (once per network).
    pub(crate) clip_logged: Atomic<bool>,
    /// Input vectors predicted on a CPU of the node that holds all the weights they read.
    pub(crate) local: Atomic<u64>,
    /// Input vectors predicted on a CPU of another node than (some of) the weights they
    /// read: cross-node.
    pub(crate) cross_node: Atomic<u64>,
    /// Re-placements done (`config`: `policy`, `node`, `nodes`, `migrate`; `evacuate`).
    pub(crate) migrations: Atomic<u64>,
    /// Bytes the re-placements done copied to their new memory.
    pub(crate) migrated_bytes: Atomic<u64>,
    /// Re-placements that failed (the old placement kept serving).
    pub(crate) migration_failures: Atomic<u64>,
    /// Nanoseconds the predictions took (each call, or batch chunk, from its start to its
    /// end, cache lookups included).
    pub(crate) infer_ns: AtomicU64,
    /// The longest call (or chunk) of them, in nanoseconds.
    pub(crate) infer_ns_max: AtomicU64,
    /// Layer runs (one layer, one input) by the vector kernel and by the scalar path.
    pub(crate) simd_layers: AtomicU64,
    pub(crate) scalar_layers: AtomicU64,
    /// Predictions from atomic context (`neural_network_predict_atomic()`).
    pub(crate) atomic: AtomicU64,
    /// Atomic predictions refused with `EAGAIN` (training held the weights, or NMI).
    pub(crate) atomic_again: AtomicU64,
    /// The prediction cache.
    pub(crate) cache: CacheStats,
}

/// Where the rows of one request ran, counted into [`Stats`] only when all of it
/// succeeded ([`Network::count`]): a request that fails or is interrupted changes no
/// counter. Up to [`Tally::SLOTS`] (node, copy) pairs and as many CPUs are told apart; a
/// task that moves among more during one request has the rest counted under its last
/// pair, or CPU. A chunk of a batch has its own (on one CPU).
#[derive(Default)]
pub(crate) struct Tally {
    local: u64,
    cross: u64,
    slots: [(Option<topology::NodeId>, usize, u64, bool); Tally::SLOTS],
    used: usize,
    /// (CPU, rows, chunks).
    cpus: [(u32, u64, u64); Tally::SLOTS],
    cpus_used: usize,
    /// Whether each call counts as a batch chunk (`cpu_affinity`).
    chunks: bool,
    /// Whether the calls are pieces of a request of several rows, which never uses the
    /// cache (a piece of one row included).
    many: bool,
    /// Nanoseconds of the calls, and of the longest.
    ns: u64,
    ns_max: u64,
    /// Layer runs on the vector kernel, and on the scalar one.
    simd: u64,
    scalar: u64,
}

/// Layer runs of one [`Network::run`], on the vector kernel and on the scalar one.
struct LayerRuns {
    simd: u64,
    scalar: u64,
}

impl Tally {
    const SLOTS: usize = 4;

    /// The tally of a request of `rows` rows, run in chunks (each call one chunk, for
    /// `cpu_affinity`) or not.
    pub(crate) fn for_request(rows: usize, chunks: bool) -> Self {
        Self {
            chunks,
            many: rows > 1,
            ..Self::default()
        }
    }

    fn add_runs(&mut self, runs: LayerRuns) {
        self.simd += runs.simd;
        self.scalar += runs.scalar;
    }

    fn add_time(&mut self, ns: u64) {
        self.ns = self.ns.saturating_add(ns);
        self.ns_max = self.ns_max.max(ns);
    }

    fn add_cpu(&mut self, cpu: u32, rows: u64) {
        let used = &self.cpus[..self.cpus_used];
        let k = match used.iter().position(|e| e.0 == cpu) {
            Some(k) => k,
            None if self.cpus_used < Self::SLOTS => {
                self.cpus_used += 1;
                self.cpus[self.cpus_used - 1] = (cpu, 0, 0);
                self.cpus_used - 1
            }
            None => self.cpus_used - 1,
        };
        self.cpus[k].1 += rows;
        self.cpus[k].2 += u64::from(self.chunks);
    }

    fn add(&mut self, node: Option<topology::NodeId>, copy: usize, rows: u64, local: bool) {
        if local {
            self.local += rows;
        } else {
            self.cross += rows;
        }
        let used = &self.slots[..self.used];
        let k = match used
            .iter()
            .position(|e| e.0 == node && e.1 == copy && e.3 == local)
        {
            Some(k) => k,
            None if self.used < Self::SLOTS => {
                self.used += 1;
                self.slots[self.used - 1] = (node, copy, 0, local);
                self.used - 1
            }
            None => self.used - 1,
        };
        self.slots[k].2 += rows;
    }
}

/// Scratch space of one CPU: two buffers of the widest layer, behind a mutex that is an
/// object of the `neural_scratch` cache on the CPU's node.
type Scratch = Pin<SlabBox<Mutex<NodeVec<i16>>>>;

/// The module's slab caches for what networks are made of, and the NUMA counters their
/// memory is held in: one set for the module (`Pools::new`), whose caches are destroyed
/// when the last object of each is freed. Each network keeps a clone, for its
/// re-placements.
#[derive(Clone)]
pub(crate) struct Pools {
    /// The `numa_stats` counters.
    pub(crate) numa: Arc<NumaStats>,
    layers: Arc<SlabCache<Layer>>,
    scratch: Arc<SlabCache<Mutex<NodeVec<i16>>>>,
    replicas: Arc<SlabCache<Replica>>,
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
    /// What it holds: `weights`, `bias`, `grad_w`, `grad_b`, `pre`, `out`, `delta`,
    /// `scratch`.
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
    fn of(part: Part, kind: &'static str, v: &'a dyn Array) -> Self {
        Self {
            part,
            kind,
            bytes: v.bytes(),
            pages: v.pages(),
            fell_back: v.fell_back(),
            addr: v.as_ptr() as usize,
        }
    }
}

/// Calls `f` on every buffer of `layers` (see [`placed::each_buffer`]), then of the
/// CPUs' scratch.
fn each_buffer(
    layers: &[LayerBox],
    scratch: &[Scratch],
    atomic: &[AtomicScratch],
    mut f: impl FnMut(&Buffer<'_>) -> Result,
) -> Result {
    placed::each_buffer(layers, &mut f)?;
    each_scratch(scratch, atomic, f)
}

/// Calls `f` on the scratch buffers of every CPU: its batch scratch, then its atomic
/// predictions' (one per context level).
fn each_scratch(
    scratch: &[Scratch],
    atomic: &[AtomicScratch],
    mut f: impl FnMut(&Buffer<'_>) -> Result,
) -> Result {
    for (cpu, s) in (0u32..).zip(scratch) {
        // The scratch lock under the parameter lock: the module's lock order allows it.
        let buf = s.lock();
        f(&Buffer::of(Part::Cpu(cpu), "scratch", &*buf))?;
        drop(buf);
        if let Some(a) = atomic.get(cpu as usize) {
            a.each_buffer(cpu, &mut f)?;
        }
    }
    Ok(())
}

/// A network.
///
/// Its layers are a [`Placed`], published under SRCU: a prediction reads the one in force
/// without waiting for a re-placement ([`Network::replace`]), which builds a new one,
/// publishes it and frees the old once no prediction can see it.
#[pin_data]
pub(crate) struct Network {
    id: u32,
    input_dim: usize,
    input_frac: u8,
    output_dim: usize,
    output_frac: u8,
    /// The layers' shape, for the batch driver (`pure::batch`).
    shape: Shape,
    /// Multiply-accumulates of one forward pass (the weights' count).
    work: u64,
    origin: Origin,
    /// Who made it: the module's faces, or a module through the exported API.
    owner: Owner,
    /// The layers in force.
    #[pin]
    placed: Published<Placed>,
    /// Serialises what changes the layers: training steps and re-placements.
    #[pin]
    update: Mutex<()>,
    pools: Pools,
    scratch: KVec<Scratch>,
    /// Each possible CPU's scratch for atomic predictions.
    atomic: KVec<AtomicScratch>,
    /// `cache_timeout` set in `config` (ms), or `u32::MAX`: the module parameter's.
    cache_ms: AtomicU32,
    /// `simd 0` in `config`: every layer of this network runs scalar.
    no_simd: AtomicBool,
    /// How the CPU mask is chosen (`cpus`, `avoid_cpu0` in `config`).
    #[pin]
    affinity: Mutex<Affinity>,
    /// Where batches start picking CPUs of the mask, so that writers take turns.
    next_cpu: Atomic<u32>,
    /// What ran on each CPU (`cpu_affinity`).
    per_cpu: KVec<CpuCounts>,
    /// Counters.
    pub(crate) stats: Stats,
    // Last: what the arrays above hold goes back to the NUMA counters and the budget
    // once they are freed.
    _scratch_held: Held,
    charge: Charge,
}

impl Network {
    /// The bytes of the arrays of a network whose layers have `dims` (inputs, outputs):
    /// weights and biases, with `trainable` the training memory too, and the scratch
    /// buffer of every possible CPU. `None` if the sum overflows.
    pub(crate) fn footprint(
        dims: impl Iterator<Item = (usize, usize)>,
        trainable: bool,
    ) -> Option<u64> {
        const I16: usize = size_of::<i16>();
        const I32: usize = size_of::<i32>();
        const I64: usize = size_of::<i64>();
        // Weights and biases; gradients of both, pre-activations, outputs and deltas.
        let (per_weight, per_output) = if trainable {
            (I16 + I64, I32 + I64 + I16 + I16 + I64)
        } else {
            (I16, I32)
        };
        let mut sum: usize = 0;
        let (mut max_width, mut max_inputs) = (0usize, 0usize);
        for (inputs, outputs) in dims {
            let weights = inputs.checked_mul(outputs)?.checked_mul(per_weight)?;
            let rest = outputs.checked_mul(per_output)?;
            sum = sum.checked_add(weights)?.checked_add(rest)?;
            max_width = max_width.max(outputs);
            max_inputs = max_inputs.max(inputs);
        }
        // A batch's scratch, and an atomic prediction's for each context level.
        let batch = batch::checked_scratch_len(max_width, max_inputs)?;
        let one = batch::checked_scratch_len_for(max_width, max_inputs, 1)?;
        let per_cpu = one
            .checked_mul(atomic::LEVELS)?
            .checked_add(batch)?
            .checked_mul(I16)?;
        let cpus = usize::try_from(topology::nr_cpu_ids()).ok()?;
        let scratch = cpus.checked_mul(per_cpu)?;
        u64::try_from(sum.checked_add(scratch)?).ok()
    }

    /// [`Network::footprint`] of a network built from `model`.
    pub(crate) fn model_footprint(model: &Model<'_>) -> Option<u64> {
        Self::footprint(model.layers().map(|l| (l.inputs, l.outputs)), false)
    }

    /// [`Network::footprint`] of a network created from `plan`.
    pub(crate) fn plan_footprint(plan: &Plan) -> Option<u64> {
        Self::footprint(plan.layers().iter().map(|l| (l.inputs, l.outputs)), true)
    }

    /// Builds network `id` from a parsed model, its memory placed by `placement`, paid for
    /// by `charge` ([`Network::model_footprint`]), made of `pools`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory cannot be had where the policy allows.
    pub(crate) fn from_model(
        id: u32,
        model: &Model<'_>,
        crc: u32,
        placement: &Placement,
        charge: Charge,
        pools: &Pools,
        owner: Owner,
    ) -> Result<Arc<Self>> {
        let placed = placement.for_network(id);
        let mut layers = KVec::with_capacity(model.n_layers(), GFP_KERNEL)?;
        for (i, l) in model.layers().enumerate() {
            let n = l.inputs * l.outputs;
            let wanted = placed.layer(i, n * size_of::<i16>());
            let weights = NodeVec::from_iter(n, wanted, model.weights(&l))?;
            let bias = NodeVec::from_iter(l.outputs, placed.layer(i, 0), model.biases(&l))?;
            let mut layer = Layer {
                inputs: l.inputs,
                outputs: l.outputs,
                activation: l.activation,
                out_frac: l.out_frac,
                requant: l.requant,
                wanted,
                weights,
                bias,
                train: None,
                copies: KVec::new(),
            };
            layer.replicate(placed.copies(wanted), pools)?;
            layers.push(SlabBox::new(&pools.layers, layer, wanted)?, GFP_KERNEL)?;
        }
        Self::new_with(
            id,
            model.input_frac(),
            layers,
            Rng::from_seed(0),
            Origin::Loaded { crc },
            owner,
            placement,
            charge,
            pools,
        )
    }

    /// Builds network `id` from a topology, Xavier-initialised from `seed` (or from the
    /// kernel's RNG), with its training memory, paid for by `charge`
    /// ([`Network::plan_footprint`]), made of `pools`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory cannot be had where the policy allows.
    pub(crate) fn create(
        id: u32,
        plan: &Plan,
        seed: Option<u64>,
        placement: &Placement,
        charge: Charge,
        pools: &Pools,
        owner: Owner,
    ) -> Result<Arc<Self>> {
        // SAFETY: `get_random_u64` may be called from any context.
        let seed = seed.unwrap_or_else(|| unsafe { kernel::bindings::get_random_u64() });
        let mut rng = Rng::from_seed(seed);
        let placed = placement.for_network(id);
        let mut layers: KVec<LayerBox> = KVec::with_capacity(plan.n_layers(), GFP_KERNEL)?;
        // All the memory first, so that running out of it costs no initialisation work.
        for (i, lp) in plan.layers().iter().enumerate() {
            let place = |bytes| placed.layer(i, bytes);
            let n = lp.inputs * lp.outputs;
            let wanted = place(n * size_of::<i16>());
            let weights = NodeVec::zeroed(n, wanted)?;
            let bias = NodeVec::zeroed(lp.outputs, place(0))?;
            let mem = TrainMem::new(lp.inputs, lp.outputs, place)?;
            let layer = Layer {
                inputs: lp.inputs,
                outputs: lp.outputs,
                activation: lp.activation,
                out_frac: lp.out_frac,
                requant: lp.requant,
                wanted,
                weights,
                bias,
                train: Some((*lp, mem)),
                copies: KVec::new(),
            };
            layers.push(SlabBox::new(&pools.layers, layer, wanted)?, GFP_KERNEL)?;
        }
        for (l, lp) in layers.iter_mut().zip(plan.layers()) {
            let l: &mut Layer = l;
            xavier::init_layer(lp, &mut l.weights, &mut l.bias, &mut rng).map_err(|e| {
                pr_err!("create: {}\n", e.reason());
                EINVAL
            })?;
            // The copies after the initialisation, which they copy.
            let copies = placed.copies(l.wanted);
            l.replicate(copies, pools)?;
        }
        Self::new_with(
            id,
            plan.input_frac(),
            layers,
            rng,
            Origin::Created { seed },
            owner,
            placement,
            charge,
            pools,
        )
    }

    /// Wraps checked layers (each one's inputs are the previous one's outputs).
    #[expect(clippy::too_many_arguments)]
    fn new_with(
        id: u32,
        input_frac: u8,
        layers: KVec<LayerBox>,
        rng: Rng,
        origin: Origin,
        owner: Owner,
        placement: &Placement,
        charge: Charge,
        pools: &Pools,
    ) -> Result<Arc<Self>> {
        let first = layers.first().ok_or(EINVAL)?;
        let last = layers.last().ok_or(EINVAL)?;
        let (input_dim, output_dim, output_frac) = (first.inputs, last.outputs, last.out_frac);
        let shape = Shape::of(layers.iter().map(|l| (l.inputs, l.outputs))).ok_or(EINVAL)?;
        let work = layers
            .iter()
            .map(|l| (l.inputs as u64).saturating_mul(l.outputs as u64))
            .fold(0u64, u64::saturating_add);
        let scratch = Self::alloc_scratch(shape.scratch_len(), pools)?;
        let atomic = Self::alloc_atomic(shape.scratch_len_for(1))?;
        let mut scratch_held = Held::new(&pools.numa);
        each_scratch(&scratch, &atomic, |b| scratch_held.add(b.bytes, b.pages))?;
        scratch_held.publish();
        let placed = Placed::new(layers, rng, *placement, &pools.numa)?;
        let per_cpu = affinity::cpu_counts()?;
        Arc::pin_init(
            try_pin_init!(Self {
                id,
                input_dim,
                input_frac,
                output_dim,
                output_frac,
                shape,
                work,
                origin,
                owner,
                placed <- Published::new(placed),
                update <- new_mutex!((), "neural_network:update"),
                pools: pools.clone(),
                scratch,
                atomic,
                cache_ms: AtomicU32::new(u32::MAX),
                no_simd: AtomicBool::new(false),
                affinity <- new_mutex!(Affinity::new(), "neural_network:affinity"),
                next_cpu: Atomic::new(0),
                per_cpu,
                stats: Stats {
                    predictions: Atomic::new(0),
                    batches: Atomic::new(0),
                    train_steps: Atomic::new(0),
                    last_loss: Atomic::new(0),
                    inputs_clipped: Atomic::new(0),
                    clip_logged: Atomic::new(false),
                    local: Atomic::new(0),
                    cross_node: Atomic::new(0),
                    migrations: Atomic::new(0),
                    migrated_bytes: Atomic::new(0),
                    migration_failures: Atomic::new(0),
                    infer_ns: Default::default(),
                    infer_ns_max: Default::default(),
                    simd_layers: Default::default(),
                    scalar_layers: Default::default(),
                    atomic: Default::default(),
                    atomic_again: Default::default(),
                    cache: CacheStats::default(),
                },
                _scratch_held: scratch_held,
                charge,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// One scratch buffer (`len` values) per possible CPU, on its node.
    fn alloc_scratch(len: usize, pools: &Pools) -> Result<KVec<Scratch>> {
        let n = topology::nr_cpu_ids();
        let mut v = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for cpu in 0..n {
            let place = placement::cpu_where(cpu);
            let buf = NodeVec::zeroed(len, place)?;
            v.push(
                SlabBox::pin_init(&pools.scratch, new_mutex!(buf), place)?,
                GFP_KERNEL,
            )?;
        }
        Ok(v)
    }

    /// One atomic scratch (buffers of `len` values per context level) per possible CPU,
    /// on its node.
    fn alloc_atomic(len: usize) -> Result<KVec<AtomicScratch>> {
        let n = topology::nr_cpu_ids();
        let mut v = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for cpu in 0..n {
            v.push(AtomicScratch::new(cpu, len)?, GFP_KERNEL)?;
        }
        Ok(v)
    }

    /// The id (`network_<id>` in debugfs).
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// Length of an input vector.
    pub(crate) fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// Fractional bits of the input.
    pub(crate) fn input_frac(&self) -> u8 {
        self.input_frac
    }

    /// Length of an output vector.
    pub(crate) fn output_dim(&self) -> usize {
        self.output_dim
    }

    /// Fractional bits of the output.
    pub(crate) fn output_frac(&self) -> u8 {
        self.output_frac
    }

    /// Where it came from.
    pub(crate) fn origin(&self) -> Origin {
        self.origin
    }

    /// Who made it.
    pub(crate) fn owner(&self) -> &Owner {
        &self.owner
    }

    /// The placement in force (given at creation, or by the last re-placement).
    pub(crate) fn placement(&self) -> Placement {
        self.placed.read().placement()
    }

    /// The layers in force, for as long as the guard lives (an SRCU read-side section:
    /// a re-placement meanwhile waits to free them).
    pub(crate) fn placed(&self) -> ReadGuard<'_, Placed> {
        self.placed.read()
    }

    /// Multiply-accumulates of one forward pass (of one input vector).
    pub(crate) fn work_per_row(&self) -> u64 {
        self.work
    }

    /// The bytes of all its arrays as allocated: layers, training memory and scratch
    /// (what [`Network::footprint`] predicts).
    pub(crate) fn bytes(&self) -> usize {
        let placed = self.placed.read();
        let params = placed.params.read();
        let layers: usize = params
            .layers
            .iter()
            .map(|l| l.bytes() + l.train_bytes())
            .sum();
        let per_cpu = self.scratch_len() + atomic::LEVELS * self.shape.scratch_len_for(1);
        layers + self.scratch.len() * per_cpu * size_of::<i16>()
    }

    /// The scratch length [`Network::predict_with`] needs.
    pub(crate) fn scratch_len(&self) -> usize {
        self.shape.scratch_len()
    }

    /// Calls `f` on every buffer of the network (layers in order, then the CPUs'
    /// scratch), under the read lock.
    pub(crate) fn for_each_buffer(&self, f: impl FnMut(&Buffer<'_>) -> Result) -> Result {
        let placed = self.placed.read();
        let params = placed.params.read();
        each_buffer(&params.layers, &self.scratch, &self.atomic, f)
    }

    /// Calls `f` on each layer, under the read lock.
    pub(crate) fn for_each_layer(&self, f: impl FnMut(usize, &Layer) -> Result) -> Result {
        self.placed.read().for_each_layer(f)
    }

    /// Predicts a batch: `inputs` holds `n` vectors of `input_dim` values, `outputs`
    /// receives `n` vectors of `output_dim`. Uses this CPU's scratch; allocates nothing.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the slices' lengths do not fit the network (nothing is written).
    pub(crate) fn predict_batch(&self, inputs: &[i16], outputs: &mut [i16]) -> Result<usize> {
        let mut tally = Tally::default();
        let n = self.predict_uncounted(inputs, outputs, &mut tally)?;
        self.count(n, 1, [&tally]);
        Ok(n)
    }

    /// As [`Network::predict_batch`], without counting in [`Stats`]: for a caller that
    /// runs one request in several pieces and counts it with [`Network::count`] only if
    /// all of it succeeds.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the slices' lengths do not fit the network (nothing is written).
    pub(crate) fn predict_uncounted(
        &self,
        inputs: &[i16],
        outputs: &mut [i16],
        tally: &mut Tally,
    ) -> Result<usize> {
        let n = self.batch_len(inputs, outputs)?;
        let start = now_ns();
        let placed = self.placed.read();
        let cpu = CpuId::current().as_u32();
        let copy = self.copy_here(&placed, n, tally);
        // A request of one input, and the cache on: its answer may be there already.
        let timeout = if n == 1 && !tally.many {
            self.cache_timeout_ms()
        } else {
            0
        };
        if timeout > 0 {
            // Without a table (no memory) the cache stays off for this one.
            let _ = placed.cache.ensure();
            if placed
                .cache
                .lookup(inputs, outputs, timeout, &self.stats.cache)
            {
                tally.add_cpu(cpu, 1);
                tally.add_time(now_ns().saturating_sub(start));
                return Ok(1);
            }
        }
        let params = placed.params.read();
        let slot = self.scratch.get(cpu as usize).ok_or(EINVAL)?;
        let mut scratch = slot.lock();
        self.run(
            &params.layers,
            batch::BLOCK,
            inputs,
            outputs,
            &mut scratch,
            copy,
        )
        .map(|runs| tally.add_runs(runs))?;
        drop(scratch);
        // Stored under the parameter lock: a training call, which empties the cache,
        // cannot have begun meanwhile.
        if timeout > 0 {
            placed
                .cache
                .store(inputs, outputs, timeout, &self.stats.cache);
        }
        drop(params);
        tally.add_cpu(cpu, n as u64);
        tally.add_time(now_ns().saturating_sub(start));
        Ok(n)
    }

    /// Predicts one input vector (`input_dim` values into `output_dim`) without
    /// sleeping, from any context but NMI (`network/atomic.rs`): under SRCU, this CPU's
    /// atomic scratch for the context level, preemption off, the FPU only where the
    /// context may use it. Looks in the cache first and stores in it.
    ///
    /// # Errors
    ///
    /// `EINVAL` for lengths that do not fit (nothing is written); `EAGAIN` while a
    /// training call holds the weights (the cache has no entry then: training emptied it),
    /// or in NMI.
    pub(crate) fn predict_atomic(&self, input: &[i16], output: &mut [i16]) -> Result {
        if input.len() != self.input_dim || output.len() != self.output_dim {
            return Err(EINVAL);
        }
        let ctx = NoPreempt::enter().inspect_err(|_| {
            self.stats.atomic_again.fetch_add(1, Ordering::Relaxed);
        })?;
        let start = now_ns();
        let placed = self.placed.read();
        let mut tally = Tally::default();
        let copy = self.copy_here(&placed, 1, &mut tally);
        let timeout = self.cache_timeout_ms();
        let hit = timeout > 0
            && placed
                .cache
                .lookup(input, output, timeout, &self.stats.cache);
        if !hit {
            let (Some(_reader), Some(mut scratch)) = (
                placed.readers.enter(),
                self.atomic
                    .get(ctx.cpu() as usize)
                    .and_then(|a| a.claim(&ctx)),
            ) else {
                self.stats.atomic_again.fetch_add(1, Ordering::Relaxed);
                return Err(EAGAIN);
            };
            // SAFETY: inside the atomic readers (`_reader`), which every writer of the
            // parameters closes, and waits for, before it changes anything.
            let params = unsafe { placed.params.get_unguarded() };
            self.run(&params.layers, 1, input, output, scratch.buf(), copy)
                .map(|runs| tally.add_runs(runs))?;
            if timeout > 0 {
                placed
                    .cache
                    .store(input, output, timeout, &self.stats.cache);
            }
        }
        tally.add_cpu(ctx.cpu(), 1);
        tally.add_time(now_ns().saturating_sub(start));
        drop(placed);
        self.count(1, 1, [&tally]);
        self.stats.atomic.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The cache timeout in force (ms; 0: off): the one `config` set, else
    /// `neural_cache_timeout_ms`.
    pub(crate) fn cache_timeout_ms(&self) -> u32 {
        match self.cache_ms.load(Ordering::Relaxed) {
            u32::MAX => crate::params::cache_timeout_ms(),
            ms => ms,
        }
    }

    /// Whether `config` set the timeout (else the module parameter's applies).
    pub(crate) fn cache_timeout_set(&self) -> bool {
        self.cache_ms.load(Ordering::Relaxed) != u32::MAX
    }

    /// Sets the cache timeout (`None`: the module parameter's again); a timeout of 0
    /// frees the table (emptied entries counted as invalidated).
    pub(crate) fn set_cache_timeout(&self, ms: Option<u32>) {
        self.cache_ms
            .store(ms.unwrap_or(u32::MAX), Ordering::Relaxed);
        if self.cache_timeout_ms() == 0 {
            let n = self.placed.read().cache.free();
            self.stats
                .cache
                .invalidated
                .fetch_add(n as u64, Ordering::Relaxed);
        }
    }

    /// What the cache of the layers in force holds.
    pub(crate) fn cache_usage(&self) -> cache::Usage {
        self.placed.read().cache.usage()
    }

    /// Whether the vector path may run this network's layers (`simd` in `config`;
    /// `neural_enable_simd` and the gate decide as for any network).
    pub(crate) fn simd_allowed(&self) -> bool {
        !self.no_simd.load(Ordering::Relaxed)
    }

    /// Allows or forbids the vector path for this network (`simd 0|1`).
    pub(crate) fn set_simd(&self, on: bool) {
        self.no_simd.store(!on, Ordering::Relaxed);
    }

    /// As [`Network::predict_batch`], in scratch space supplied by the caller (at least
    /// [`Network::scratch_len`] values).
    ///
    /// # Errors
    ///
    /// `EINVAL` if a slice's length does not fit the network (nothing is written).
    // Only the KUnit suites call it until the exported API (and its samples) does.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn predict_with(
        &self,
        inputs: &[i16],
        outputs: &mut [i16],
        scratch: &mut [i16],
    ) -> Result<usize> {
        let n = self.batch_len(inputs, outputs)?;
        if scratch.len() < self.scratch_len() {
            return Err(EINVAL);
        }
        let placed = self.placed.read();
        let params = placed.params.read();
        let mut tally = Tally::default();
        let cpu = CpuId::current().as_u32();
        let copy = self.copy_here(&placed, n, &mut tally);
        self.run(&params.layers, batch::BLOCK, inputs, outputs, scratch, copy)
            .map(|runs| tally.add_runs(runs))?;
        tally.add_cpu(cpu, n as u64);
        drop(params);
        drop(placed);
        self.count(n, 1, [&tally]);
        Ok(n)
    }

    /// Whether [`Network::train`] works on this network (created from a topology).
    pub(crate) fn trainable(&self) -> bool {
        matches!(self.origin, Origin::Created { .. })
    }

    fn batch_len(&self, inputs: &[i16], outputs: &[i16]) -> Result<usize> {
        let n = inputs.len() / self.input_dim;
        if n == 0 || inputs.len() % self.input_dim != 0 || outputs.len() != n * self.output_dim {
            return Err(EINVAL);
        }
        Ok(n)
    }

    /// Counts `n` input vectors predicted in `batches` calls, which ran as `tallies` say
    /// (local or cross-node, from which copy, on which CPU).
    pub(crate) fn count<'a>(
        &self,
        n: usize,
        batches: u64,
        tallies: impl IntoIterator<Item = &'a Tally>,
    ) {
        self.stats.predictions.fetch_add(n as u64, Relaxed);
        self.stats.batches.fetch_add(batches, Relaxed);
        let placed = self.placed.read();
        for tally in tallies {
            self.stats.infer_ns.fetch_add(tally.ns, Ordering::Relaxed);
            self.stats
                .simd_layers
                .fetch_add(tally.simd, Ordering::Relaxed);
            self.stats
                .scalar_layers
                .fetch_add(tally.scalar, Ordering::Relaxed);
            self.stats
                .infer_ns_max
                .fetch_max(tally.ns_max, Ordering::Relaxed);
            self.stats.local.fetch_add(tally.local, Relaxed);
            self.stats.cross_node.fetch_add(tally.cross, Relaxed);
            for &(node, copy, rows, local) in &tally.slots[..tally.used] {
                placed.count_copy_reads(copy, rows);
                if let (false, Some(node)) = (local, node) {
                    self.pools.numa.count_cross_node(node, rows);
                }
            }
            for &(cpu, rows, chunks) in &tally.cpus[..tally.cpus_used] {
                count_cpu(&self.per_cpu, cpu, rows, chunks);
            }
        }
    }

    /// The CPU mask in force, and whether `cpus LIST` set it (else: the default, from
    /// the weights' nodes).
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn cpu_mask(&self) -> Result<(CpuMask, bool)> {
        let affinity = self.affinity.lock();
        let mask = affinity.mask(&self.placed.read())?;
        Ok((mask, affinity.explicit.is_some()))
    }

    /// Whether the default mask leaves CPU 0 out.
    pub(crate) fn avoids_cpu0(&self) -> bool {
        self.affinity.lock().avoid_cpu0
    }

    /// Sets the mask: `Some(Some(mask))` exactly `mask` (which the caller checked has an
    /// online CPU), `Some(None)` the default; and whether the default leaves CPU 0 out.
    /// `None` leaves either as it is.
    ///
    /// # Errors
    ///
    /// `ENOMEM`: then nothing changed.
    pub(crate) fn set_affinity(
        &self,
        cpus: Option<Option<CpuMask>>,
        avoid_cpu0: Option<bool>,
    ) -> Result {
        let cpus = match cpus {
            Some(Some(m)) => Some(Some(KBox::new(m, GFP_KERNEL)?)),
            Some(None) => Some(None),
            None => None,
        };
        let mut affinity = self.affinity.lock();
        if let Some(cpus) = cpus {
            affinity.explicit = cpus;
        }
        if let Some(avoid) = avoid_cpu0 {
            affinity.avoid_cpu0 = avoid;
        }
        Ok(())
    }

    /// What ran on each CPU, by CPU id.
    pub(crate) fn cpu_counts(&self) -> &[CpuCounts] {
        &self.per_cpu
    }

    /// Up to `max` online CPUs of the mask for one batch, starting one further along the
    /// mask at each call (so that concurrent batches spread over it). Empty if no CPU of
    /// the mask is online.
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn batch_cpus(&self, max: usize) -> Result<KVec<u32>> {
        let (mask, _) = self.cpu_mask()?;
        let online = mask.online().count();
        let mut cpus = KVec::with_capacity(online.min(max), GFP_KERNEL)?;
        if online == 0 {
            return Ok(cpus);
        }
        let start = self.next_cpu.fetch_add(1, Relaxed) as usize % online;
        for cpu in mask.online().cycle().skip(start).take(online.min(max)) {
            cpus.push(cpu, GFP_KERNEL)?;
        }
        Ok(cpus)
    }

    /// The copy of the weights a prediction of `rows` rows reads from this CPU (0 unless
    /// replicated), with the rows put in `tally` as local or cross-node: cross-node when
    /// this CPU's node does not hold every page of the weights and biases of that copy
    /// (per network, and in `numa_stats` under this CPU's node, once counted).
    fn copy_here(&self, placed: &Placed, rows: usize, tally: &mut Tally) -> usize {
        let node = mem::current_node();
        let copy = placed.copy_for(node);
        tally.add(node, copy, rows as u64, placed.is_local(copy, node));
        copy
    }

    /// Runs `inputs` through the layers into `outputs` in blocks of at most `block`
    /// inputs (`pure::batch`), each layer by the path the gate picks: one [`Section`] (one
    /// FPU section, if any layer runs the vector kernel) for the whole call. Adds the
    /// layer runs of each path, for the caller's [`Tally`].
    fn run(
        &self,
        layers: &[LayerBox],
        block: usize,
        inputs: &[i16],
        outputs: &mut [i16],
        scratch: &mut [i16],
        copy: usize,
    ) -> Result<LayerRuns> {
        let mut gate = crate::simd::gate();
        gate.enabled &= self.simd_allowed();
        let mut section = Section::with_gate(gate, layers.iter().map(|l| l.inputs));
        let r = batch::forward_in(
            self.shape,
            block,
            |i| layers.get(i).map(|l| l.dense(copy)),
            inputs,
            outputs,
            scratch,
            &mut section,
        );
        let (simd, scalar) = section.counts();
        r.map(|_| LayerRuns { simd, scalar }).map_err(|_| EINVAL)
    }
}
