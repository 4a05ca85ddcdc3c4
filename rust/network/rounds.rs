// SPDX-License-Identifier: GPL-2.0

//! The batch engine: a request of several rows (a `predict` write's, an API batch's)
//! run in rounds over the CPUs of the network's mask, while the caller waits.
//!
//! [`Plan::new`] picks the CPUs (up to [`MAX_BATCH_CPUS`] of them; none for a single
//! row, or if no CPU of the mask is online: the caller's CPU) and the most rows a chunk
//! may have by its work (about [`sched::WORK_PER_CHECK`] multiply-accumulates, at least
//! one row); a caller that stages rows in buffers of its own bounds them too
//! ([`Plan::limit_values`], at most [`CHUNK_VALUES`] values a round). [`run`] then goes
//! round by round: the rows left, spread evenly over the CPUs, a chunk each, run by a
//! work item on that CPU ([`sched::run_on_cpus`]: a CPU of the plan that went offline
//! since has its chunk run on another online CPU of the plan, or by the caller if none
//! is online any more); between rounds the caller yields the
//! CPU and stops with `EINTR` on a fatal signal. The rows are counted once, when all
//! ran. Where a round's rows come from and where their outputs go is the caller's
//! ([`Rows`]).

use kernel::prelude::*;

use crate::network::{
    Network,
    Tally, //
};
use crate::sched::{
    self,
    Budget, //
};

/// The most input values, and the most output values, of one round of a caller that
/// stages its rows ([`Plan::limit_values`]; 32 KiB each: at least 4 rows of the widest
/// layer, 4096).
pub(crate) const CHUNK_VALUES: usize = 16 << 10;
/// The most CPUs one batch runs on at once.
pub(crate) const MAX_BATCH_CPUS: usize = 8;

/// How a request of some rows runs: on which CPUs, and in chunks of at most how many
/// rows.
pub(crate) struct Plan {
    /// The CPUs of the network's mask the chunks run on; empty: the caller's CPU.
    cpus: KVec<u32>,
    /// The most rows of a chunk.
    per_chunk: usize,
}

impl Plan {
    /// How a request of `rows` rows of `net` runs: the CPUs of the network's mask its
    /// chunks run on, up to [`MAX_BATCH_CPUS`] at once (none for a single row, or if no
    /// CPU of the mask is online: the caller's CPU), and the most rows a chunk may have by
    /// its work (about [`sched::WORK_PER_CHECK`] multiply-accumulates, at least one row).
    ///
    /// # Errors
    ///
    /// `ENOMEM`.
    pub(crate) fn new(net: &Network, rows: usize) -> Result<Self> {
        let cpus = if rows > 1 {
            net.batch_cpus(MAX_BATCH_CPUS)?
        } else {
            KVec::new()
        };
        let work = net.work_per_row().max(1);
        let by_work = usize::try_from(sched::WORK_PER_CHECK / work).unwrap_or(usize::MAX);
        Ok(Self {
            cpus,
            per_chunk: by_work.max(1),
        })
    }

    /// The chunks of a round: one per CPU, or one on the caller's CPU.
    pub(crate) fn parallel(&self) -> usize {
        self.cpus.len().max(1)
    }

    /// Bounds the chunks of a round to [`CHUNK_VALUES`] values in all, of rows of
    /// `width` values (the longer of an input and an output vector), at least a row each.
    pub(crate) fn limit_values(&mut self, width: usize) {
        self.per_chunk = (CHUNK_VALUES / self.parallel() / width.max(1))
            .min(self.per_chunk)
            .max(1);
    }

    /// The most rows of one round: what a caller's staging buffers hold.
    pub(crate) fn round_rows(&self) -> usize {
        self.parallel().saturating_mul(self.per_chunk)
    }
}

/// Where a request's rows come from and where their outputs go, round by round.
pub(crate) trait Rows {
    /// The inputs of rows `done..done + n` (`n` input vectors, at most
    /// [`Plan::round_rows`]) and room for their `n` output vectors.
    fn round(&mut self, done: usize, n: usize) -> Result<(&[i16], &mut [i16])>;

    /// Rows `done..done + n` ran: their outputs are where [`Rows::round`] gave room.
    fn ran(&mut self, _done: usize, _n: usize) -> Result {
        Ok(())
    }

    /// The error for a fatal signal after `done` of `rows` rows (the caller may log it).
    fn interrupted(&self, _done: usize, _rows: usize) -> Error {
        EINTR
    }
}

/// One chunk of a round: its rows' inputs and outputs, where it ran, how it ended.
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

/// Runs `rows` rows of `net` from `src` as `plan` says, round by round, and counts them
/// once, when all ran.
///
/// # Errors
///
/// `ENOMEM`, `EINTR` (a fatal signal between rounds: [`Rows::interrupted`]), or what
/// `src` or a chunk returned: then nothing is counted.
pub(crate) fn run(net: &Network, rows: usize, plan: &Plan, src: &mut impl Rows) -> Result {
    let (din, dout) = (net.input_dim(), net.output_dim());
    let cpus = &plan.cpus;
    let parallel = plan.parallel();
    let work = net.work_per_row().max(1);
    // One tally per CPU of the request, over its rounds.
    let mut tallies = KVec::with_capacity(parallel, GFP_KERNEL)?;
    for _ in 0..parallel {
        tallies.push(Tally::for_request(rows, !cpus.is_empty()), GFP_KERNEL)?;
    }
    let mut budget = Budget::new();
    let mut done = 0;
    while done < rows {
        // A round: the rows left, spread evenly over the CPUs.
        let each = (rows - done).div_ceil(parallel).min(plan.per_chunk);
        let n = (rows - done).min(each * parallel);
        let (xs, ys) = src.round(done, n)?;
        if xs.len() != n * din || ys.len() != n * dout {
            return Err(EINVAL);
        }
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
        drop(jobs);
        src.ran(done, n)?;
        done += n;
        if done < rows {
            budget
                .tick(u64::try_from(n).unwrap_or(u64::MAX).saturating_mul(work))
                .map_err(|_| src.interrupted(done, rows))?;
        }
    }
    net.count(rows, 1, tallies.iter());
    Ok(())
}
