// SPDX-License-Identifier: GPL-2.0

//! `load`: write a model blob to create a network; read the id of the last one loaded.
//! `network_<id>/replace` ([`ReplaceFile`]): write a model blob to replace that
//! network's model (`network/swap.rs`), received the same way.
//!
//! One open file carries one blob, in any number of `write()`s (`cat model.nnm > load`).
//! The header is judged as its bytes arrive: a wrong magic, version or header length
//! fails the write that brings it, before the rest of that write is even read from user
//! space. Once the 32-byte header is in, its fixed fields are checked and its declared
//! length (at most 128 MiB) tells when the blob is complete; the write that completes it
//! parses the whole blob and creates `network_<id>/`. Every error fails the `write()` that
//! finds it with `-EINVAL` (`-EFBIG` for a declared length above 128 MiB, `-ENOMEM`), names
//! the reason in the kernel log and leaves the networks as they were; the rest of that
//! open file's writes then fail too. A blob cut short is discarded at `close()` with a log
//! line (`close` cannot report an error).
//!
//! The header is kept apart; once it is in, the whole blob's buffer (its declared length,
//! at most 128 MiB) is allocated at once with `NodeVec`, so with `__GFP_RETRY_MAYFAIL`: a
//! machine short of memory fails the write with `-ENOMEM` rather than invoke the OOM
//! killer. Each write's bytes are copied from user space straight into it.
//!
//! Reading gives the id of the network that this open file created, if it created one
//! (`exec 3<>load; cat model.nnm >&3; cat <&3`: concurrent loaders each read their own);
//! otherwise that of the network created last by any writer (`load`, `load_firmware` or
//! `create`), or `none`.

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
use super::text::{
    read_snapshot,
    Text, //
};
use super::Registry;
use crate::network::{
    Network,
    Owner, //
};
use crate::numa::mem::{
    NodeVec,
    Where, //
};
use crate::pure::model::{
    check_prefix,
    declared_len,
    ParseError,
    HEADER_LEN, //
};

/// The file's data.
pub(crate) struct LoadFile(pub(crate) Arc<Registry>);

/// `network_<id>/replace`'s data.
pub(crate) struct ReplaceFile(pub(crate) Arc<Network>);

/// What a complete blob is for.
enum Sink {
    /// `load`: a new network.
    Load(Arc<Registry>),
    /// `replace`: this network's new model.
    Replace(Arc<Network>),
}

impl Sink {
    /// The file's name, which starts its log lines.
    fn what(&self) -> &'static str {
        match self {
            Sink::Load(_) => "load",
            Sink::Replace(_) => "replace",
        }
    }
}

/// Where an open file is.
pub(crate) enum Phase {
    /// Taking bytes; the declared length once the header is in.
    Receiving(Option<usize>),
    /// A network was created, or the blob was rejected: no more writes.
    Done,
}

/// An open `load` file.
pub(crate) struct LoadState {
    sink: Sink,
    /// The first bytes, until the header is in.
    head: [u8; HEADER_LEN],
    head_len: usize,
    /// Once the header is in: the blob, of its declared length, and the bytes in it.
    blob: Option<NodeVec<u8>>,
    filled: usize,
    phase: Phase,
    /// The network this open file created.
    created: Option<u32>,
    text: Option<Text>,
}

/// Logs why a blob was rejected (`what`: the file); `EFBIG` for a declared length above
/// 128 MiB, else `EINVAL`.
fn rejected(what: &str, e: ParseError) -> Error {
    pr_err!("{}: model rejected: {}\n", what, e.reason());
    if e == ParseError::TooLarge {
        EFBIG
    } else {
        EINVAL
    }
}

impl LoadState {
    /// The bytes taken so far.
    fn received(&self) -> usize {
        if self.blob.is_some() {
            self.filled
        } else {
            self.head_len
        }
    }

