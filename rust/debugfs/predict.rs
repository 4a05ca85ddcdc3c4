// SPDX-License-Identifier: GPL-2.0

//! `network_<id>/predict`: write input vectors as text, read the outputs as text.
//!
//! Writing: one input vector per line, decimal numbers separated by spaces or tabs
//! (`0.5 -1.25 3 0`), converted exactly to the network's input Q-format by
//! `decimal::parse_line` (integer arithmetic, round half up). Blank lines are skipped. A
//! line may be split across `write()`s: the part after the last newline waits for the
//! next write, or for `close()` (as ftrace's filter files do). All complete lines of a
//! write are checked before any is run: a wrong count of numbers, a number that does not
//! parse or does not fit the format fails the whole `write()` with `-EINVAL`, names the
//! line and the reason in the kernel log, and changes nothing.
//!
//! Reading: one line per input, in order, the outputs as exact decimals then
//! ` class <k>`, the arg-max (`decimal::write_outputs`), e.g. `0.25 -0.5 0.75 class 2`.
//! An open file that has written reads its own results (`exec 3<>predict`, write to and
//! read from fd 3: concurrent users do not see each other's); any other open file reads
//! the results of the last writer to close.

use kernel::fs::file::Offset;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    ArcBorrow, //
};
use kernel::uaccess::{
    UserSliceReader,
    UserSliceWriter, //
};

use super::file::{
    numbered_lines,
    read_input,
    read_snapshot,
    DebugFile,
    Lines,
    Text, //
};
use super::network_file::NetworkFile;
use crate::decimal;

/// The most bytes one `write()` or one unfinished line may have.
const MAX_INPUT: usize = 16 << 20;
/// The most bytes of results kept.
const MAX_RESULTS: usize = 64 << 20;

/// The file's data: the network and the results of the last writer.
pub(crate) type PredictFile = NetworkFile<Text>;

impl PredictFile {
    /// Runs complete `lines` (ending in a newline or at close); appends their results to
    /// `own`, or changes nothing on error.
    fn run(&self, lines: &[u8], first_line: usize, own: &mut Text) -> Result<usize> {
        let net = &self.net;
        let dim = net.input_dim();
        let lines = numbered_lines(lines, first_line);
        let rows = lines.clone().count();
        if rows == 0 {
            return Ok(0);
        }
        let mut inputs = KVVec::from_elem(0i16, rows * dim, GFP_KERNEL)?;
        for ((lineno, line), x) in lines.zip(inputs.chunks_mut(dim)) {
            match decimal::parse_line(line, net.input_frac(), x) {
                Ok(c) if c == dim => {}
                Ok(c) => {
                    pr_err!(
                        "network_{}: predict: line {}: {} numbers, the network takes {}\n",
                        net.id(),
                        lineno,
                        c,
                        dim
                    );
                    return Err(EINVAL);
                }
                Err(e) => {
                    pr_err!(
                        "network_{}: predict: line {}: {} (expected {} numbers)\n",
                        net.id(),
                        lineno,
                        e.reason(),
                        dim
                    );
                    return Err(EINVAL);
                }
            }
        }
        let out_dim = net.output_dim();
        let mut outputs = KVVec::from_elem(0i16, rows * out_dim, GFP_KERNEL)?;
        net.predict_batch(&inputs, &mut outputs)?;
        let mut text = Text::new();
        for y in outputs.chunks(out_dim) {
            decimal::write_outputs(&mut text, y, net.output_frac()).map_err(|_| ENOMEM)?;
        }
        if own.as_bytes().len() + text.as_bytes().len() > MAX_RESULTS {
            pr_err!(
                "network_{}: predict: results above {} MiB: read them and write again\n",
                net.id(),
                MAX_RESULTS >> 20
            );
            return Err(EFBIG);
        }
        own.push_bytes(text.as_bytes())?;
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
        let bytes = read_input(input, len, MAX_INPUT)?;
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
