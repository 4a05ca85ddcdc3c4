// SPDX-License-Identifier: GPL-2.0

//! A network's forward pass over a batch: blocks of up to [`BLOCK`] inputs, each block
//! layer by layer, so that a path that can (the AVX2 batch kernel) reads each layer's
//! weights once per block rather than once per input. What runs a layer is the caller's
//! [`Runner`]: the module's FPU section, or the host's benchmark and `nnctl`.
//!
//! Pure code: only `core`.

use super::forward::{DenseLayer, ShapeError};

/// Inputs per block.
pub const BLOCK: usize = 4;

/// Runs one layer for a block of 1 to [`BLOCK`] inputs.
pub trait Runner {
    /// Computes `ys[k]` from `xs[k]` for every `k`, as `layer.forward` does; `split` is
    /// scratch of [`split_len_for`] the block's values, for the runner's own use.
    ///
    /// # Errors
    ///
    /// [`ShapeError`] as [`DenseLayer::forward`].
    fn run(
        &mut self,
        layer: &DenseLayer<'_>,
        xs: &[&[i16]],
        ys: &mut [&mut [i16]],
        split: &mut [i16],
    ) -> Result<(), ShapeError>;
}

/// The scalar reference as a [`Runner`] (the other runners' scalar path, too).
pub struct Scalar;

impl Runner for Scalar {
    fn run(
        &mut self,
        layer: &DenseLayer<'_>,
        xs: &[&[i16]],
        ys: &mut [&mut [i16]],
        _split: &mut [i16],
    ) -> Result<(), ShapeError> {
        for (x, y) in xs.iter().zip(ys.iter_mut()) {
            layer.forward(x, y)?;
        }
        Ok(())
    }
}

/// The vector kernels' pass: a split input is padded to a multiple of it.
pub const SPLIT_PASS: usize = 16;

/// The runner's scratch for layers of at most `max_inputs` inputs and blocks of at most
/// `block` inputs: two values per input value (a split input is twice as long), in whole
/// passes.
pub const fn split_len_for(max_inputs: usize, block: usize) -> usize {
    2 * block * max_inputs.next_multiple_of(SPLIT_PASS)
}

/// A network's shape, as [`forward`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Layers.
    pub layers: usize,
    /// Values of an input vector.
    pub input_dim: usize,
    /// Values of an output vector.
    pub output_dim: usize,
    /// The most outputs of a layer.
    pub max_width: usize,
    /// The most inputs of a layer.
    pub max_inputs: usize,
}

impl Shape {
    /// The shape of the layers with these (inputs, outputs); `None` for no layer.
    pub fn of(dims: impl Iterator<Item = (usize, usize)> + Clone) -> Option<Self> {
        let first = dims.clone().next()?;
        let (layers, output_dim, max_width, max_inputs) = dims
            .fold((0, 0, 0, 0), |(n, _, mw, mi), (i, o)| {
                (n + 1, o, mw.max(o), mi.max(i))
            });
        Some(Self {
            layers,
            input_dim: first.0,
            output_dim,
            max_width,
            max_inputs,
        })
    }

    /// The scratch [`forward`] needs: a pair of buffers of [`Shape::max_width`] per input
    /// of a block, and the runner's [`split_len_for`].
    pub fn scratch_len(&self) -> usize {
        self.scratch_len_for(BLOCK)
    }

    /// The scratch [`forward_in`] needs with blocks of at most `block` inputs (one:
    /// the scratch of a single prediction).
    pub fn scratch_len_for(&self, block: usize) -> usize {
        checked_scratch_len_for(self.max_width, self.max_inputs, block).unwrap_or(usize::MAX)
    }
}

/// [`Shape::scratch_len`] of layers of at most `max_width` outputs and `max_inputs`
/// inputs, for widths nobody checked yet (a network's footprint is counted before its
/// shape is): `None` where it overflows.
pub fn checked_scratch_len(max_width: usize, max_inputs: usize) -> Option<usize> {
    checked_scratch_len_for(max_width, max_inputs, BLOCK)
}

/// As [`checked_scratch_len`], for blocks of at most `block` inputs.
pub fn checked_scratch_len_for(max_width: usize, max_inputs: usize, block: usize) -> Option<usize> {
    let split = max_inputs.checked_next_multiple_of(SPLIT_PASS)?;
    max_width.checked_add(split)?.checked_mul(2 * block)
}

