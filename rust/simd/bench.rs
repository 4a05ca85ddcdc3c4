// SPDX-License-Identifier: GPL-2.0

//! The in-guest benchmark, `/sys/kernel/debug/neural_network/bench`: the shapes of
//! `make bench` (the host benchmark, `tools/bench`) run through the module itself, its
//! batch driver, FPU section, gate and kernels, by the three paths (`scalar`, `simd`,
//! `auto`: the threshold at the break-even the self-check measured), at batch 1 and 32.
//!
//! What it reports is guest time, per prediction. Under emulation that is not CPU speed;
//! under `qemu -icount shift=0` (`tools/testing/bench-guest`) the guest's clock advances
//! exactly one nanosecond per instruction the guest executes, so the figure is the
//! instructions retired per prediction: the same on every host, whatever the emulator's
//! speed or load, and a fair count of the work each path does (a `vpmaddwd` is one
//! instruction, as a scalar multiply is). Reading the file runs the benchmark (about
//! 400 million guest instructions; a few seconds under `-icount`), so it is root-only.
//! The layer runs it makes are counted in `simd` like any other.

use super::gate::Gate;
use super::{break_even, Section};
use crate::pure::activation::Activation;
use crate::pure::batch::{self, Shape};
use crate::pure::fixed::Requant;
use crate::pure::format::Weights;
use crate::pure::forward::DenseLayer;
use crate::pure::num::{nonnegative, usize_as_u64};
use crate::pure::rng::Rng;
use core::fmt::Write;
use kernel::prelude::*;
use kernel::time::{Instant, Monotonic};

/// The shapes of the host benchmark: layer widths, the input first.
pub(crate) const SHAPES: [&[usize]; 5] = [
    &[4, 8, 2],
    &[31, 256, 2],
    &[64, 32, 10],
    &[256, 256, 256],
    &[1024, 1024],
];

/// The batch sizes timed.
const BATCHES: [usize; 2] = [1, 32];

/// Multiply-accumulates each timed run makes at least (whole calls of a batch).
const RUN_MACS: u64 = 1 << 20;

/// Timed runs per row of the table; the fastest counts (timer interrupts only add).
const TRIALS: usize = 3;

/// One network of random weights of a shape, with its buffers for the largest batch.
struct Bench {
    dims: &'static [usize],
    weights: KVec<KVVec<i16>>,
    bias: KVec<KVec<i32>>,
    shape: Shape,
    inputs: KVVec<i16>,
    outputs: KVVec<i16>,
    scratch: KVVec<i16>,
}

impl Bench {
    fn new(dims: &'static [usize], rng: &mut Rng) -> Result<Self> {
        let shape = Shape::of(dims.windows(2).map(|d| (d[0], d[1]))).ok_or(EINVAL)?;
        let batch = BATCHES[BATCHES.len() - 1];
        let mut weights = KVec::new();
        let mut bias = KVec::new();
        for d in dims.windows(2) {
            let mut w = KVVec::with_capacity(d[0] * d[1], GFP_KERNEL)?;
            for _ in 0..d[0] * d[1] {
                // As the host benchmark: a quarter of the range, so that the sums of the
                // wider layers do not all saturate.
                w.push(rng.next_i16() / 4, GFP_KERNEL)?;
            }
            let mut b = KVec::with_capacity(d[1], GFP_KERNEL)?;
            for _ in 0..d[1] {
                b.push(rng.next_i32() >> 12, GFP_KERNEL)?;
            }
            weights.push(w, GFP_KERNEL)?;
            bias.push(b, GFP_KERNEL)?;
        }
        let mut inputs = KVVec::with_capacity(batch * shape.input_dim, GFP_KERNEL)?;
        for _ in 0..batch * shape.input_dim {
            inputs.push(rng.next_i16(), GFP_KERNEL)?;
        }
        Ok(Self {
            dims,
            weights,
            bias,
            shape,
            inputs,
            outputs: KVVec::from_elem(0i16, batch * shape.output_dim, GFP_KERNEL)?,
            scratch: KVVec::from_elem(0i16, shape.scratch_len(), GFP_KERNEL)?,
        })
    }

