// SPDX-License-Identifier: GPL-2.0

//! The write-only files that take one decimal id per `write()` and act on it: `remove`
//! (a network id) and `evacuate` (a node id). One handler serves both: a type that
//! implements [`IdCommand`] is a [`DebugFile`] whose write reads the id (at most 32 bytes,
//! surrounding whitespace allowed: `pure/id_line.rs`, which the host fuzzes) and runs the
//! command on it.
//!
//! A write that is not an id: `-EINVAL` with the log line `<file>: expected <what>`, and
//! nothing changes; otherwise the command's own result, and the whole write is consumed.

use kernel::prelude::*;
use kernel::sync::{
    Arc,
    ArcBorrow, //
};
use kernel::uaccess::UserSliceReader;

use super::file::DebugFile;
use super::text::read_input;
use super::Registry;
use crate::pure::id_line::{
    parse_id,
    ID_LINE_MAX, //
};

/// A file of [`super::id_file`]: what its id names and what it does with it.
pub(crate) trait IdCommand: Send + Sync + Sized + 'static {
    /// The file's name, which starts each log line.
    const NAME: &'static str;
    /// What the id names, as the log says it expects (`a network id`).
    const WHAT: &'static str;

    /// The registry the command acts on.
    fn registry(&self) -> &Arc<Registry>;

    /// Acts on `id`.
    ///
    /// # Errors
    ///
    /// The command's, each with its own log line.
    fn run(registry: &Registry, id: u32) -> Result;
}

impl<T: IdCommand> DebugFile for T {
    type State = Arc<Registry>;
    const READ: bool = false;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<Arc<Registry>> {
        Ok(this.registry().clone())
    }

    fn write(registry: &mut Arc<Registry>, input: UserSliceReader, len: usize) -> Result<usize> {
        let bytes = read_input(input, len, ID_LINE_MAX).inspect_err(|_| {
            pr_err!("{}: expected {}\n", T::NAME, T::WHAT);
        })?;
        let Ok(id) = parse_id(&bytes) else {
            pr_err!("{}: expected {}\n", T::NAME, T::WHAT);
            return Err(EINVAL);
        };
        T::run(registry, id)?;
        Ok(len)
    }
}
