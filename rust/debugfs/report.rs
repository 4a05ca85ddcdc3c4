// SPDX-License-Identifier: GPL-2.0

//! The text files that are read: `numa_info`, `numa_stats`, `memory_map`, `memory`,
//! `network_<id>/config` and `network_<id>/stats`.
//!
//! The text is made when the file is opened and served from that snapshot, as
//! `seq_file`'s `single_open` does, so one `read()` loop sees one consistent report.
//!
//! `config`, one `key: value` per line, then one line per layer:
//!
//! ```text
//! id: 0
//! origin: loaded crc32 0x1a2b3c4d        (or: created seed 42)
//! policy: interleave
//! input: 64 frac 8
//! output: 10 frac 15
//! layers: 2
//! bytes: 5160
//! layer 0: 64 -> 32 relu out_frac 10 mult 40000 shift 20 bytes 4224 node 0 wanted 0
//! layer 1: 32 -> 10 sigmoid out_frac 15 mult 51234 shift 22 bytes 680 node 1 wanted 1
//! ```
//!
//! A layer of 8-bit weights ends its line with its format (model format version 2):
//! ` format 16x8`, or ` format 8x8 in_shift 3`.
//!
//! `node` is where the weights are (read from their first page), `wanted` what the policy
//! asked for (`any`, a node, or `only N` under bind). `bytes` is what the network holds
//! and is charged for against the memory limits: all its arrays, the per-CPU scratch
//! included (`Network::footprint`; here the layers' 4904 and 2 CPUs' 128 each).
//!
//! `memory_map`: one line per buffer of every network, a header line first:
//!
//! ```text
//! # network part kind bytes pages want got
//! 0 layer0 weights 4096 1 0 0:1
//! 0 layer1 weights 524288 128 0-1 0:64,1:64
//! 0 cpu1 scratch 128 1 1 1:1
//! ```
//!
//! `part` is `layer<i>` or `cpu<n>` (that CPU's scratch), `kind` what the buffer holds
//! (`weights`, `bias`, training memory `grad_w grad_b pre out delta`, `scratch`), `bytes`
//! its size as asked, `pages` the pages it spans, `want` the node(s) the policy intended
//! (`-`: none), `got` the nodes its pages are on with their page counts, each looked up
//! when it was allocated.
//!
//! `numa_stats` (`CONFIG_NEURAL_NETWORK_NUMA`): see `crate::numa::stats`.
//!
//! `memory`: the limits in force and what is in use, in bytes:
//!
//! ```text
//! max_network_bytes: 268435456   (neural_max_network_mb, 0: a quarter of RAM)
//! max_total_bytes: 536870912     (neural_max_total_mb, 0: half of RAM)
//! used_bytes: 5160               (every network's bytes, removed ones still open included)
//! networks: 1
//! ```
//!
//! `stats`: `predictions: N` (input vectors), `batches: N` (calls), `train_steps: N`
//! (samples times epochs), `last_loss_q30: N` (mean loss of the last epoch, 2^-30
//! units), `inputs_clipped: N` (input numbers beyond the input format that `predict`
//! saturated), `local: N` and `cross_node: N` (input vectors predicted on a CPU of the
//! node that holds all the weights they read, and the others), `migrations: N`,
//! `migrated_bytes: N` and `migration_failures: N` (re-placements), `replacements: N`
//! (models replaced, `network_<id>/replace`), and under
//! `replicate` `copy_reads: node:rows,...`. A layer of a created network also shows
//! `train_bytes N` (gradients etc.).
//!
//! `config` is written to as well (`super::config`): the read side is [`Config`].

use core::fmt::Write;

use kernel::fs::file::Offset;
use kernel::prelude::*;
use kernel::sync::{
    atomic::Relaxed,
    Arc,
    ArcBorrow, //
};
use kernel::uaccess::UserSliceWriter;

use super::file::DebugFile;
use super::text::Text;
use super::Registry;
use crate::budget::MemLimits;
use crate::network::{
    Network,
    Origin, //
};
use crate::numa::mem::Where;
use crate::numa::topology;
use crate::pure::format::Format;

