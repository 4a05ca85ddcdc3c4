// SPDX-License-Identifier: GPL-2.0

//! A `struct neural_batch *`: staging buffers for a network's input and output vectors,
//! placed on a node, and a run of them spread over the CPUs of the network's mask.
//!
//! A batch holds its network (an [`Arc`]) and, through `api_helper.c`, a reference on
//! the module, so that it outlives neither. Its buffers ([`NodeVec`]s of
//! `max_rows` vectors, at most [`MAX_ROWS`]) are allocated once, at creation; a call
//! copies the caller's vectors in, runs them in chunks on the CPUs of the network's
//! mask ([`sched::run_on_cpus`], as a `predict` write of several rows does,
//! [`chunk_plan`]: a chunk per CPU a round, each of about [`sched::WORK_PER_CHECK`]
//! multiply-accumulates at most, the caller yielding and checking for a fatal signal
//! between rounds), counts them once, and copies the outputs out. A single vector runs
//! on the caller's CPU.
//!
//! # Locking
//!
//! The batch's mutex (`staging`) is held for the whole of a call, waiting for its
//! chunks: it sits where an open debugfs file's state mutex does in the module's lock
//! order ([`crate::registry`], "Lock order"), outermost, and nothing the chunks take is
//! above it.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex, //
};

use crate::debugfs::chunk_plan;
use crate::network::{
    Network,
    Tally, //
};
use crate::numa::mem::{
    NodeVec,
    Where, //
};
use crate::numa::topology::NodeId;
use crate::sched::{
    self,
    Budget, //
};

/// The most input vectors a batch takes (`NEURAL_BATCH_MAX_INPUTS`): with vectors of at
/// most 4096 values, its two buffers hold at most 16 MiB, the most one `predict` write
/// takes.
pub(super) const MAX_ROWS: usize = 1024;

/// A batch's buffers.
struct Staging {
    inputs: NodeVec<i16>,
    outputs: NodeVec<i16>,
}

/// What a `struct neural_batch *` points to.
#[pin_data]
pub(super) struct Batch {
    net: Arc<Network>,
    max_rows: usize,
    /// The buffers, and the right to use them: one call at a time.
    #[pin]
    staging: Mutex<Staging>,
}

/// One chunk of a call: its rows' inputs and outputs in the buffers, where it ran, how
/// it ended.
struct Job<'a> {
    inputs: &'a [i16],
    outputs: &'a mut [i16],
    tally: &'a mut Tally,
    result: Result,
}

/// Runs `job`'s rows on this CPU, uncounted.
fn run_job(net: &Network, job: &mut Job<'_>) {
    job.result = net
        .predict_uncounted(job.inputs, job.outputs, job.tally)
        .map(|_| ());
}

impl Batch {
    /// A batch of `max_rows` (1 to [`MAX_ROWS`]) vectors of `net`, its buffers where
    /// `place` says.
    ///
    /// # Errors
    ///
    /// `EINVAL` for `max_rows` out of range, `ENOMEM`.
    pub(super) fn new(net: Arc<Network>, max_rows: usize, place: Where) -> Result<Arc<Self>> {
        if max_rows == 0 || max_rows > MAX_ROWS {
            return Err(EINVAL);
        }
        let n_in = max_rows.checked_mul(net.input_dim()).ok_or(EINVAL)?;
        let n_out = max_rows.checked_mul(net.output_dim()).ok_or(EINVAL)?;
        let staging = Staging {
            inputs: NodeVec::zeroed(n_in, place)?,
            outputs: NodeVec::zeroed(n_out, place)?,
        };
        Arc::pin_init(
            try_pin_init!(Self {
                net,
                max_rows,
                staging <- new_mutex!(staging, "neural_network:batch"),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Where a batch's buffers go: on `node` (preferred), else on the network's node
    /// `home`, else anywhere.
    pub(super) fn place(node: Option<NodeId>, home: Option<NodeId>) -> Where {
        node.or(home).map_or(Where::Anywhere, Where::Prefer)
    }

    /// Runs `input` (`n` vectors, 1 to the batch's `max_rows`) into `output` (`n` output
    /// vectors), through the buffers, spread over the network's CPUs; counted once.
    ///
    /// # Errors
    ///
    /// `EINVAL` for lengths that do not fit, `ENOMEM`, `EINTR` (a fatal signal between
    /// rounds): then nothing is written to `output` and nothing counted.
    pub(super) fn process(&self, input: &[i16], output: &mut [i16]) -> Result {
        let net = &*self.net;
        let (din, dout) = (net.input_dim(), net.output_dim());
        let rows = input.len().checked_div(din).ok_or(EINVAL)?;
        if rows == 0
            || rows > self.max_rows
            || rows.checked_mul(din) != Some(input.len())
            || rows.checked_mul(dout) != Some(output.len())
        {
            return Err(EINVAL);
        }
        let mut guard = self.staging.lock();
        let Staging { inputs, outputs } = &mut *guard;
        let x = inputs.get_mut(..input.len()).ok_or(EINVAL)?;
        let y = outputs.get_mut(..output.len()).ok_or(EINVAL)?;
        x.copy_from_slice(input);

        let (cpus, per_chunk) = chunk_plan(net, rows)?;
        let parallel = cpus.len().max(1);
        let work = net.work_per_row().max(1);
        // One tally per CPU of the call, over its rounds.
        let mut tallies = KVec::with_capacity(parallel, GFP_KERNEL)?;
        for _ in 0..parallel {
            let tally = Tally::for_request(rows, !cpus.is_empty());
            tallies.push(tally, GFP_KERNEL)?;
        }
        let mut budget = Budget::new();
        let mut done = 0;
        while done < rows {
            // A round: the rows left, spread evenly over the CPUs.
            let each = (rows - done).div_ceil(parallel).min(per_chunk);
            let (xs, ys) = (
                x.get(done * din..).ok_or(EINVAL)?,
                y.get_mut(done * dout..).ok_or(EINVAL)?,
            );
            let mut jobs = KVec::with_capacity(parallel, GFP_KERNEL)?;
            let chunks = xs.chunks(each * din).zip(ys.chunks_mut(each * dout));
            for ((k, tally), (inputs, outputs)) in tallies.iter_mut().enumerate().zip(chunks) {
                let job = Job {
                    inputs,
                    outputs,
                    tally,
                    result: Ok(()),
                };
                jobs.push((cpus.get(k).copied().unwrap_or(0), job), GFP_KERNEL)?;
            }
            if cpus.is_empty() {
                for (_, job) in jobs.iter_mut() {
                    run_job(net, job);
                }
            } else {
                sched::run_on_cpus(&mut jobs, &|job: &mut Job<'_>| run_job(net, job))?;
            }
            for (_, job) in jobs.iter() {
                job.result?;
            }
            // Every chunk of `each` rows but the last, which has the rest.
            let k = (rows - done).min(each * jobs.len());
            done += k;
            if done < rows {
                budget.tick(k as u64 * work)?;
            }
        }
        net.count(rows, 1, tallies.iter());
        output.copy_from_slice(y);
        Ok(())
    }
}
