// SPDX-License-Identifier: GPL-2.0

//! `create`: write a topology to create a trainable network, Xavier-initialised.
//!
//! One line: the layer sizes, then one activation per layer, then optionally the seed
//! of the initialisation (without it, the kernel's RNG picks one; `config` shows it) and
//! the network's own placement, `policy=NAME` (`local interleave preferred bind
//! replicate`), `node=N` and `nodes=LIST` (`0-3,6`); what is not given comes from the
//! module parameters:
//!
//! ```text
//! echo "2 4 1 tanh sigmoid seed=1" > create
//! echo "64 32 10 relu linear policy=bind nodes=1" > create
//! echo "64 32 10 relu linear policy=preferred node=2" > create
//! ```
//!
//! That is `[in, hidden..., out]` as the C API's `neural_network_init(2, 4, 1)`, with 2
//! to 17 sizes in `1..=4096` and activations among `linear relu sigmoid tanh` (the
//! grammar: `pure/create_line.rs`, which the host fuzzes). Reading gives the id of the
//! network this open file created, else that of the network created last (by any
//! writer), as `load` does. A bad line: `-EINVAL` with the reason in the log; a network
//! over a memory limit: `-EFBIG` or `-ENOSPC` (`Registry::create`); nothing is created.

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
use super::load::write_last_created;
use super::text::{
    read_input,
    read_snapshot,
    Text, //
};
use super::Registry;
use crate::network::Owner;
use crate::numa::placement::{
    self,
    Placement, //
};
use crate::numa::topology;
use crate::pure::create_line::{
    CreateLine,
    CREATE_LINE_MAX, //
};
use crate::pure::xavier::Plan;

/// The file's data.
pub(crate) struct CreateFile(pub(crate) Arc<Registry>);

/// An open `create` file.
pub(crate) struct CreateState {
    registry: Arc<Registry>,
    /// The network this open file created last.
    created: Option<u32>,
    text: Option<Text>,
}

/// What a line asks for.
struct Request {
    plan: Plan,
    seed: Option<u64>,
    /// The placement, when the line gives any of `policy=`, `node=`, `nodes=`.
    placement: Option<Placement>,
}

/// Reads a topology line ([`CreateLine::parse`]) and checks its placement against the
/// machine; logs what is wrong.
fn parse(line: &[u8]) -> Result<Request> {
    let line = CreateLine::parse(line, topology::max_numnodes()).map_err(|e| {
        pr_err!("create: {}\n", format_args!("{e}"));
        EINVAL
    })?;
    let placement = if line.places() {
        let node = match line.node {
            // Below `MAX_NUMNODES`, as `CreateLine::parse` checked.
            Some(id) => Some(topology::node_of(id).ok_or(EINVAL)?),
            None => None,
        };
        Some(placement::placement_for(
            "create: ",
            line.policy,
            node,
            line.nodes,
        )?)
    } else {
        None
    };
    Ok(Request {
        plan: line.plan,
        seed: line.seed,
        placement,
    })
}

impl DebugFile for CreateFile {
    type State = CreateState;
    const READ: bool = true;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<CreateState> {
        Ok(CreateState {
            registry: this.0.clone(),
            created: None,
            text: None,
        })
    }

    fn write(state: &mut CreateState, input: UserSliceReader, len: usize) -> Result<usize> {
        let bytes = read_input(input, len, CREATE_LINE_MAX).inspect_err(|_| {
            pr_err!("create: one line of at most {} bytes\n", CREATE_LINE_MAX);
        })?;
        let r = parse(&bytes)?;
        state.created = Some(
            state
                .registry
                .create(&r.plan, r.seed, r.placement, Owner::SELF)?,
        );
        state.text = None;
        Ok(len)
    }

    fn read(state: &mut CreateState, out: &mut UserSliceWriter, pos: &mut Offset) -> Result<usize> {
        let (registry, created) = (&state.registry, state.created);
        read_snapshot(&mut state.text, out, pos, |t| {
            write_last_created(registry, created, t)
        })
    }
}
