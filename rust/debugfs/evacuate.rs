// SPDX-License-Identifier: GPL-2.0

//! `evacuate`: write a node id (`echo 1 > evacuate`) to move every network with memory on
//! that node off it ([`Registry::evacuate`]): each keeps its policy over the rest of its
//! mask, or goes to the nearest node with memory; a network that may only be on that
//! node (`bind` or `replicate` to it alone) is logged and left in place. The networks
//! serve predictions throughout.
//!
//! An id that is not a number, or names no online node: `-EINVAL`, nothing moves. A move
//! that fails (`-ENOMEM`, `-ENOSPC`) leaves that network where it was; the others are
//! still tried and the write returns the first error. The write itself is
//! [`super::id_file`]'s.

use kernel::prelude::*;
use kernel::sync::Arc;

use super::id_file::IdCommand;
use super::Registry;
use crate::numa::topology::{
    self,
    NodeState, //
};

/// The file's data.
pub(crate) struct EvacuateFile(pub(crate) Arc<Registry>);

impl IdCommand for EvacuateFile {
    const NAME: &'static str = "evacuate";
    const WHAT: &'static str = "a node id";

    fn registry(&self) -> &Arc<Registry> {
        &self.0
    }

    fn run(registry: &Registry, id: u32) -> Result {
        let node = topology::node_of(id)
            .filter(|&n| topology::node_state(n, NodeState::Online))
            .ok_or_else(|| {
                pr_err!("evacuate: node {} is not online\n", id);
                EINVAL
            })?;
        registry.evacuate(node)?;
        Ok(())
    }
}
