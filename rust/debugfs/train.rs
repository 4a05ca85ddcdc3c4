// SPDX-License-Identifier: GPL-2.0

//! `network_<id>/train` (networks made by `create`): train online from text.
//!
//! Each line is a sample, the input numbers, a `:`, then the target outputs, as decimals
//! (`0 1 : 1`; a target beyond the output format is clamped to it, so 1 means a sigmoid's
//! largest output), or a setting that holds for the rest of the open file (the grammar:
//! `pure/train_text.rs`, which the host fuzzes):
//!
//! ```text
//! epochs N    passes over the samples of each write (default 1, at most 100000)
//! rate R      learning rate, a decimal in (0, 8) (default 1)
//! batch B     samples per gradient update (default 1: plain SGD)
//! ```
//!
//! The samples of one `write()` (its complete lines; a line split across writes waits
//! for the rest) are one training set, trained on at once, `epochs` times (so write a
//! set in one `write()`, `cat set.txt > train`: a shell's `printf` may write a line at a
//! time, which trains each sample on its own), with `train::step` and
//! `train::apply` (SGD, backpropagation, gradients in the network's memory). A write is
//! at most [`MAX_INPUT`] bytes (`-EFBIG` beyond). Every line is checked, and the samples
//! counted, before their arrays are allocated (so they take no more bytes than the
//! write's text): a bad line fails the write with `-EINVAL` and a reason in the log, and
//! trains nothing. A fatal signal stops training with `-EINTR` at the last whole
//! gradient step (`Network::train`), and leaves no report.
//!
//! Reading gives the last training of this open file, or of the last writer to close:
//! `samples 4 epochs 2000 loss_first 0.271 loss_last 0.000303` (mean squared error per
//! output over an epoch, in real units, to 6 decimals).

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

use super::file::DebugFile;
use super::network_file::NetworkFile;
use super::text::{
    read_input,
    read_snapshot,
    Lines,
    Text, //
};
use crate::network::{
    Network,
    TrainReport, //
};
use crate::pure::lines::numbered_lines;
use crate::pure::num::usize_as_u64;
use crate::pure::train::{
    LOSS_FRAC,
    MAX_VALUES, //
};
use crate::pure::train_text::{
    parse_sample,
    Setting,
    TrainError,
    TrainLine,
    TrainSettings, //
};
use crate::sched::Budget;

/// The most bytes one `write()` may have (its samples' values: at most [`MAX_VALUES`]).
const MAX_INPUT: usize = 4 << 20;

/// The file's data: the network and the report of the last writer.
pub(crate) type TrainFile = NetworkFile<Option<TrainReport>>;

/// An open `train` file.
pub(crate) struct TrainState {
    file: Arc<TrainFile>,
    lines: Lines,
    settings: TrainSettings,
    report: Option<TrainReport>,
    text: Option<Text>,
}

/// Logs why line `line` is refused; `EINVAL`.
fn bad(net: &Network, line: usize, e: TrainError) -> Error {
    pr_err!(
        "network_{}: train: line {}: {}\n",
        net.id(),
        line,
        format_args!("{e}")
    );
    EINVAL
}

