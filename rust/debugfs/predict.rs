// SPDX-License-Identifier: GPL-2.0

//! `network_<id>/predict`: write input vectors as text, read the outputs as text.
//!
//! Writing: one input vector per line, decimal numbers separated by spaces or tabs
//! (`0.5 -1.25 3 0`), converted exactly to the network's input Q-format by
//! `decimal::parse_line_clipping` (integer arithmetic, round half up). A number beyond the
//! format's range saturates to its nearest end, as a quantized engine's input does; the
//! network's `inputs_clipped` counter counts such numbers, and the first one of each
//! network is logged. With the module parameter `neural_strict_input=1` such a number is
//! refused instead (`decimal::parse_line`). Blank lines are skipped. A line may be split
//! across `write()`s: the part after the last newline waits for the next write, or for
//! `close()` (as ftrace's filter files do).
//!
//! A write is all or nothing, and at most [`MAX_INPUT`] bytes (`-EFBIG` beyond). First
//! the results' size is bounded: each row's text takes at least `2 * outputs + 8` bytes,
//! and an open file keeps at most [`MAX_RESULTS`] of them, so a write whose rows cannot
//! fit fails with `-EFBIG` and a reason before its lines are even read. Then every
//! complete line is checked: a wrong count of numbers or a number that does not parse
//! (or, in strict mode, does not fit) fails the whole `write()` with `-EINVAL`, names the
//! line and the reason in the kernel log, and changes nothing.
//!
//! Then the rows run. A write of one row runs it on the writer's CPU. A write of more
//! rows is a batch: its rows run in chunks, each by a work item on a CPU of the network's
//! mask (`network/affinity.rs`; up to [`MAX_BATCH_CPUS`] of them at once, a chunk each,
//! while the writer waits), or on the writer's CPU if no CPU of the mask is online. The
//! chunks of one round hold at most [`CHUNK_VALUES`] input and as many output values in
//! all (at least a row each), and each about [`sched::WORK_PER_CHECK`]
//! multiply-accumulates at most: the only memory a write allocates besides its own text
//! and its results is those chunk buffers, whatever its row count. Between rounds the
//! writer yields the CPU and stops with `-EINTR` on a fatal signal. The results are appended to the open file's only when all
//! rows ran (and `predictions`, `batches` and `inputs_clipped` count them only then): an
//! interrupted write, or one whose results pass [`MAX_RESULTS`] after all, keeps nothing.
//!
//! Reading: one line per input, in order, the outputs as exact decimals then
//! ` class <k>`, the arg-max (`decimal::write_outputs`), e.g. `0.25 -0.5 0.75 class 2`.
//! An open file that has written reads its own results (`exec 3<>predict`, write to and
//! read from fd 3: concurrent users do not see each other's); any other open file reads
//! the results of the last writer to close.

use kernel::fs::file::Offset;
use kernel::prelude::*;
use kernel::sync::{
    atomic::Relaxed,
    Arc,
    ArcBorrow, //
};
use kernel::uaccess::{
    UserSliceReader,
    UserSliceWriter, //
};

use super::file::DebugFile;
use super::network_file::NetworkFile;
use super::text::{
    numbered_lines,
    read_input,
    read_snapshot,
    Lines,
    Text, //
};
use crate::network::{
    Network,
    Tally, //
};
use crate::params;
use crate::pure::decimal::{
    self,
    Clipped,
    DecimalError, //
};
use crate::sched::{
    self,
    Budget, //
};

/// Runs `job`'s rows on this CPU.
fn run_chunk(net: &Network, job: &mut Chunk) {
    let (dim, out_dim) = (net.input_dim(), net.output_dim());
    let (x, y) = (
        &job.inputs[..job.rows * dim],
        &mut job.outputs[..job.rows * out_dim],
    );
    job.result = net.predict_uncounted(x, y, &mut job.tally).map(|_| ());
}

/// The most bytes one `write()` or one unfinished line may have.
const MAX_INPUT: usize = 16 << 20;
/// The most bytes of results an open file keeps.
const MAX_RESULTS: usize = 64 << 20;
/// The most input values, and the most output values, of one chunk of rows (32 KiB each:
/// at least 4 rows of the widest layer, 4096).
const CHUNK_VALUES: usize = 16 << 10;
/// The most CPUs one batch runs on at once.
const MAX_BATCH_CPUS: usize = 8;

/// How a request of `rows` rows of `net` runs (a `predict` write's, and an API batch's):
/// the CPUs of the network's mask its chunks run on, up to [`MAX_BATCH_CPUS`] at once
/// (none for a single row, or if no CPU of the mask is online: the caller's CPU), and
/// the most rows a chunk may have by its work (about [`sched::WORK_PER_CHECK`]
/// multiply-accumulates, at least one row).
///
/// # Errors
///
/// `ENOMEM`.
pub(crate) fn chunk_plan(net: &Network, rows: usize) -> Result<(KVec<u32>, usize)> {
    let cpus = if rows > 1 {
        net.batch_cpus(MAX_BATCH_CPUS)?
    } else {
        KVec::new()
    };
    let work = net.work_per_row().max(1);
    let by_work = usize::try_from(sched::WORK_PER_CHECK / work).unwrap_or(usize::MAX);
    Ok((cpus, by_work.max(1)))
}

