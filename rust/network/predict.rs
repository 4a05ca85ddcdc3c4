// SPDX-License-Identifier: GPL-2.0

//! The predict paths of a network: a batch in this CPU's scratch
//! ([`Network::predict_batch`]; [`Network::predict_uncounted`] for the pieces of one
//! request), in scratch the caller brings ([`Network::predict_with`]), one input without
//! sleeping ([`Network::predict_atomic`]); each layer by the vector kernel or the scalar
//! path, as the gate and this network's `simd` setting decide ([`Network::run`]).
//!
//! None of them allocates, with one exception: a prediction of one input that may sleep
//! ([`Network::predict_uncounted`] on a request of one row) that finds the cache on and
//! no table in the cache of the layers in force makes the table
//! ([`Cache::ensure`](super::cache::Cache::ensure)): the first such prediction after the
//! network was created or re-placed (new layers come with a cache without a table), after
//! `cache_timeout 0` freed the table ([`Network::set_cache_timeout`]), or after an earlier
//! try ran out of memory. Atomic predictions and [`Network::predict_with`] never
//! allocate.

use core::sync::atomic::Ordering;

use kernel::cpu::CpuId;
use kernel::prelude::*;

use super::atomic::NoPreempt;
use super::cache::now_ns;
use super::layer::LayerBox;
use super::placed::Placed;
use super::stats::{
    LayerRuns,
    Tally, //
};
use super::Network;
use crate::numa::mem;
use crate::pure::batch;
use crate::pure::num::{u32_as_usize, usize_as_u64};
use crate::simd::Section;

impl Network {
    /// Predicts a batch: `inputs` holds `n` vectors of `input_dim` values, `outputs`
    /// receives `n` vectors of `output_dim`. Uses this CPU's scratch; allocates nothing
    /// but, for one input with the cache on, the cache's table if it has none yet (see
    /// the module's comment).
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

    /// As [`Network::predict_batch`], without counting in [`Stats`](super::stats::Stats):
    /// for a caller that runs one request in several pieces and counts it with
    /// [`Network::count`] only if all of it succeeds.
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
        let slot = placed.model.scratch.get(u32_as_usize(cpu)).ok_or(EINVAL)?;
        let mut scratch = slot.lock();
        self.run(
            &placed,
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
        tally.add_cpu(cpu, usize_as_u64(n));
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
                placed
                    .model
                    .atomic
                    .get(u32_as_usize(ctx.cpu()))
                    .and_then(|a| a.claim(&ctx)),
            ) else {
                self.stats.atomic_again.fetch_add(1, Ordering::Relaxed);
                return Err(EAGAIN);
            };
            // SAFETY: inside the atomic readers (`_reader`), which every writer of the
            // parameters closes, and waits for, before it changes anything.
            let params = unsafe { placed.params.get_unguarded() };
            self.run(
                &placed,
                &params.layers,
                1,
                input,
                output,
                scratch.buf(),
                copy,
            )
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

    /// As [`Network::predict_batch`], in scratch space supplied by the caller (at least
    /// [`Network::scratch_len`] values).
    ///
    /// # Errors
    ///
    /// `EINVAL` if a slice's length does not fit the network (nothing is written).
    // Only the KUnit suites call it: the exported API offers no variant with the caller's
    // scratch (`include/linux/neural_network.h`).
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn predict_with(
        &self,
        inputs: &[i16],
        outputs: &mut [i16],
        scratch: &mut [i16],
    ) -> Result<usize> {
        let n = self.batch_len(inputs, outputs)?;
        let placed = self.placed.read();
        if scratch.len() < placed.model.shape.scratch_len() {
            return Err(EINVAL);
        }
        let params = placed.params.read();
        let mut tally = Tally::default();
        let cpu = CpuId::current().as_u32();
        let copy = self.copy_here(&placed, n, &mut tally);
        self.run(
            &placed,
            &params.layers,
            batch::BLOCK,
            inputs,
            outputs,
            scratch,
            copy,
        )
        .map(|runs| tally.add_runs(runs))?;
        tally.add_cpu(cpu, usize_as_u64(n));
        drop(params);
        drop(placed);
        self.count(n, 1, [&tally]);
        Ok(n)
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

    fn batch_len(&self, inputs: &[i16], outputs: &[i16]) -> Result<usize> {
        let n = inputs.len() / self.input_dim;
        if n == 0 || inputs.len() % self.input_dim != 0 || outputs.len() != n * self.output_dim {
            return Err(EINVAL);
        }
        Ok(n)
    }

    /// The copy of the weights a prediction of `rows` rows reads from this CPU (0 unless
    /// replicated), with the rows put in `tally` as local or cross-node: cross-node when
    /// this CPU's node does not hold every page of the weights and biases of that copy
    /// (per network, and in `numa_stats` under this CPU's node, once counted).
    fn copy_here(&self, placed: &Placed, rows: usize, tally: &mut Tally) -> usize {
        let node = mem::current_node();
        let copy = placed.copy_for(node);
        tally.add(node, copy, usize_as_u64(rows), placed.is_local(copy, node));
        copy
    }

    /// Runs `inputs` through the layers (`layers`, of `placed`, whose model gives the
    /// shape) into `outputs` in blocks of at most `block`
    /// inputs (`pure::batch`), each layer by the path the gate picks: one [`Section`] (one
    /// FPU section, if any layer runs the vector kernel) for the whole call. Adds the
    /// layer runs of each path, for the caller's [`Tally`].
    #[expect(clippy::too_many_arguments)]
    fn run(
        &self,
        placed: &Placed,
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
            placed.model.shape,
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
