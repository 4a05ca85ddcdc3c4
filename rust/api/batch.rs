// SPDX-License-Identifier: GPL-2.0

//! A `struct neural_batch *`: staging buffers for a network's input and output vectors,
//! placed on a node, and a run of them spread over the CPUs of the network's mask.
//!
//! A batch holds its network (an [`Arc`]) and, through `api_helper.c`, a reference on
//! the module, so that it outlives neither; [`super::ffi`] gives it to the caller as a
//! pointer and takes it back. Its buffers ([`NodeVec`]s of `max_rows`
//! vectors, at most [`MAX_ROWS`]) are allocated once, at creation; a call copies the
//! caller's vectors in, runs them in chunks on the CPUs of the network's mask by the
//! batch engine ([`crate::network::rounds`], as a `predict` write of several rows does:
//! a chunk per CPU a round, the caller yielding and checking for a fatal signal between
//! rounds), counts them once, and copies the outputs out. A single vector runs on the
//! caller's CPU.
//!
//! # Locking
//!
//! The batch's mutex (`staging`) is held for the whole of a call, waiting for its
//! chunks: it sits where an open debugfs file's state mutex does in the module's lock
//! order (the crate root's "Lock order", level 1), outermost, and nothing the chunks take is
//! above it.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex, //
};

use super::network::home_node;
use crate::network::rounds::{
    self,
    Rows, //
};
use crate::network::Network;
use crate::numa::mem::{
    NodeVec,
    Where, //
};
use crate::numa::topology::{
    self,
    NodeId,
    NodeState, //
};

/// The most input vectors a batch takes (`NEURAL_BATCH_MAX_INPUTS`): with vectors of at
/// most 4096 values, its two buffers hold at most 16 MiB, the most one `predict` write
/// takes.
const MAX_ROWS: usize = 1024;

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

/// A call's rows in the batch's buffers, for the batch engine: each round runs in place.
struct Staged<'a> {
    x: &'a [i16],
    y: &'a mut [i16],
    din: usize,
    dout: usize,
}

impl Rows for Staged<'_> {
    fn round(&mut self, done: usize, n: usize) -> Result<(&[i16], &mut [i16])> {
        let x = self.x.get(done * self.din..(done + n) * self.din);
        let y = self.y.get_mut(done * self.dout..(done + n) * self.dout);
        x.zip(y).ok_or(EINVAL)
    }
}

impl Batch {
    /// A batch of `max_rows` (1 to [`MAX_ROWS`]) vectors of `net`, its buffers where
    /// `place` says.
    ///
    /// # Errors
    ///
    /// `EINVAL` for `max_rows` out of range, `ENOMEM`.
    fn new(net: Arc<Network>, max_rows: usize, place: Where) -> Result<Arc<Self>> {
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
    fn place(node: Option<NodeId>, home: Option<NodeId>) -> Where {
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

        let plan = rounds::Plan::new(net, rows)?;
        rounds::run(
            net,
            rows,
            &plan,
            &mut Staged {
                x,
                y: &mut *y,
                din,
                dout,
            },
        )?;
        output.copy_from_slice(y);
        Ok(())
    }
}

/// A batch of `max_rows` vectors (1 to [`MAX_ROWS`]) of `net`, its buffers on `node`
/// (an online node, which must have memory) or on the network's node ([`home_node`]).
pub(super) fn create(
    net: &Arc<Network>,
    max_rows: usize,
    node: Option<NodeId>,
) -> Result<Arc<Batch>> {
    if node.is_some_and(|n| !topology::node_state(n, NodeState::Memory)) {
        return Err(EINVAL);
    }
    let home = home_node(net);
    Batch::new(net.clone(), max_rows, Batch::place(node, home))
}