/// Something that writes a report.
pub(crate) trait Report: Send + Sync + 'static {
    /// Writes the report.
    fn write(&self, t: &mut Text) -> Result;
}

/// A read-only file serving a [`Report`].
pub(crate) struct ReportFile<R: Report>(pub(crate) R);

impl<R: Report> DebugFile for ReportFile<R> {
    type State = Text;
    const READ: bool = true;
    const WRITE: bool = false;

    fn open(this: ArcBorrow<'_, Self>) -> Result<Text> {
        let mut t = Text::new();
        this.0.write(&mut t)?;
        Ok(t)
    }

    fn read(state: &mut Text, out: &mut UserSliceWriter, pos: &mut Offset) -> Result<usize> {
        state.read(out, pos)
    }
}

/// `numa_info`.
#[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
pub(crate) struct NumaInfo;

#[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
impl Report for NumaInfo {
    fn write(&self, t: &mut Text) -> Result {
        t.write_fmt(fmt!("{}", crate::numa::info::NumaInfo))
            .map_err(|_| ENOMEM)
    }
}

/// `simd`: the vector path's features, self-check, gate and counts.
pub(crate) struct Simd;

impl Report for Simd {
    fn write(&self, t: &mut Text) -> Result {
        crate::simd::report(t).map_err(|_| ENOMEM)
    }
}

/// `bench`: the in-guest benchmark (`crate::simd::bench`), run when the file is opened.
pub(crate) struct Bench;

impl Report for Bench {
    fn write(&self, t: &mut Text) -> Result {
        crate::simd::bench::run(&crate::simd::bench::SHAPES, t)
    }
}

/// `memory`.
pub(crate) struct Memory(pub(crate) Arc<Registry>);

impl Report for Memory {
    fn write(&self, t: &mut Text) -> Result {
        let limits = MemLimits::from_params();
        writeln!(t, "max_network_bytes: {}", limits.network)
            .and_then(|()| writeln!(t, "max_total_bytes: {}", limits.total))
            .and_then(|()| writeln!(t, "used_bytes: {}", self.0.used_bytes()))
            .and_then(|()| writeln!(t, "networks: {}", self.0.count()))
            .map_err(|_| ENOMEM)
    }
}

/// `memory_map`: one line per buffer of every network.
pub(crate) struct MemoryMap(pub(crate) Arc<Registry>);

impl Report for MemoryMap {
    fn write(&self, t: &mut Text) -> Result {
        writeln!(t, "# network part kind bytes pages want got").map_err(|_| ENOMEM)?;
        for net in self.0.networks()? {
            net.for_each_buffer(|b| {
                writeln!(
                    t,
                    "{} {} {} {} {} {} {}",
                    net.id(),
                    b.part,
                    b.kind,
                    b.bytes,
                    b.pages.pages(),
                    b.pages.intended(),
                    b.pages.landed()
                )
                .map_err(|_| ENOMEM)
            })?;
        }
        Ok(())
    }
}

/// `cpu_affinity`: per network, its CPU mask and what ran on each CPU.
///
/// ```text
/// network_1 cpus 1 default avoid_cpu0 0
///   cpu 0 predictions 1 chunks 0
///   cpu 1 predictions 96 chunks 3
/// ```
///
/// `default`: the mask follows the weights' nodes; `cpus`: set by `cpus LIST`. One line
/// per CPU that is online or has counts; a CPU that is offline ends its line with
/// `offline`.
pub(crate) struct CpuAffinity(pub(crate) Arc<Registry>);

impl Report for CpuAffinity {
    fn write(&self, t: &mut Text) -> Result {
        for net in self.0.networks()? {
            let (mask, explicit) = net.cpu_mask()?;
            writeln!(
                t,
                "network_{} cpus {} {} avoid_cpu0 {}",
                net.id(),
                mask,
                if explicit { "cpus" } else { "default" },
                u8::from(net.avoids_cpu0())
            )
            .map_err(|_| ENOMEM)?;
            for (cpu, c) in (0u32..).zip(net.cpu_counts()) {
                let (p, k) = (c.predictions.load(Relaxed), c.chunks.load(Relaxed));
                // Read once: the line's presence and its `offline` agree.
                let online = topology::cpu_online(cpu);
                if p == 0 && k == 0 && !online {
                    continue;
                }
                let state = if online { "" } else { " offline" };
                writeln!(t, "  cpu {cpu} predictions {p} chunks {k}{state}").map_err(|_| ENOMEM)?;
            }
        }
        Ok(())
    }
}

