// SPDX-License-Identifier: GPL-2.0

//! `remove`: write a network's id (`echo 3 > remove`) to remove `network_<id>/` and free
//! the network once its open files are closed. An id that is not a number or names no
//! network: `-EINVAL` / `-ENOENT`; a network made by another module through the exported
//! API: `-EBUSY` (its module destroys it); nothing changes.

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
use super::Registry;
use crate::network::Owner;

/// The file's data.
pub(crate) struct RemoveFile(pub(crate) Arc<Registry>);

/// Parses a decimal id (of a network, or of a node for `evacuate`), surrounding
/// whitespace allowed.
pub(super) fn parse_id(b: &[u8]) -> Option<u32> {
    let s = core::str::from_utf8(b).ok()?.trim();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl DebugFile for RemoveFile {
    type State = Arc<Registry>;
    const READ: bool = false;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<Arc<Registry>> {
        Ok(this.0.clone())
    }

    fn write(registry: &mut Arc<Registry>, input: UserSliceReader, len: usize) -> Result<usize> {
        let bytes = read_input(input, len, 32).inspect_err(|_| {
            pr_err!("remove: expected a network id\n");
        })?;
        let Some(id) = parse_id(&bytes) else {
            pr_err!("remove: expected a network id\n");
            return Err(EINVAL);
        };
        registry.remove(id, Owner::SELF).inspect_err(|&e| {
            if e == ENOENT {
                pr_err!("remove: no network_{}\n", id);
            }
        })?;
        Ok(len)
    }
}
