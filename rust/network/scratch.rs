// SPDX-License-Identifier: GPL-2.0

//! Each possible CPU's scratch space for predictions, on that CPU's node, made with the
//! network: a buffer for the predictions that may sleep, behind a mutex of its own
//! ([`Scratch`]), and the buffers of the atomic ones ([`AtomicScratch`]); and their
//! listing for `memory_map` and the NUMA counters.
//!
//! Lock order: a scratch mutex is level 5, a leaf, in the crate root's list
//! (`neural_network_main.rs`).

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

use super::atomic::AtomicScratch;
use super::buffers::{
    Buffer,
    Part,
    Pools, //
};
use crate::numa::mem::NodeVec;
use crate::numa::placement;
use crate::numa::slab::SlabBox;
use crate::numa::topology;
use crate::pure::num::u32_as_usize;

/// Scratch space of one CPU: two buffers of the widest layer, behind a mutex that is an
/// object of the `neural_scratch` cache on the CPU's node.
pub(super) type Scratch = Pin<SlabBox<Mutex<NodeVec<i16>>>>;

/// One scratch buffer (`len` values) per possible CPU, on its node.
pub(super) fn alloc_scratch(len: usize, pools: &Pools) -> Result<KVec<Scratch>> {
    let n = topology::nr_cpu_ids();
    let mut v = KVec::with_capacity(u32_as_usize(n), GFP_KERNEL)?;
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
pub(super) fn alloc_atomic(len: usize) -> Result<KVec<AtomicScratch>> {
    let n = topology::nr_cpu_ids();
    let mut v = KVec::with_capacity(u32_as_usize(n), GFP_KERNEL)?;
    for cpu in 0..n {
        v.push(AtomicScratch::new(cpu, len)?, GFP_KERNEL)?;
    }
    Ok(v)
}

/// Calls `f` on the scratch buffers of every CPU: its batch scratch, then its atomic
/// predictions' (one per context level).
pub(super) fn each_scratch(
    scratch: &[Scratch],
    atomic: &[AtomicScratch],
    mut f: impl FnMut(&Buffer<'_>) -> Result,
) -> Result {
    for (cpu, s) in (0u32..).zip(scratch) {
        // The scratch lock under the parameter lock: the module's lock order allows it.
        let buf = s.lock();
        f(&Buffer::of(Part::Cpu(cpu), "scratch", &*buf))?;
        drop(buf);
        if let Some(a) = atomic.get(u32_as_usize(cpu)) {
            a.each_buffer(cpu, &mut f)?;
        }
    }
    Ok(())
}