impl TrainState {
    /// Parses and trains on complete `lines`; changes nothing on error (but a fatal
    /// signal, `EINTR`, stops training at the last whole step: `Network::train`).
    fn run(&mut self, lines: &[u8], first_line: usize) -> Result {
        let net = self.file.net.clone();
        let (din, dout) = (net.input_dim(), net.output_dim());
        let mut settings = self.settings;
        let mut budget = Budget::new();
        // Every line is checked, and the samples counted, before anything is allocated
        // for them; settings hold for the whole write, wherever they are in it.
        let mut x = KVVec::from_elem(0i16, din, GFP_KERNEL)?;
        let mut t = KVVec::from_elem(0i16, dout, GFP_KERNEL)?;
        let mut rows = 0usize;
        for (n, line) in numbered_lines(lines, first_line) {
            budget.tick(usize_as_u64(line.len())).inspect_err(|_| {
                pr_info!(
                    "network_{}: train: interrupted by a fatal signal at line {}; nothing trained\n",
                    net.id(),
                    n
                );
            })?;
            match TrainLine::parse(line, net.input_frac(), net.output_frac(), &mut x, &mut t)
                .map_err(|e| bad(&net, n, e))?
            {
                TrainLine::Setting(s) => settings.set(s),
                TrainLine::Sample => rows += 1,
            }
        }
        if rows == 0 {
            self.settings = settings;
            return Ok(());
        }
        // Each sample's line holds its din + dout numbers, each a character and a
        // separator at least, so the values (2 bytes each) take no more bytes than the
        // text (at most 2 * MAX_INPUT with a pending line): the allocation is bounded by
        // the write. The check below writes the limit down.
        if rows.checked_mul(din + dout).is_none_or(|v| v > MAX_VALUES) {
            pr_err!(
                "network_{}: train: {} samples of {} values pass the limit of {} values a write may hold\n",
                net.id(),
                rows,
                din + dout,
                MAX_VALUES
            );
            return Err(EFBIG);
        }
        let mut inputs = KVVec::from_elem(0i16, rows * din, GFP_KERNEL)?;
        let mut targets = KVVec::from_elem(0i16, rows * dout, GFP_KERNEL)?;
        let mut slots = inputs.chunks_mut(din).zip(targets.chunks_mut(dout));
        for (n, line) in numbered_lines(lines, first_line) {
            if Setting::parse(line).map_err(|e| bad(&net, n, e))?.is_some() {
                continue;
            }
            let (x, t) = slots.next().ok_or(EINVAL)?;
            parse_sample(line, net.input_frac(), net.output_frac(), x, t)
                .map_err(|e| bad(&net, n, e))?;
        }
        let report = net
            .train(
                &inputs,
                &targets,
                settings.epochs,
                settings.lr,
                settings.batch,
            )
            .inspect_err(|&e| {
                if e == EINTR {
                    pr_info!(
                        "network_{}: train: interrupted by a fatal signal; the weights are those of the last whole step\n",
                        net.id()
                    );
                }
            })?;
        self.settings = settings;
        self.report = Some(report);
        Ok(())
    }
}

/// Writes `v / 2^LOSS_FRAC` with 6 decimals (integer arithmetic).
fn write_loss(t: &mut Text, v: u64) -> Result {
    let int = v >> LOSS_FRAC;
    let frac = ((v & ((1 << LOSS_FRAC) - 1)) * 1_000_000 + (1 << (LOSS_FRAC - 1))) >> LOSS_FRAC;
    let (int, frac) = if frac >= 1_000_000 {
        (int + 1, frac - 1_000_000)
    } else {
        (int, frac)
    };
    t.push_fmt(fmt!("{int}.{frac:06}"))
}

fn write_report(t: &mut Text, r: &TrainReport) -> Result {
    t.push_fmt(fmt!(
        "samples {} epochs {} loss_first ",
        r.samples,
        r.epochs
    ))?;
    write_loss(t, r.first_loss)?;
    t.push_bytes(b" loss_last ")?;
    write_loss(t, r.last_loss)?;
    t.push_bytes(b"\n")
}

impl DebugFile for TrainFile {
    type State = TrainState;
    const READ: bool = true;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<TrainState> {
        Ok(TrainState {
            file: this.into(),
            lines: Lines::new(),
            settings: TrainSettings::DEFAULT,
            report: None,
            text: None,
        })
    }

    fn write(state: &mut TrainState, input: UserSliceReader, len: usize) -> Result<usize> {
        let net = state.file.net.id();
        let bytes = read_input(input, len, MAX_INPUT).inspect_err(|&e| {
            if e == EFBIG {
                pr_err!(
                    "network_{}: train: a write of {} bytes passes the {} MiB limit\n",
                    net,
                    len,
                    MAX_INPUT >> 20
                );
            }
        })?;
        let taken = state.lines.take(&bytes, MAX_INPUT).inspect_err(|_| {
            pr_err!(
                "network_{}: train: more than {} MiB without a newline\n",
                net,
                MAX_INPUT >> 20
            );
        })?;
        state.run(&taken.lines, taken.first_line)?;
        state.lines.commit(taken);
        Ok(len)
    }

    fn read(state: &mut TrainState, out: &mut UserSliceWriter, pos: &mut Offset) -> Result<usize> {
        let report = state.report.or(*state.file.last.lock());
        read_snapshot(&mut state.text, out, pos, |t| match report {
            Some(r) => write_report(t, &r),
            None => t.push_bytes(b"none\n"),
        })
    }

    fn release(mut state: TrainState) {
        if let Some((line, n)) = state.lines.last() {
            let mut line_copy = KVVec::new();
            if line_copy.extend_from_slice(line, GFP_KERNEL).is_ok() {
                // The last line had no newline: train on it now; errors are only logged.
                let _ = state.run(&line_copy, n);
            }
        }
        if state.report.is_some() {
            *state.file.last.lock() = state.report;
        }
    }
}
