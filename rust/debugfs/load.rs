// SPDX-License-Identifier: GPL-2.0

//! `load`: write a model blob to create a network; read the id of the last one loaded.
//!
//! One open file carries one blob, in any number of `write()`s (`cat model.nnm > load`).
//! The header is judged as its bytes arrive: a wrong magic, version or header length
//! fails the write that brings it, before the rest of that write is even read from user
//! space. Once the 32-byte header is in, its fixed fields are checked and its declared
//! length (at most 64 MiB) tells when the blob is complete; the blob's memory is then
//! allocated once, at that length, and each write is copied straight into it. The write
//! that completes it parses the whole blob and creates `network_<id>/`. Every error fails
//! the `write()` that finds it with `-EINVAL` (`-EFBIG` for a declared length above
//! 64 MiB, `-ENOMEM`), names the reason in the kernel log and leaves the networks as they
//! were; the rest of that open file's writes then fail too. A blob cut short is discarded
//! at `close()` with a log line (`close` cannot report an error).
//!
//! Reading gives the id of the network loaded last (by any writer), or `none`.

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

use super::file::{
    read_snapshot,
    DebugFile,
    Text, //
};
use crate::model::{
    check_prefix,
    declared_len,
    ParseError,
    HEADER_LEN, //
};
use crate::registry::Registry;

/// The file's data.
pub(crate) struct LoadFile(pub(crate) Arc<Registry>);

/// Where an open file is.
pub(crate) enum Phase {
    /// Taking bytes; the declared length once the header is in.
    Receiving(Option<usize>),
    /// A network was created, or the blob was rejected: no more writes.
    Done,
}

/// An open `load` file.
pub(crate) struct LoadState {
    registry: Arc<Registry>,
    blob: KVVec<u8>,
    phase: Phase,
    text: Option<Text>,
}

/// Logs why a blob was rejected; `EFBIG` for a declared length above 64 MiB, else
/// `EINVAL`.
fn rejected(e: ParseError) -> Error {
    pr_err!("load: model rejected: {}\n", e.reason());
    if e == ParseError::TooLarge {
        EFBIG
    } else {
        EINVAL
    }
}

impl LoadState {
    fn take(&mut self, mut input: UserSliceReader, len: usize) -> Result {
        let Phase::Receiving(declared) = self.phase else {
            pr_err!("load: one model per open file; this one is done\n");
            return Err(EINVAL);
        };
        let declared = match declared {
            Some(d) => d,
            None => {
                // The header's bytes first, judged as they arrive: a file that is not a
                // model of this version fails at its first bytes, whatever its length.
                let mut head = [0u8; HEADER_LEN];
                let want = HEADER_LEN.saturating_sub(self.blob.len()).min(len);
                // PANIC: `want <= HEADER_LEN`.
                let head = &mut head[..want];
                input.read_slice(head)?;
                self.blob.extend_from_slice(head, GFP_KERNEL)?;
                check_prefix(&self.blob).map_err(rejected)?;
                if self.blob.len() < HEADER_LEN {
                    return Ok(());
                }
                let d = declared_len(&self.blob).map_err(rejected)?;
                self.phase = Phase::Receiving(Some(d));
                d
            }
        };
        let room = declared - self.blob.len();
        if input.len() > room {
            pr_err!(
                "load: model rejected: longer than its declared {} bytes\n",
                declared
            );
            return Err(EINVAL);
        }
        if !input.is_empty() {
            // One allocation of the declared length (at most 64 MiB, checked with the
            // header), then each write is copied from user space straight into it.
            self.blob.reserve(room, GFP_KERNEL)?;
            input.read_all(&mut self.blob, GFP_KERNEL)?;
        }
        if self.blob.len() == declared {
            let blob = core::mem::take(&mut self.blob);
            self.phase = Phase::Done;
            self.registry.load(&blob, "load")?;
        }
        Ok(())
    }
}

/// Writes the id of the network created last and a newline, or `none`: what reading
/// `load` or `create` gives.
pub(super) fn write_last_created(registry: &Registry, t: &mut Text) -> Result {
    match registry.last_created() {
        Some(id) => t.push_fmt(fmt!("{id}\n")),
        None => t.push_bytes(b"none\n"),
    }
}

impl DebugFile for LoadFile {
    type State = LoadState;
    const READ: bool = true;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<LoadState> {
        Ok(LoadState {
            registry: this.0.clone(),
            blob: KVVec::new(),
            phase: Phase::Receiving(None),
            text: None,
        })
    }

    fn write(state: &mut LoadState, input: UserSliceReader, len: usize) -> Result<usize> {
        state.take(input, len).inspect_err(|_| {
            state.phase = Phase::Done;
            state.blob = KVVec::new();
        })?;
        Ok(len)
    }

    fn read(state: &mut LoadState, out: &mut UserSliceWriter, pos: &mut Offset) -> Result<usize> {
        let registry = &state.registry;
        read_snapshot(&mut state.text, out, pos, |t| {
            write_last_created(registry, t)
        })
    }

    fn release(state: LoadState) {
        if let Phase::Receiving(declared) = state.phase {
            if !state.blob.is_empty() {
                pr_err!(
                    "load: model rejected: truncated ({} of {} bytes); nothing loaded\n",
                    state.blob.len(),
                    declared.unwrap_or(HEADER_LEN)
                );
            }
        }
    }
}