/// `numa_stats`.
#[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
pub(crate) struct NumaStats(pub(crate) Arc<Registry>);

#[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
impl Report for NumaStats {
    fn write(&self, t: &mut Text) -> Result {
        let report = crate::numa::stats::Report {
            stats: self.0.numa(),
            networks: self.0.count(),
        };
        write!(t, "{report}").map_err(|_| ENOMEM)
    }
}

/// `network_<id>/config`.
pub(crate) struct Config(pub(crate) Arc<Network>);

fn write_where(t: &mut Text, w: Where) -> core::fmt::Result {
    match w {
        Where::Anywhere => write!(t, "any"),
        Where::Prefer(n) => write!(t, "{}", n.id()),
        Where::Only(n) => write!(t, "only {}", n.id()),
        Where::Fallback(n) => write!(t, "{} or nearest", n.id()),
        Where::Within { nodes, .. } => write!(t, "only {nodes}"),
        Where::Pages { nodes, .. } => write!(t, "pages {nodes}"),
    }
}

impl Report for Config {
    fn write(&self, t: &mut Text) -> Result {
        let net = &self.0;
        // One placement throughout, even if a re-placement is published meanwhile.
        let placed = net.placed();
        let mut w = || -> core::fmt::Result {
            writeln!(t, "id: {}", net.id())?;
            match net.origin() {
                Origin::Loaded { crc } => writeln!(t, "origin: loaded crc32 {crc:#010x}")?,
                Origin::Created { seed } => writeln!(t, "origin: created seed {seed}")?,
            }
            // The module that made it through the exported API, else this one.
            writeln!(
                t,
                "owner: {}",
                net.owner().name().unwrap_or("neural_network")
            )?;
            let place = placed.placement();
            writeln!(t, "policy: {}", place.policy.name())?;
            match place.node {
                Some(n) => writeln!(t, "node: {}", n.id())?,
                None => writeln!(t, "node: none")?,
            }
            writeln!(t, "nodes: {}", place.nodes)?;
            writeln!(t, "input: {} frac {}", net.input_dim(), net.input_frac())?;
            writeln!(t, "output: {} frac {}", net.output_dim(), net.output_frac())?;
            Ok(())
        };
        w().map_err(|_| ENOMEM)?;
        let (mask, explicit) = net.cpu_mask()?;
        writeln!(
            t,
            "cpus: {} {}",
            mask,
            if explicit { "cpus" } else { "default" }
        )
        .and_then(|()| writeln!(t, "avoid_cpu0: {}", u8::from(net.avoids_cpu0())))
        .and_then(|()| {
            let how = if net.cache_timeout_set() {
                "set"
            } else {
                "neural_cache_timeout_ms"
            };
            writeln!(t, "cache_timeout: {} ms ({how})", net.cache_timeout_ms())
        })
        .and_then(|()| writeln!(t, "simd: {}", u8::from(net.simd_allowed())))
        .map_err(|_| ENOMEM)?;
        let mut n = 0;
        placed.for_each_layer(|_, _| {
            n += 1;
            Ok(())
        })?;
        writeln!(t, "layers: {n}")
            .and_then(|()| writeln!(t, "bytes: {}", net.bytes()))
            .map_err(|_| ENOMEM)?;
        placed.for_each_layer(|i, l| {
            write!(
                t,
                "layer {}: {} -> {} {} out_frac {} mult {} shift {} bytes {} node ",
                i,
                l.inputs,
                l.outputs,
                l.activation.name(),
                l.out_frac,
                l.requant.mult(),
                l.requant.shift(),
                l.bytes()
            )
            .and_then(|()| match l.node() {
                Some(n) => write!(t, "{}", n.id()),
                None => write!(t, "none"),
            })
            .and_then(|()| write!(t, " wanted "))
            .and_then(|()| write_where(t, l.wanted))
            .and_then(|()| match l.train_bytes() {
                0 => Ok(()),
                b => write!(t, " train_bytes {b}"),
            })
            // The 8-bit formats only: a 16x16 layer's line is version 1's.
            .and_then(|()| match l.format {
                Format::F16x16 => Ok(()),
                f => write!(t, " format {}", f.name()),
            })
            .and_then(|()| match l.format {
                Format::F8x8 => write!(t, " in_shift {}", l.in_shift),
                _ => Ok(()),
            })
            .and_then(|()| writeln!(t))
            .map_err(|_| ENOMEM)
        })
    }
}

