// SPDX-License-Identifier: GPL-2.0

//! A network's CPU mask, and where its predictions ran.
//!
//! A batch (a `predict` write of more than one row) runs in chunks, each by a work item
//! on a CPU of the network's mask ([`crate::sched::run_on_cpus`]), while the writer
//! waits; a single prediction runs on the caller's CPU, wherever that is. The mask is:
//!
//! - by default, the CPUs of the nodes that hold the network's weights (every copy of
//!   them under `replicate`), following the weights when they are re-placed; for weights
//!   on nodes without CPUs, the CPUs of the nearest node with CPUs, from each of them;
//!   with `avoid_cpu0` set, CPU 0 left out (as the tuning guide advises, CPU 0 serving
//!   the machine's housekeeping), unless it is the only online CPU the mask has;
//! - or exactly the list `cpus LIST` gave in `config`, which must name an online CPU.
//!
//! [`CpuCounts`] counts, per CPU, the rows predicted and the batch chunks run there
//! (`cpu_affinity`), counted with the rest of a request's counters when all of it
//! succeeded. A network's mask is read and set through [`Network::cpu_mask`] and
//! [`Network::set_affinity`]; a batch takes its CPUs from [`Network::batch_cpus`].
//!
//! Lock order: the affinity mutex (the `affinity` field of `Network`) is level 2 in the
//! crate root's list (`neural_network_main.rs`).

use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};

use super::placed::Placed;
use super::Network;
use crate::numa::cpumask::CpuMask;
use crate::numa::topology::{
    self,
    Live, //
};
use crate::pure::nodemask::NodeMask;
use crate::pure::nodes;
use crate::pure::num::u32_as_usize;

/// How a network's mask is chosen (`config`'s `cpus` and `avoid_cpu0`).
pub(crate) struct Affinity {
    /// The mask `cpus LIST` set; `None`: the default, from the weights' nodes.
    pub(crate) explicit: Option<KBox<CpuMask>>,
    /// Whether the default leaves CPU 0 out.
    pub(crate) avoid_cpu0: bool,
}

impl Affinity {
    /// The default mask, CPU 0 included.
    pub(crate) fn new() -> Self {
        Self {
            explicit: None,
            avoid_cpu0: false,
        }
    }

    /// The mask in force for the layers `placed`.
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn mask(&self, placed: &Placed) -> Result<CpuMask> {
        match &self.explicit {
            Some(m) => m.try_clone(),
            None => default_mask(placed.weight_nodes(), self.avoid_cpu0),
        }
    }
}

/// The CPUs of `nodes`, or for a node without CPUs those of the nearest node with CPUs;
/// without CPU 0 if `avoid_cpu0` and another online CPU remains.
///
/// # Errors
///
/// `ENOMEM`.
pub(crate) fn default_mask(nodes: NodeMask, avoid_cpu0: bool) -> Result<CpuMask> {
    let mut mask = CpuMask::new()?;
    let with_cpus = nodes::cpu_nodes(&Live);
    for node in nodes.iter() {
        let from = if with_cpus.contains(node) {
            Some(node)
        } else {
            nodes::by_distance(&Live, node, with_cpus).next()
        };
        if let Some(n) = from.and_then(topology::node_of) {
            for cpu in topology::node_cpus(n) {
                mask.set(cpu);
            }
        }
    }
    if avoid_cpu0 && mask.contains(0) {
        mask.clear(0);
        if mask.online().next().is_none() {
            mask.set(0);
        }
    }
    Ok(mask)
}

/// What ran on one CPU.
pub(crate) struct CpuCounts {
    /// Input vectors predicted there (single predictions and the rows of chunks).
    pub(crate) predictions: Atomic<u64>,
    /// Batch chunks run there.
    pub(crate) chunks: Atomic<u64>,
}

/// One [`CpuCounts`] per possible CPU, at zero.
///
/// # Errors
///
/// `ENOMEM`.
pub(crate) fn cpu_counts() -> Result<KVec<CpuCounts>> {
    let n = u32_as_usize(topology::nr_cpu_ids());
    let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        v.push(
            CpuCounts {
                predictions: Atomic::new(0),
                chunks: Atomic::new(0),
            },
            GFP_KERNEL,
        )?;
    }
    Ok(v)
}

/// Adds `rows` and `chunks` to `cpu`'s counts (nothing for a CPU out of range).
pub(crate) fn count_cpu(counts: &[CpuCounts], cpu: u32, rows: u64, chunks: u64) {
    if let Some(c) = counts.get(u32_as_usize(cpu)) {
        c.predictions.fetch_add(rows, Relaxed);
        c.chunks.fetch_add(chunks, Relaxed);
    }
}

impl Network {
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
        let start = u32_as_usize(self.next_cpu.fetch_add(1, Relaxed)) % online;
        for cpu in mask.online().cycle().skip(start).take(online.min(max)) {
            cpus.push(cpu, GFP_KERNEL)?;
        }
        Ok(cpus)
    }
}
