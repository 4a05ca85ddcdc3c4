// SPDX-License-Identifier: GPL-2.0

//! The text that debugfs files read and write: a snapshot an open file serves to `read`
//! ([`Text`], [`read_snapshot`]), a `write()`'s bytes read whole ([`read_input`]) or a
//! line at a time across writes ([`Lines`]; `pure/lines.rs` numbers them). The files
//! themselves are made by [`super::file`].

use kernel::fs::file::Offset;
use kernel::prelude::*;
use kernel::uaccess::{
    UserSliceReader,
    UserSliceWriter, //
};

/// A text snapshot that an open file serves to `read` (as `seq_file`'s `single_open`).
pub(crate) struct Text(KVVec<u8>);

impl Text {
    /// An empty text.
    pub(crate) fn new() -> Self {
        Self(KVVec::new())
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Drops the bytes from `len` on (nothing if it is shorter).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Appends raw bytes.
    pub(crate) fn push_bytes(&mut self, b: &[u8]) -> Result {
        self.0.extend_from_slice(b, GFP_KERNEL)?;
        Ok(())
    }

    /// Appends formatted text (`fmt!`).
    pub(crate) fn push_fmt(&mut self, args: core::fmt::Arguments<'_>) -> Result {
        core::fmt::Write::write_fmt(self, args).map_err(|_| ENOMEM)
    }

    /// Serves `read` at `*pos`.
    pub(crate) fn read(&self, out: &mut UserSliceWriter, pos: &mut Offset) -> Result<usize> {
        out.write_slice_file(&self.0, pos)
    }
}

impl core::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

/// Serves `read` from `snapshot`, which `make` fills at the first read of an open file
/// (so one `read()` loop sees one consistent text).
pub(crate) fn read_snapshot(
    snapshot: &mut Option<Text>,
    out: &mut UserSliceWriter,
    pos: &mut Offset,
    make: impl FnOnce(&mut Text) -> Result,
) -> Result<usize> {
    if snapshot.is_none() {
        let mut t = Text::new();
        make(&mut t)?;
        *snapshot = Some(t);
    }
    snapshot.as_ref().map_or(Ok(0), |t| t.read(out, pos))
}

/// Reads all of a `write()`'s bytes (at most `max`) into a new buffer.
///
/// # Errors
///
/// `EFBIG` beyond `max`, `ENOMEM`, `EFAULT`.
pub(crate) fn read_input(input: UserSliceReader, len: usize, max: usize) -> Result<KVVec<u8>> {
    if len > max {
        return Err(EFBIG);
    }
    let mut buf = KVVec::with_capacity(len, GFP_KERNEL)?;
    input.read_all(&mut buf, GFP_KERNEL)?;
    Ok(buf)
}

/// Text that arrives in `write()`s and is used a line at a time: a line may be split
/// across writes; the part after the last newline waits for the next write (or `close`).
pub(crate) struct Lines {
    pending: KVVec<u8>,
    done: usize,
}

/// Complete lines taken from a [`Lines`], not yet committed.
pub(crate) struct Taken {
    /// The complete lines, newline-separated, without the last newline.
    pub(crate) lines: KVVec<u8>,
    /// The number of the first line (from 1).
    pub(crate) first_line: usize,
    complete: bool,
    rest: KVVec<u8>,
}

impl Lines {
    /// No text yet.
    pub(crate) fn new() -> Self {
        Self {
            pending: KVVec::new(),
            done: 0,
        }
    }

    /// The complete lines that `bytes` finishes (none if it has no newline). Nothing
    /// changes until [`Lines::commit`]: a caller that fails leaves the state as it was.
    ///
    /// # Errors
    ///
    /// `EFBIG` if more than `max` bytes come without a newline; `ENOMEM`.
    pub(crate) fn take(&self, bytes: &[u8], max: usize) -> Result<Taken> {
        let mut lines = KVVec::new();
        let mut rest = KVVec::new();
        let complete = match bytes.iter().rposition(|&c| c == b'\n') {
            Some(nl) => {
                lines.extend_from_slice(&self.pending, GFP_KERNEL)?;
                lines.extend_from_slice(&bytes[..nl], GFP_KERNEL)?;
                rest.extend_from_slice(&bytes[nl + 1..], GFP_KERNEL)?;
                true
            }
            None => {
                if self.pending.len() + bytes.len() > max {
                    return Err(EFBIG);
                }
                rest.extend_from_slice(&self.pending, GFP_KERNEL)?;
                rest.extend_from_slice(bytes, GFP_KERNEL)?;
                false
            }
        };
        if rest.len() > max {
            return Err(EFBIG);
        }
        Ok(Taken {
            lines,
            first_line: self.done + 1,
            complete,
            rest,
        })
    }

    /// Accepts what [`Lines::take`] returned as used.
    pub(crate) fn commit(&mut self, t: Taken) {
        if t.complete {
            self.done += t.lines.iter().filter(|&&c| c == b'\n').count() + 1;
        }
        self.pending = t.rest;
    }

    /// At `close`: the last line if it had no newline, and its number.
    pub(crate) fn last(&self) -> Option<(&[u8], usize)> {
        let blank = self.pending.iter().all(|c| c.is_ascii_whitespace());
        (!blank).then_some((&self.pending[..], self.done + 1))
    }
}