    fn macs(&self) -> u64 {
        self.dims
            .windows(2)
            .map(|d| usize_as_u64(d[0] * d[1]))
            .sum()
    }

    /// Guest nanoseconds of one call of `batch` predictions behind `gate`: the fastest
    /// of [`TRIALS`] runs of enough calls for [`RUN_MACS`].
    fn time(&mut self, batch: usize, gate: Gate) -> Result<u64> {
        let calls = RUN_MACS.div_ceil(self.macs() * usize_as_u64(batch)).max(1);
        let (din, dout) = (self.shape.input_dim, self.shape.output_dim);
        let (weights, bias, dims) = (&self.weights, &self.bias, self.dims);
        let layer = |i: usize| -> Option<DenseLayer<'_>> {
            Some(DenseLayer {
                inputs: *dims.get(i)?,
                outputs: *dims.get(i + 1)?,
                activation: Activation::Relu,
                requant: Requant::new(1, 14)?,
                weights: Weights::Wide(weights.get(i)?),
                bias: bias.get(i)?,
            })
        };
        let rows = dims.get(..dims.len() - 1).ok_or(EINVAL)?;
        let inputs = self.inputs.get(..batch * din).ok_or(EINVAL)?;
        let outputs = self.outputs.get_mut(..batch * dout).ok_or(EINVAL)?;
        let mut best = u64::MAX;
        for _ in 0..TRIALS {
            let start = Instant::<Monotonic>::now();
            for _ in 0..calls {
                // One section per call, as a prediction takes one.
                let mut section = Section::with_gate(gate, rows.iter().copied());
                batch::forward(
                    self.shape,
                    layer,
                    inputs,
                    outputs,
                    &mut self.scratch,
                    &mut section,
                )
                .map_err(|_| EINVAL)?;
            }
            let ns = nonnegative(start.elapsed().as_nanos());
            best = best.min(ns / calls);
            crate::sched::cond_resched();
        }
        Ok(best)
    }
}

/// Runs the benchmark on `shapes` and writes its table to `w`.
///
/// # Errors
///
/// `ENOMEM` if a network's memory cannot be allocated; `EINVAL` if a shape is not one.
pub(crate) fn run(shapes: &[&'static [usize]], w: &mut impl Write) -> Result {
    let even = break_even();
    let paths = [
        ("scalar", Gate::SCALAR),
        ("simd", Gate::new(true, true, 1, even)),
        ("auto", Gate::new(true, true, 0, even)),
    ];
    let fail = |_| ENOMEM;
    writeln!(
        w,
        "# guest ns per prediction (under qemu -icount shift=0: instructions); break_even: {}",
        even.unwrap_or(0)
    )
    .map_err(fail)?;
    writeln!(w, "| shape | batch | path | ns/pred | MAC/ns |").map_err(fail)?;
    writeln!(w, "|---|---:|---|---:|---:|").map_err(fail)?;
    let mut rng = Rng::from_seed(0xbe4c);
    for &dims in shapes {
        let mut bench = Bench::new(dims, &mut rng)?;
        for batch in BATCHES {
            for (path, gate) in paths {
                let ns = bench.time(batch, gate)?;
                let per_pred = ns / usize_as_u64(batch);
                // MACs per nanosecond, in hundredths.
                let rate = (bench.macs() * usize_as_u64(batch) * 100)
                    .checked_div(ns)
                    .unwrap_or(0);
                // Named as the host benchmark names them: `1024x1024` for the one layer.
                write!(w, "|").map_err(fail)?;
                for (i, d) in dims.iter().enumerate() {
                    let sep = match (i, dims.len()) {
                        (0, _) => " ",
                        (_, 2) => "x",
                        _ => "-",
                    };
                    write!(w, "{}{}", sep, d).map_err(fail)?;
                }
                writeln!(
                    w,
                    " | {} | {} | {} | {}.{:02} |",
                    batch,
                    path,
                    per_pred,
                    rate / 100,
                    rate % 100
                )
                .map_err(fail)?;
            }
        }
    }
    Ok(())
}