/// One chunk of a batch: its rows' inputs and outputs, where it ran, how it ended.
struct Chunk {
    inputs: KVVec<i16>,
    outputs: KVVec<i16>,
    rows: usize,
    tally: Tally,
    result: Result,
}

/// The file's data: the network and the results of the last writer.
pub(crate) type PredictFile = NetworkFile<Text>;

/// Reads one line at the network's input format: saturating, or in strict mode refusing,
/// numbers beyond it.
fn parse(line: &[u8], frac: u8, out: &mut [i16], strict: bool) -> Result<Clipped, DecimalError> {
    if strict {
        decimal::parse_line(line, frac, out).map(|count| Clipped { count, clipped: 0 })
    } else {
        decimal::parse_line_clipping(line, frac, out)
    }
}

/// Logs a fatal signal's interruption; `EINTR`.
fn interrupted(net: &Network, done: usize, rows: usize) -> Error {
    pr_info!(
        "network_{}: predict: interrupted by a fatal signal after {} of {} rows; nothing kept\n",
        net.id(),
        done,
        rows
    );
    EINTR
}

/// Logs results too large for an open file; `EFBIG`.
fn too_big(net: &Network, rows: usize) -> Error {
    pr_err!(
        "network_{}: predict: the results of {} rows would pass the {} MiB an open file keeps: write them through another open file, or in smaller writes\n",
        net.id(),
        rows,
        MAX_RESULTS >> 20
    );
    EFBIG
}

impl PredictFile {
    /// Checks one complete line; logs the reason and returns `EINVAL` if it is bad.
    fn check(
        net: &Network,
        lineno: usize,
        line: &[u8],
        row: &mut [i16],
        strict: bool,
    ) -> Result<Clipped> {
        let dim = net.input_dim();
        match parse(line, net.input_frac(), row, strict) {
            Ok(c) if c.count == dim => Ok(c),
            Ok(c) => {
                pr_err!(
                    "network_{}: predict: line {}: {} numbers, the network takes {}\n",
                    net.id(),
                    lineno,
                    c.count,
                    dim
                );
                Err(EINVAL)
            }
            Err(DecimalError::OutOfRange) => {
                pr_err!(
                    "network_{}: predict: line {}: number out of range for the input format Q{}.{} (neural_strict_input=1 refuses it)\n",
                    net.id(),
                    lineno,
                    15 - net.input_frac(),
                    net.input_frac()
                );
                Err(EINVAL)
            }
            Err(e) => {
                pr_err!(
                    "network_{}: predict: line {}: {} (expected {} numbers)\n",
                    net.id(),
                    lineno,
                    e.reason(),
                    dim
                );
                Err(EINVAL)
            }
        }
    }

