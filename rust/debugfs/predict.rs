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
//! Then the rows run, by the batch engine ([`crate::network::rounds`]). A write of one
//! row runs it on the writer's CPU. A write of more rows is a batch: its rows run in
//! chunks, each by a work item on a CPU of the network's mask (`network/affinity.rs`;
//! up to [`rounds::MAX_BATCH_CPUS`] of them at once, a chunk each, while the writer
//! waits), or on the writer's CPU if no CPU of the mask is online. The chunks of one
//! round hold at most [`rounds::CHUNK_VALUES`] input and as many output values in all
//! (at least a row each), and each about [`crate::sched::WORK_PER_CHECK`]
//! multiply-accumulates at most: the memory a write allocates besides its own text and
//! its results is those chunk buffers, whatever its row count. Between rounds the
//! writer yields the CPU and stops with `-EINTR` on a fatal signal. The results are
//! appended to the open file's only when all rows ran (and `predictions`, `batches` and
//! `inputs_clipped` count them only then): an interrupted write, or one whose results
//! pass [`MAX_RESULTS`] after all, keeps nothing.
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
    read_input,
    read_snapshot,
    Lines,
    Text, //
};
use crate::network::rounds::{
    self,
    Rows, //
};
use crate::network::Network;
use crate::params;
use crate::pure::decimal::{
    self,
    Clipped,
    DecimalError, //
};
use crate::pure::lines::numbered_lines;
use crate::pure::num::usize_as_u64;
use crate::sched::Budget;

/// The most bytes one `write()` or one unfinished line may have.
const MAX_INPUT: usize = 16 << 20;
/// The most bytes of results an open file keeps.
const MAX_RESULTS: usize = 64 << 20;
/// A write's rows, for the batch engine: its checked lines, parsed a round at a time
/// into buffers of one round, their outputs appended to the open file's results.
struct Source<'a, I> {
    net: &'a Network,
    /// The write's rows.
    rows: usize,
    lines: I,
    strict: bool,
    inputs: KVVec<i16>,
    outputs: KVVec<i16>,
    own: &'a mut Text,
}

impl<'t, I: Iterator<Item = (usize, &'t [u8])>> Rows for Source<'_, I> {
    fn round(&mut self, _done: usize, n: usize) -> Result<(&[i16], &mut [i16])> {
        let (dim, out_dim) = (self.net.input_dim(), self.net.output_dim());
        let x = self.inputs.get_mut(..n * dim).ok_or(EINVAL)?;
        let mut parsed = 0;
        for (row, (_, line)) in x.chunks_mut(dim).zip(self.lines.by_ref()) {
            // Checked before: the same text gives the same numbers.
            parse(line, self.net.input_frac(), row, self.strict).map_err(|_| EINVAL)?;
            parsed += 1;
        }
        if parsed != n {
            return Err(EINVAL);
        }
        let y = self.outputs.get_mut(..n * out_dim).ok_or(EINVAL)?;
        Ok((x, y))
    }

    fn ran(&mut self, _done: usize, n: usize) -> Result {
        let out_dim = self.net.output_dim();
        let ys = self.outputs.get(..n * out_dim).ok_or(EINVAL)?;
        for y in ys.chunks(out_dim) {
            decimal::write_outputs(self.own, y, self.net.output_frac()).map_err(|_| ENOMEM)?;
        }
        if self.own.len() > MAX_RESULTS {
            return Err(too_big(self.net, self.rows));
        }
        Ok(())
    }

    fn interrupted(&self, done: usize, rows: usize) -> Error {
        interrupted(self.net, done, rows)
    }
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
            budget.tick(usize_as_u64(line.len())).inspect_err(|_| {
                pr_info!(
                    "network_{}: predict: interrupted by a fatal signal at line {}, before any row ran; nothing kept\n",
                    net.id(),
                    lineno
                );
            })?;
            let c = Self::check(net, lineno, line, &mut row, strict)?;
            if c.clipped > 0 {
                clipped += usize_as_u64(c.clipped);
                first_clip.get_or_insert(lineno);
            }
        }

        // In chunks of rows, into buffers whose size does not depend on the row count:
        // one chunk per CPU of the batch and round.
        let mut plan = rounds::Plan::new(net, rows)?;
        plan.limit_values(dim.max(out_dim));
        let round = plan.round_rows();
        let kept = own.len();
        let mut src = Source {
            net,
            rows,
            lines,
            strict,
            inputs: KVVec::from_elem(0i16, round * dim, GFP_KERNEL)?,
            outputs: KVVec::from_elem(0i16, round * out_dim, GFP_KERNEL)?,
            own,
        };
        if let Err(e) = rounds::run(net, rows, &plan, &mut src) {
            src.own.truncate(kept);
            return Err(e);
        }
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
