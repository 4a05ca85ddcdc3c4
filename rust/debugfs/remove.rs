// SPDX-License-Identifier: GPL-2.0

//! `remove`: write a network's id (`echo 3 > remove`) to remove `network_<id>/` and free
//! the network once its open files are closed. An id that is not a number or names no
//! network: `-EINVAL` / `-ENOENT`; a network made by another module through the exported
//! API: `-EBUSY` (its module destroys it); nothing changes. The write itself is
//! [`super::id_file`]'s.

use kernel::prelude::*;
use kernel::sync::Arc;

use super::id_file::IdCommand;
use super::Registry;
use crate::network::Owner;

/// The file's data.
pub(crate) struct RemoveFile(pub(crate) Arc<Registry>);

impl IdCommand for RemoveFile {
    const NAME: &'static str = "remove";
    const WHAT: &'static str = "a network id";

    fn registry(&self) -> &Arc<Registry> {
        &self.0
    }

    fn run(registry: &Registry, id: u32) -> Result {
        registry.remove(id, Owner::SELF).inspect_err(|&e| {
            if e == ENOENT {
                pr_err!("remove: no network_{}\n", id);
            }
        })
    }
}
