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
//! to 17 sizes in `1..=4096` and activations among `linear relu sigmoid tanh`. Reading
//! gives the id of the network this open file created, else that of the network created
//! last (by any writer), as `load` does. A bad line: `-EINVAL` with the reason in the
//! log; a network over a memory limit: `-EFBIG` or `-ENOSPC` (`Registry::create`);
//! nothing is created.

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
    NumaPolicy,
    Placement, //
};
use crate::numa::topology;
use crate::pure::activation::Activation;
use crate::pure::nodemask::NodeMask;
use crate::pure::xavier::{
    Plan,
    MAX_LAYERS, //
};

/// The file's data.
pub(crate) struct CreateFile(pub(crate) Arc<Registry>);

/// An open `create` file.
pub(crate) struct CreateState {
    registry: Arc<Registry>,
    /// The network this open file created last.
    created: Option<u32>,
    text: Option<Text>,
}

fn activation(name: &str) -> Option<Activation> {
    (0..4)
        .filter_map(Activation::from_code)
        .find(|a| a.name() == name)
}

/// What a line asks for.
struct Request {
    plan: Plan,
    seed: Option<u64>,
    /// The placement, when the line gives any of `policy=`, `node=`, `nodes=`.
    placement: Option<Placement>,
}

/// Parses a topology line; logs what is wrong.
fn parse(line: &[u8]) -> Result<Request> {
    let bad = |why: &str| {
        pr_err!("create: {}\n", why);
        EINVAL
    };
    let line = core::str::from_utf8(line).map_err(|_| bad("not text"))?;
    let mut dims = [0usize; MAX_LAYERS + 1];
    let mut acts = [Activation::Linear; MAX_LAYERS];
    let (mut nd, mut na, mut seed) = (0, 0, None);
    let (mut policy, mut node, mut nodes) = (None, None, None);
    for tok in line.split_ascii_whitespace() {
        if let Some(v) = tok.strip_prefix("seed=") {
            seed = Some(v.parse::<u64>().map_err(|_| bad("seed is not a number"))?);
        } else if let Some(v) = tok.strip_prefix("policy=") {
            policy = Some(NumaPolicy::from_name(v).ok_or_else(|| {
                bad("unknown policy (local, interleave, preferred, bind, replicate)")
            })?);
        } else if let Some(v) = tok.strip_prefix("node=") {
            let id = v.parse::<u32>().map_err(|_| bad("node is not a number"))?;
            node = Some(topology::node_of(id).ok_or_else(|| {
                pr_err!(
                    "create: node={}: node {} is out of range (MAX_NUMNODES {})\n",
                    id,
                    id,
                    topology::max_numnodes()
                );
                EINVAL
            })?);
        } else if let Some(v) = tok.strip_prefix("nodes=") {
            let mask = NodeMask::parse(v, topology::max_numnodes()).map_err(|e| {
                pr_err!("create: nodes={}: {}\n", v, format_args!("{e}"));
                EINVAL
            })?;
            nodes = Some((mask, v));
        } else if tok.bytes().all(|c| c.is_ascii_digit()) {
            if na > 0 {
                return Err(bad("sizes come before activations"));
            }
            let slot = dims.get_mut(nd).ok_or_else(|| bad("more than 17 sizes"))?;
            *slot = tok.parse().map_err(|_| bad("size out of range"))?;
            nd += 1;
        } else {
            let a = activation(tok)
                .ok_or_else(|| bad("unknown activation (linear, relu, sigmoid, tanh)"))?;
            let slot = acts
                .get_mut(na)
                .ok_or_else(|| bad("more than 16 activations"))?;
            *slot = a;
            na += 1;
        }
    }
    if nd < 2 || na + 1 != nd {
        return Err(bad(
            "expected sizes [in, hidden..., out] then one activation per layer",
        ));
    }
    let plan = Plan::new(&dims[..nd], &acts[..na]).map_err(|e| bad(e.reason()))?;
    let placement = if policy.is_some() || node.is_some() || nodes.is_some() {
        Some(placement::placement_for("create: ", policy, node, nodes)?)
    } else {
        None
    };
    Ok(Request {
        plan,
        seed,
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
        let bytes = read_input(input, len, 4096).inspect_err(|_| {
            pr_err!("create: one line of at most 4096 bytes\n");
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
