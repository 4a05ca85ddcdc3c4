// SPDX-License-Identifier: GPL-2.0

//! `evacuate`: write a node id (`echo 1 > evacuate`) to move every network with memory on
//! that node off it ([`Registry::evacuate`]): each keeps its policy over the rest of its
//! mask, or goes to the nearest node with memory; a network that may only be on that
//! node (`bind` or `replicate` to it alone) is logged and left in place. The networks
//! serve predictions throughout.
//!
//! An id that is not a number, or names no online node: `-EINVAL`, nothing moves. A move
//! that fails (`-ENOMEM`, `-ENOSPC`) leaves that network where it was; the others are
//! still tried and the write returns the first error.

use kernel::prelude::*;
use kernel::sync::{
    Arc,
    ArcBorrow, //
};
use kernel::uaccess::UserSliceReader;

use super::file::{
    read_input,
    DebugFile, //
};
use super::remove::parse_id;
use super::Registry;
use crate::numa::topology::{
    self,
    NodeState, //
};

/// The file's data.
pub(crate) struct EvacuateFile(pub(crate) Arc<Registry>);

impl DebugFile for EvacuateFile {
    type State = Arc<Registry>;
    const READ: bool = false;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<Arc<Registry>> {
        Ok(this.0.clone())
    }

    fn write(registry: &mut Arc<Registry>, input: UserSliceReader, len: usize) -> Result<usize> {
        let bytes = read_input(input, len, 32).inspect_err(|_| {
            pr_err!("evacuate: expected a node id\n");
        })?;
        let Some(id) = parse_id(&bytes) else {
            pr_err!("evacuate: expected a node id\n");
            return Err(EINVAL);
        };
        let node = topology::node_of(id)
            .filter(|&n| topology::node_state(n, NodeState::Online))
            .ok_or_else(|| {
                pr_err!("evacuate: node {} is not online\n", id);
                EINVAL
            })?;
        registry.evacuate(node)?;
        Ok(len)
    }
}
