// SPDX-License-Identifier: GPL-2.0

//! The line written to `create` ([`CreateLine::parse`]): the layer sizes, one activation
//! per layer, then optionally `seed=N`, `policy=NAME`, `node=N` and `nodes=LIST`, in any
//! order after the sizes, separated by ASCII whitespace:
//!
//! ```text
//! 2 4 1 tanh sigmoid seed=1
//! 64 32 10 relu linear policy=bind nodes=1
//! 64 32 10 relu linear policy=preferred node=2
//! ```
//!
//! The sizes are `[in, hidden..., out]` (2 to 17, each `1..=4096`: [`Plan::new`] checks
//! them), the activations among `linear relu sigmoid tanh`; a token of digits only is a
//! size, any other token an activation or a `key=value`. `seed` is a `u64`, `node` a
//! `u32` below the running kernel's `MAX_NUMNODES` (given as `max_nodes`), `nodes` a
//! node list ([`NodeMask::parse`]); numbers as `str::parse` reads them (a leading `+`
//! allowed). A `key=value` given twice takes its last value. Whether the placement can be
//! had on the running machine is checked later, by the kernel (`numa::placement`).
//!
//! [`CreateError`] says what is wrong; its `Display` is the text the kernel logs after
//! `create: ` (`node=9: node 9 is out of range (MAX_NUMNODES 8)`). The `Display` of a
//! [`CreateLine`] writes a line that parses back to it.
//!
//! Pure code: only `core`; no allocation, no panic on any input.

use core::fmt;

use super::activation::Activation;
use super::nodemask::{
    parse_node_arg,
    parse_nodes_arg,
    NodeArgError,
    NodeListError,
    NodeMask, //
};
use super::policy::NumaPolicy;
use super::xavier::{
    Plan,
    PlanError,
    MAX_LAYERS, //
};

/// The longest `create` write, in bytes.
pub const CREATE_LINE_MAX: usize = 4096;

/// What a `create` line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreateLine<'a> {
    /// The network: its layers and formats.
    pub plan: Plan,
    /// The seed of the initialisation (`seed=`).
    pub seed: Option<u64>,
    /// The policy (`policy=`).
    pub policy: Option<NumaPolicy>,
    /// The node (`node=`), below `max_nodes`.
    pub node: Option<u32>,
    /// The node list (`nodes=`) and its text.
    pub nodes: Option<(NodeMask, &'a str)>,
}

/// Why a `create` line is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError<'a> {
    /// Not UTF-8.
    NotText,
    /// `seed=` is not a `u64`.
    Seed,
    /// `policy=` names no policy.
    Policy,
    /// `node=` or `nodes=` is refused.
    Node(NodeArgError<'a>),
    /// A size after an activation.
    SizeAfterActivation,
    /// More than 17 sizes.
    TooManySizes,
    /// A size too large for a `usize`.
    SizeOutOfRange,
    /// A token that is no size, activation or `key=value`.
    Activation,
    /// More than 16 activations.
    TooManyActivations,
    /// Fewer than 2 sizes, or not one activation per layer.
    Shape,
    /// A size not in `1..=4096` ([`Plan::new`]).
    Plan(PlanError),
}

impl fmt::Display for CreateError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreateError::NotText => f.write_str("not text"),
            CreateError::Seed => f.write_str("seed is not a number"),
            CreateError::Policy => f.write_str(NumaPolicy::UNKNOWN),
            CreateError::Node(NodeArgError::NotNumber) => f.write_str("node is not a number"),
            &CreateError::Node(NodeArgError::OutOfRange { node, limit }) => {
                let e = NodeListError::OutOfRange { node, limit };
                write!(f, "node={node}: {e}")
            }
            CreateError::Node(NodeArgError::List { text, error }) => {
                write!(f, "nodes={text}: {error}")
            }
            CreateError::SizeAfterActivation => f.write_str("sizes come before activations"),
            CreateError::TooManySizes => f.write_str("more than 17 sizes"),
            CreateError::SizeOutOfRange => f.write_str("size out of range"),
            CreateError::Activation => {
                f.write_str("unknown activation (linear, relu, sigmoid, tanh)")
            }
            CreateError::TooManyActivations => f.write_str("more than 16 activations"),
            CreateError::Shape => {
                f.write_str("expected sizes [in, hidden..., out] then one activation per layer")
            }
            CreateError::Plan(e) => f.write_str(e.reason()),
        }
    }
}