/// Runs `inputs` (`n` vectors of `input_dim`) through the network into `outputs` (`n` of
/// `output_dim`): `layer(i)` gives layer `i` (`None` is a [`ShapeError`]), `runner` runs
/// it, `scratch` holds at least [`Shape::scratch_len`] values. Returns `n`.
///
/// # Errors
///
/// [`ShapeError`] if a slice does not fit the shape, or a layer is wider than the shape
/// says or is not the first's input or the last's output width (that each layer's
/// inputs are its predecessor's outputs is the caller's to keep: the model parser and
/// `create` check it); outputs of blocks before the one that failed are written.
pub fn forward<'a>(
    shape: Shape,
    layer: impl Fn(usize) -> Option<DenseLayer<'a>>,
    inputs: &[i16],
    outputs: &mut [i16],
    scratch: &mut [i16],
    runner: &mut impl Runner,
) -> Result<usize, ShapeError> {
    forward_in(shape, BLOCK, layer, inputs, outputs, scratch, runner)
}

/// [`forward`] in blocks of at most `max_block` inputs (1 to [`BLOCK`]), in scratch of
/// [`Shape::scratch_len_for`] `max_block` values: with 1, a single prediction's, a quarter of
/// a batch's. The outputs are the same for every `block`, bit for bit.
///
/// # Errors
///
/// As [`forward`], and for a `max_block` of 0 or over [`BLOCK`].
pub fn forward_in<'a>(
    shape: Shape,
    max_block: usize,
    layer: impl Fn(usize) -> Option<DenseLayer<'a>>,
    inputs: &[i16],
    outputs: &mut [i16],
    scratch: &mut [i16],
    runner: &mut impl Runner,
) -> Result<usize, ShapeError> {
    let (din, dout, mw) = (shape.input_dim, shape.output_dim, shape.max_width);
    if din == 0 || dout == 0 || shape.layers == 0 || max_block == 0 || max_block > BLOCK {
        return Err(ShapeError);
    }
    let n = inputs.len() / din;
    if !inputs.len().is_multiple_of(din) || Some(outputs.len()) != n.checked_mul(dout) {
        return Err(ShapeError);
    }
    let ping_len = max_block * mw;
    if scratch.len() < shape.scratch_len_for(max_block) {
        return Err(ShapeError);
    }
    let (ping, rest) = scratch.split_at_mut(ping_len);
    let (pong, rest) = rest.split_at_mut(ping_len);
    let split = &mut rest[..split_len_for(shape.max_inputs, max_block)];
    for (xs, ys) in inputs
        .chunks(max_block * din)
        .zip(outputs.chunks_mut(max_block * dout))
    {
        block(
            shape,
            &layer,
            xs,
            ys,
            &mut *ping,
            &mut *pong,
            &mut *split,
            runner,
        )?;
    }
    Ok(n)
}

/// One block of [`forward`]: `xs` holds `k <= BLOCK` inputs, `ys` their outputs.
#[expect(clippy::too_many_arguments)]
fn block<'a, 's>(
    shape: Shape,
    layer: &impl Fn(usize) -> Option<DenseLayer<'a>>,
    xs: &[i16],
    ys: &mut [i16],
    mut ping: &'s mut [i16],
    mut pong: &'s mut [i16],
    split: &mut [i16],
    runner: &mut impl Runner,
) -> Result<(), ShapeError> {
    let (din, dout, mw) = (shape.input_dim, shape.output_dim, shape.max_width);
    let k = xs.len() / din;
    let last = shape.layers - 1;
    for i in 0..shape.layers {
        let l = layer(i).ok_or(ShapeError)?;
        if l.inputs > shape.max_inputs
            || l.outputs > mw
            || (i == 0 && l.inputs != din)
            || (i == last && l.outputs != dout)
        {
            return Err(ShapeError);
        }
        let mut ins: [&[i16]; BLOCK] = [&[]; BLOCK];
        let src: &[i16] = if i == 0 { xs } else { ping };
        let stride = if i == 0 { din } else { mw };
        for (slot, c) in ins.iter_mut().zip(src.chunks(stride)).take(k) {
            *slot = c.get(..l.inputs).ok_or(ShapeError)?;
        }
        let mut outs: [&mut [i16]; BLOCK] = Default::default();
        let (dst, stride): (&mut [i16], usize) = if i == last {
            (&mut *ys, dout)
        } else {
            (&mut *pong, mw)
        };
        for (slot, c) in outs.iter_mut().zip(dst.chunks_mut(stride)).take(k) {
            *slot = c.get_mut(..l.outputs).ok_or(ShapeError)?;
        }
        runner.run(&l, &ins[..k], &mut outs[..k], split)?;
        if i != last {
            core::mem::swap(&mut ping, &mut pong);
        }
    }
    Ok(())
}