    fn take(&mut self, mut input: UserSliceReader, len: usize) -> Result {
        let what = self.sink.what();
        let rejected = |e| rejected(what, e);
        let Phase::Receiving(_) = self.phase else {
            pr_err!("{}: one model per open file; this one is done\n", what);
            return Err(EINVAL);
        };
        let mut left = len;
        if self.blob.is_none() {
            // The header's bytes first, judged as they arrive: a file that is not a
            // model of this version fails at its first bytes, whatever its length.
            let start = self.head_len;
            let n = left.min(HEADER_LEN - start);
            input.read_slice(&mut self.head[start..start + n])?;
            self.head_len += n;
            left -= n;
            check_prefix(&self.head[..self.head_len]).map_err(rejected)?;
            if self.head_len < HEADER_LEN {
                return Ok(());
            }
            let d = declared_len(&self.head).map_err(rejected)?;
            if HEADER_LEN + left > d {
                pr_err!(
                    "{}: model rejected: longer than its declared {} bytes\n",
                    what,
                    d
                );
                return Err(EINVAL);
            }
            let mut blob = NodeVec::<u8>::zeroed(d, Where::Anywhere).inspect_err(|_| {
                pr_err!("{}: no memory for a blob of {} bytes\n", what, d);
            })?;
            blob[..HEADER_LEN].copy_from_slice(&self.head);
            self.blob = Some(blob);
            self.filled = HEADER_LEN;
            self.phase = Phase::Receiving(Some(d));
        }
        let Some(blob) = self.blob.as_mut() else {
            return Err(EINVAL);
        };
        let to = self.filled + left;
        if to > blob.len() {
            pr_err!(
                "{}: model rejected: longer than its declared {} bytes\n",
                what,
                blob.len()
            );
            return Err(EINVAL);
        }
        input.read_slice(blob.get_mut(self.filled..to).ok_or(EINVAL)?)?;
        self.filled = to;
        if self.filled == blob.len() {
            let blob = self.blob.take();
            self.phase = Phase::Done;
            if let Some(blob) = blob {
                match &self.sink {
                    Sink::Load(registry) => {
                        self.created = Some(registry.load(&blob, "load", Owner::SELF)?);
                    }
                    Sink::Replace(net) => {
                        net.replace_model(&blob, "replace", Owner::SELF)?;
                    }
                }
                self.text = None;
            }
        }
        Ok(())
    }
}

/// Writes the id of the network `created` by this open file, else that of the network
/// created last, and a newline, or `none`: what reading `load` or `create` gives.
pub(super) fn write_last_created(
    registry: &Registry,
    created: Option<u32>,
    t: &mut Text,
) -> Result {
    match created.or_else(|| registry.last_created()) {
        Some(id) => t.push_fmt(fmt!("{id}\n")),
        None => t.push_bytes(b"none\n"),
    }
}

impl DebugFile for LoadFile {
    type State = LoadState;
    const READ: bool = true;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<LoadState> {
        Ok(LoadState::new(Sink::Load(this.0.clone())))
    }

    fn write(state: &mut LoadState, input: UserSliceReader, len: usize) -> Result<usize> {
        state.write(input, len)
    }

    fn read(state: &mut LoadState, out: &mut UserSliceWriter, pos: &mut Offset) -> Result<usize> {
        let Sink::Load(registry) = &state.sink else {
            return Err(EINVAL);
        };
        let created = state.created;
        read_snapshot(&mut state.text, out, pos, |t| {
            write_last_created(registry, created, t)
        })
    }

    fn release(state: LoadState) {
        state.release();
    }
}

impl DebugFile for ReplaceFile {
    type State = LoadState;
    const READ: bool = false;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<LoadState> {
        Ok(LoadState::new(Sink::Replace(this.0.clone())))
    }

    fn write(state: &mut LoadState, input: UserSliceReader, len: usize) -> Result<usize> {
        state.write(input, len)
    }

    fn release(state: LoadState) {
        state.release();
    }
}

impl LoadState {
    fn new(sink: Sink) -> Self {
        LoadState {
            sink,
            head: [0; HEADER_LEN],
            head_len: 0,
            blob: None,
            filled: 0,
            phase: Phase::Receiving(None),
            created: None,
            text: None,
        }
    }

    fn write(&mut self, input: UserSliceReader, len: usize) -> Result<usize> {
        self.take(input, len).inspect_err(|_| {
            self.phase = Phase::Done;
            self.blob = None;
        })?;
        Ok(len)
    }

    fn release(self) {
        if let Phase::Receiving(declared) = self.phase {
            if self.received() != 0 {
                pr_err!(
                    "{}: model rejected: truncated ({} of {} bytes); nothing {}\n",
                    self.sink.what(),
                    self.received(),
                    declared.unwrap_or(HEADER_LEN),
                    match self.sink {
                        Sink::Load(_) => "loaded",
                        Sink::Replace(_) => "replaced",
                    }
                );
            }
        }
    }
}