/// `network_<id>/stats`.
pub(crate) struct Stats(pub(crate) Arc<Network>);

impl Report for Stats {
    fn write(&self, t: &mut Text) -> Result {
        let s = &self.0.stats;
        writeln!(t, "predictions: {}", s.predictions.load(Relaxed))
            .and_then(|()| writeln!(t, "batches: {}", s.batches.load(Relaxed)))
            .and_then(|()| writeln!(t, "train_steps: {}", s.train_steps.load(Relaxed)))
            .and_then(|()| writeln!(t, "last_loss_q30: {}", s.last_loss.load(Relaxed)))
            .and_then(|()| writeln!(t, "inputs_clipped: {}", s.inputs_clipped.load(Relaxed)))
            .and_then(|()| writeln!(t, "local: {}", s.local.load(Relaxed)))
            .and_then(|()| writeln!(t, "cross_node: {}", s.cross_node.load(Relaxed)))
            .and_then(|()| writeln!(t, "migrations: {}", s.migrations.load(Relaxed)))
            .and_then(|()| writeln!(t, "migrated_bytes: {}", s.migrated_bytes.load(Relaxed)))
            .and_then(|()| {
                writeln!(
                    t,
                    "migration_failures: {}",
                    s.migration_failures.load(Relaxed)
                )
            })
            .and_then(|()| writeln!(t, "replacements: {}", s.replacements.load(Relaxed)))
            .map_err(|_| ENOMEM)?;
        let get = |a: &core::sync::atomic::AtomicU64| a.load(core::sync::atomic::Ordering::Relaxed);
        let predictions = s.predictions.load(Relaxed);
        let total = get(&s.infer_ns);
        let c = &s.cache;
        let usage = self.0.cache_usage();
        let mut w = || -> core::fmt::Result {
            writeln!(t, "infer_ns_total: {total}")?;
            writeln!(
                t,
                "infer_ns_avg: {}",
                total.checked_div(predictions).unwrap_or(0)
            )?;
            writeln!(t, "infer_ns_max: {}", get(&s.infer_ns_max))?;
            writeln!(t, "simd_layers: {}", get(&s.simd_layers))?;
            writeln!(t, "scalar_layers: {}", get(&s.scalar_layers))?;
            writeln!(t, "atomic_predictions: {}", get(&s.atomic))?;
            writeln!(t, "atomic_eagain: {}", get(&s.atomic_again))?;
            writeln!(t, "cache_hits: {}", get(&c.hits))?;
            writeln!(t, "cache_misses: {}", get(&c.misses))?;
            writeln!(t, "cache_evictions: {}", get(&c.evictions))?;
            writeln!(t, "cache_invalidated: {}", get(&c.invalidated))?;
            writeln!(t, "cache_entries: {} of {}", usage.used, usage.capacity)?;
            writeln!(t, "cache_bytes: {}", usage.bytes)?;
            match usage.node {
                Some(n) => writeln!(t, "cache_node: {}", n.id()),
                None => writeln!(t, "cache_node: none"),
            }
        };
        w().map_err(|_| ENOMEM)?;
        let placed = self.0.placed();
        if let Some(reads) = placed.copy_reads() {
            let mut first = true;
            write!(t, "copy_reads: ").map_err(|_| ENOMEM)?;
            for (node, n) in reads {
                let sep = if first { "" } else { "," };
                first = false;
                write!(t, "{sep}{}:{n}", node.id()).map_err(|_| ENOMEM)?;
            }
            writeln!(t).map_err(|_| ENOMEM)?;
        }
        Ok(())
    }
}