impl<'a> CreateLine<'a> {
    /// Reads a `create` line; node ids must be below `max_nodes` (`MAX_NUMNODES`).
    ///
    /// # Errors
    ///
    /// The first [`CreateError`] from the left; then [`CreateError::Shape`] or
    /// [`CreateError::Plan`] for the sizes and activations as a whole.
    pub fn parse(line: &'a [u8], max_nodes: u32) -> Result<Self, CreateError<'a>> {
        let line = core::str::from_utf8(line).map_err(|_| CreateError::NotText)?;
        let mut dims = [0usize; MAX_LAYERS + 1];
        let mut acts = [Activation::Linear; MAX_LAYERS];
        let (mut nd, mut na, mut seed) = (0, 0, None);
        let (mut policy, mut node, mut nodes) = (None, None, None);
        for tok in line.split_ascii_whitespace() {
            if let Some(v) = tok.strip_prefix("seed=") {
                seed = Some(v.parse::<u64>().map_err(|_| CreateError::Seed)?);
            } else if let Some(v) = tok.strip_prefix("policy=") {
                policy = Some(NumaPolicy::from_name(v).ok_or(CreateError::Policy)?);
            } else if let Some(v) = tok.strip_prefix("node=") {
                node = Some(parse_node_arg(v, max_nodes).map_err(CreateError::Node)?);
            } else if let Some(v) = tok.strip_prefix("nodes=") {
                nodes = Some(parse_nodes_arg(v, max_nodes).map_err(CreateError::Node)?);
            } else if tok.bytes().all(|c| c.is_ascii_digit()) {
                if na > 0 {
                    return Err(CreateError::SizeAfterActivation);
                }
                let slot = dims.get_mut(nd).ok_or(CreateError::TooManySizes)?;
                *slot = tok.parse().map_err(|_| CreateError::SizeOutOfRange)?;
                nd += 1;
            } else {
                let a = Activation::from_name(tok).ok_or(CreateError::Activation)?;
                let slot = acts.get_mut(na).ok_or(CreateError::TooManyActivations)?;
                *slot = a;
                na += 1;
            }
        }
        if nd < 2 || na + 1 != nd {
            return Err(CreateError::Shape);
        }
        // `nd <= 17` and `na = nd - 1 <= 16`: both ranges are in bounds.
        let (dims, acts) = (
            dims.get(..nd).ok_or(CreateError::Shape)?,
            acts.get(..na).ok_or(CreateError::Shape)?,
        );
        let plan = Plan::new(dims, acts).map_err(CreateError::Plan)?;
        Ok(Self {
            plan,
            seed,
            policy,
            node,
            nodes,
        })
    }

    /// Whether the line gives a placement (any of `policy=`, `node=`, `nodes=`).
    pub fn places(&self) -> bool {
        self.policy.is_some() || self.node.is_some() || self.nodes.is_some()
    }
}

/// The line in its canonical form: the sizes, the activations, then `seed=`, `policy=`,
/// `node=` and `nodes=` (the list as [`NodeMask`] writes it) where given.
impl fmt::Display for CreateLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layers = self.plan.layers();
        write!(f, "{}", self.plan.input_dim())?;
        for l in layers {
            write!(f, " {}", l.outputs)?;
        }
        for l in layers {
            write!(f, " {}", l.activation.name())?;
        }
        if let Some(s) = self.seed {
            write!(f, " seed={s}")?;
        }
        if let Some(p) = self.policy {
            write!(f, " policy={}", p.name())?;
        }
        if let Some(n) = self.node {
            write!(f, " node={n}")?;
        }
        if let Some((mask, _)) = self.nodes {
            write!(f, " nodes={mask}")?;
        }
        Ok(())
    }
}