    /// Runs complete `lines` (ending in a newline or at close); appends their results to
    /// `own`, or changes nothing on error.
    fn run(&self, lines: &[u8], first_line: usize, own: &mut Text) -> Result<usize> {
        let net = &self.net;
        let (dim, out_dim) = (net.input_dim(), net.output_dim());
        let strict = params::strict_input();
        let lines = numbered_lines(lines, first_line);
        let mut budget = Budget::new();

        // The shortest text of a row: one character per output, a space between outputs,
        // " class K\n". A write whose rows cannot fit is refused before they are read.
        let rows = lines.clone().count();
        if rows == 0 {
            return Ok(0);
        }
        let row_text = 2 * out_dim + 8;
        let room = MAX_RESULTS.saturating_sub(own.len());
        if rows.checked_mul(row_text).is_none_or(|b| b > room) {
            return Err(too_big(net, rows));
        }

        // Every line is checked before any runs; nothing is kept of this pass but counts
        // (its budget counts bytes of text as work).
        let mut row = KVVec::from_elem(0i16, dim, GFP_KERNEL)?;
        let (mut clipped, mut first_clip) = (0u64, None);
        for (lineno, line) in lines.clone() {
            budget.tick(line.len() as u64).inspect_err(|_| {
                pr_info!(
                    "network_{}: predict: interrupted by a fatal signal at line {}, before any row ran; nothing kept\n",
                    net.id(),
                    lineno
                );
            })?;
            let c = Self::check(net, lineno, line, &mut row, strict)?;
            if c.clipped > 0 {
                clipped += c.clipped as u64;
                first_clip.get_or_insert(lineno);
            }
        }

        // In chunks of rows, into buffers whose size does not depend on the row count:
        // one chunk per CPU of the batch and round.
        let (cpus, by_work) = chunk_plan(net, rows)?;
        let parallel = cpus.len().max(1);
        let work = net.work_per_row().max(1);
        let per_chunk = (CHUNK_VALUES / parallel / dim.max(out_dim))
            .min(by_work)
            .max(1);
        let mut jobs = KVec::with_capacity(parallel, GFP_KERNEL)?;
        for k in 0..parallel {
            jobs.push(
                (
                    cpus.get(k).copied().unwrap_or(0),
                    Chunk {
                        inputs: KVVec::from_elem(0i16, per_chunk * dim, GFP_KERNEL)?,
                        outputs: KVVec::from_elem(0i16, per_chunk * out_dim, GFP_KERNEL)?,
                        rows: 0,
                        tally: Tally::for_request(rows, !cpus.is_empty()),
                        result: Ok(()),
                    },
                ),
                GFP_KERNEL,
            )?;
        }
        let kept = own.len();
        let result = (|| -> Result {
            let mut lines = lines;
            let mut done = 0;
            while done < rows {
                // A round: the rows left, spread evenly over the chunks.
                let each = (rows - done).div_ceil(parallel).min(per_chunk);
                let mut used = 0;
                for (_, job) in jobs.iter_mut() {
                    job.rows = 0;
                    for (x, (_, line)) in job.inputs.chunks_mut(dim).take(each).zip(lines.by_ref())
                    {
                        // Checked above: the same text gives the same numbers.
                        parse(line, net.input_frac(), x, strict).map_err(|_| EINVAL)?;
                        job.rows += 1;
                    }
                    if job.rows == 0 {
                        break;
                    }
                    used += 1;
                }
                if used == 0 {
                    return Err(EINVAL);
                }
                if cpus.is_empty() {
                    run_chunk(net, &mut jobs[0].1);
                } else {
                    sched::run_on_cpus(&mut jobs[..used], &|job: &mut Chunk| run_chunk(net, job))?;
                }
                let mut k = 0;
                for (_, job) in jobs[..used].iter() {
                    job.result?;
                    for y in job.outputs[..job.rows * out_dim].chunks(out_dim) {
                        decimal::write_outputs(own, y, net.output_frac()).map_err(|_| ENOMEM)?;
                    }
                    k += job.rows;
                }
                if own.len() > MAX_RESULTS {
                    return Err(too_big(net, rows));
                }
                done += k;
                if done < rows {
                    budget
                        .tick(k as u64 * work)
                        .map_err(|_| interrupted(net, done, rows))?;
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            own.truncate(kept);
            return Err(e);
        }
        net.count(rows, 1, jobs.iter().map(|(_, job)| &job.tally));
        if clipped > 0 {
            net.stats.inputs_clipped.fetch_add(clipped, Relaxed);
            if !net.stats.clip_logged.xchg(true, Relaxed) {
                pr_warn!(
                    "network_{}: predict: line {}: an input beyond the input format Q{}.{} saturated to its nearest end; further ones are only counted (stats: inputs_clipped)\n",
                    net.id(),
                    first_clip.unwrap_or(0),
                    15 - net.input_frac(),
                    net.input_frac()
                );
            }
        }
        Ok(rows)
    }
}

/// An open `predict` file.
pub(crate) struct PredictState {
    file: Arc<PredictFile>,
    /// The text written so far, by lines.
    lines: Lines,
    /// The results of this open file's writes.
    own: Text,
    /// Whether this open file has produced results.
    wrote: bool,
    /// The last writer's results, as of this file's first read.
    text: Option<Text>,
}

impl DebugFile for PredictFile {
    type State = PredictState;
    const READ: bool = true;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<PredictState> {
        Ok(PredictState {
            file: this.into(),
            lines: Lines::new(),
            own: Text::new(),
            wrote: false,
            text: None,
        })
    }

    fn write(state: &mut PredictState, input: UserSliceReader, len: usize) -> Result<usize> {
        let bytes = read_input(input, len, MAX_INPUT).inspect_err(|&e| {
            if e == EFBIG {
                pr_err!(
                    "network_{}: predict: a write of {} bytes passes the {} MiB limit\n",
                    state.file.net.id(),
                    len,
                    MAX_INPUT >> 20
                );
            }
        })?;
        let taken = state.lines.take(&bytes, MAX_INPUT).inspect_err(|_| {
            pr_err!(
                "network_{}: predict: more than {} MiB without a newline\n",
                state.file.net.id(),
                MAX_INPUT >> 20
            );
        })?;
        let rows = state
            .file
            .run(&taken.lines, taken.first_line, &mut state.own)?;
        state.wrote |= rows > 0;
        state.lines.commit(taken);
        Ok(len)
    }

    fn read(
        state: &mut PredictState,
        out: &mut UserSliceWriter,
        pos: &mut Offset,
    ) -> Result<usize> {
        if state.wrote {
            return state.own.read(out, pos);
        }
        let file = &state.file;
        read_snapshot(&mut state.text, out, pos, |t| {
            t.push_bytes(file.last.lock().as_bytes())
        })
    }

    fn release(mut state: PredictState) {
        if let Some((line, n)) = state.lines.last() {
            // The last line had no newline: run it now; errors can only be logged.
            if let Ok(rows) = state.file.run(line, n, &mut state.own) {
                state.wrote |= rows > 0;
            }
        }
        if state.wrote {
            // This writer is now the last: its results are what others read.
            core::mem::swap(&mut *state.file.last.lock(), &mut state.own);
        }
    }
}
