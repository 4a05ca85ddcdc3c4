// SPDX-License-Identifier: GPL-2.0

//! Training a created network: the SGD loop ([`Network::train`]) over the integer
//! backpropagation of [`crate::pure::train`], in each layer's training memory
//! ([`TrainMem`](super::layer::TrainMem)).

use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;

use super::layer::{
    Layer,
    LayerBox, //
};
use super::placed::Params;
use super::stats::Origin;
use super::Network;
use crate::pure::num::{u32_as_usize, usize_as_u64};
use crate::pure::rng::Rng;
use crate::pure::train::{
    self,
    TrainLayer, //
};
use crate::sched::Budget;

/// What a call to [`Network::train`] did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TrainReport {
    /// Samples per epoch.
    pub(crate) samples: usize,
    /// Epochs run.
    pub(crate) epochs: u32,
    /// Mean loss over the first epoch (2^-30 units).
    pub(crate) first_loss: u64,
    /// Mean loss over the last epoch (2^-30 units).
    pub(crate) last_loss: u64,
}

impl Network {
    /// Trains for `epochs` passes over `n` samples (`inputs`: `n` vectors in the input
    /// format, `targets`: `n` vectors in the output format) with SGD and backpropagation:
    /// gradients are applied every `batch` samples (and at the end of each pass) at rate
    /// `lr` (Q8.24, `train::LR_ONE` is 1.0). Predictions wait while it runs (atomic ones
    /// get `EAGAIN`); the prediction cache is emptied first. It yields the
    /// CPU and checks for a fatal signal at bounded intervals ([`Budget`]).
    ///
    /// # Errors
    ///
    /// `EINVAL` for a network loaded from a model (not trainable), mismatched lengths or
    /// a zero batch or epoch count; nothing is changed then. `EINTR` if a fatal signal
    /// came: the weights are those of the last gradient step applied (the gradients of a
    /// batch not yet applied are dropped), `train_steps` counts the samples of the steps
    /// applied, and `last_loss` is that of the last whole epoch, if any.
    pub(crate) fn train(
        &self,
        inputs: &[i16],
        targets: &[i16],
        epochs: u32,
        lr: u32,
        batch: usize,
    ) -> Result<TrainReport> {
        let n = inputs.len() / self.input_dim;
        if n == 0
            || epochs == 0
            || batch == 0
            || inputs.len() != n * self.input_dim
            || targets.len() != n * self.output_dim
        {
            return Err(EINVAL);
        }
        // Training, re-placement and model replacement change the layers: one at a time.
        // A re-placement or a replacement waits for the call to end; predictions wait on
        // the write lock meanwhile.
        let _update = self.update.lock();
        let placed = self.placed.read();
        // The model in force decides, under the update mutex: a replacement by a loaded
        // model (`network/swap.rs`) makes a created network untrainable.
        if !matches!(placed.model.origin, Origin::Created { .. }) {
            return Err(EINVAL);
        }
        let mut params = placed.params.write();
        // Atomic predictions read the weights without the lock: closed out (and waited
        // for) before a weight changes; they get `EAGAIN` until the end. The cache's
        // answers are those of the old weights: emptied.
        let _closed = placed.readers.close();
        placed.cache.clear(&self.stats.cache);
        let work = placed.model.work;
        let Params { layers, rng } = &mut *params;
        let report = self.train_locked(layers, rng, work, inputs, targets, n, epochs, lr, batch);
        // `replicate`: every copy as the first before the lock goes, whatever happened.
        for l in layers.iter_mut() {
            l.sync_copies();
        }
        report
    }

    /// Runs `f` holding the weights as a training call does (the update mutex, the
    /// parameter lock for writing, the atomic readers closed): for the KUnit suite.
    #[cfg(CONFIG_NEURAL_NETWORK_KUNIT_TEST)]
    pub(crate) fn with_weights_held<R>(&self, f: impl FnOnce() -> R) -> R {
        let _update = self.update.lock();
        let placed = self.placed.read();
        let _params = placed.params.write();
        let _closed = placed.readers.close();
        f()
    }

    /// [`Network::train`] on `n` samples, under the write lock.
    #[expect(clippy::too_many_arguments)]
    fn train_locked(
        &self,
        layers: &mut [LayerBox],
        rng: &mut Rng,
        work: u64,
        inputs: &[i16],
        targets: &[i16],
        n: usize,
        epochs: u32,
        lr: u32,
        batch: usize,
    ) -> Result<TrainReport> {
        let mut tl = KVec::with_capacity(layers.len(), GFP_KERNEL)?;
        for l in layers.iter_mut() {
            let l: &mut Layer = l;
            let (Some((plan, mem)), Some(weights)) = (l.train.as_mut(), l.weights.wide_mut())
            else {
                return Err(EINVAL);
            };
            tl.push(
                TrainLayer {
                    plan: *plan,
                    weights,
                    bias: &mut l.bias,
                    grad_w: &mut mem.grad_w,
                    grad_b: &mut mem.grad_b,
                    pre: &mut mem.pre,
                    out: &mut mem.out,
                    delta: &mut mem.delta,
                },
                GFP_KERNEL,
            )?;
        }
        train::zero_grad(&mut tl);
        let (mut first_loss, mut last_loss) = (0, 0);
        // A step is a forward pass, a backward pass and the gradients: about 3 passes.
        let work = work.saturating_mul(3);
        let mut budget = Budget::new();
        for epoch in 0..epochs {
            let mut sum: u64 = 0;
            let mut pending: u32 = 0;
            for i in 0..n {
                if let Err(e) = budget.tick(work) {
                    // Stop at the last step applied: drop the batch under way.
                    train::zero_grad(&mut tl);
                    let applied = i - u32_as_usize(pending);
                    self.stats
                        .train_steps
                        .fetch_add(usize_as_u64(applied), Relaxed);
                    if epoch > 0 {
                        self.stats.last_loss.store(last_loss, Relaxed);
                    }
                    return Err(e);
                }
                let x = inputs.get(i * self.input_dim..(i + 1) * self.input_dim);
                let t = targets.get(i * self.output_dim..(i + 1) * self.output_dim);
                let (Some(x), Some(t)) = (x, t) else {
                    return Err(EINVAL);
                };
                let loss = train::step(&mut tl, x, t).map_err(|_| EINVAL)?;
                sum = sum.saturating_add(loss);
                pending += 1;
                if u32_as_usize(pending) == batch || i + 1 == n {
                    train::apply(&mut tl, lr, pending, Some(&mut *rng)).map_err(|_| EINVAL)?;
                    pending = 0;
                }
            }
            let mean = sum / usize_as_u64(n);
            if epoch == 0 {
                first_loss = mean;
            }
            last_loss = mean;
            self.stats.train_steps.fetch_add(usize_as_u64(n), Relaxed);
        }
        self.stats.last_loss.store(last_loss, Relaxed);
        Ok(TrainReport {
            samples: n,
            epochs,
            first_loss,
            last_loss,
        })
    }
}
