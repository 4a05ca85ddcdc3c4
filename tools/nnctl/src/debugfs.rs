// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs directory, as the administrator's commands use it: reading its
//! reports, writing to its files in one `write()`, and errors that say what is wrong
//! (debugfs not mounted, the module not loaded, no such network, not root, the kernel
//! refusing a write).
//!
//! Writing and reading back through one open file (`load`, `predict`): the module's write
//! callbacks ignore the file position, so after a write the position is still 0 and a read
//! on the same file gives the open file's own result (`exec 3<>load; cat m.nnm >&3; cat
//! <&3`). Nothing seeks: on a regular file (the tests' fake directories) the read goes on
//! from where the write ended.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::Result;

/// Where the module's files are.
pub const DEFAULT_DIR: &str = "/sys/kernel/debug/neural_network";

/// The most one `write()` of `predict` takes (the module's limit: 16 MiB).
pub const PREDICT_WRITE_MAX: usize = 16 << 20;

/// What an errno means for a file: (errno, explanation).
pub type Hints<'a> = &'a [(i32, &'a str)];

/// The module's debugfs directory.
pub struct Debugfs {
    dir: PathBuf,
    /// The mount table (`/proc/mounts`; `NNCTL_MOUNTS` for the tests).
    mounts: PathBuf,
    /// The module's sysfs directory (`/sys/module/neural_network`; `NNCTL_MODULE_DIR`).
    module: PathBuf,
}

/// The name of an errno, for the few a debugfs file gives.
fn errno_name(code: i32) -> Option<&'static str> {
    Some(match code {
        1 => "EPERM",
        2 => "ENOENT",
        4 => "EINTR",
        5 => "EIO",
        12 => "ENOMEM",
        13 => "EACCES",
        16 => "EBUSY",
        21 => "EISDIR",
        22 => "EINVAL",
        27 => "EFBIG",
        28 => "ENOSPC",
        30 => "EROFS",
        _ => return None,
    })
}

/// `Invalid argument (EINVAL)`: the error's text without std's `(os error N)`, and its
/// errno's name.
pub fn describe(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    match e.raw_os_error().and_then(errno_name) {
        Some(name) => format!("{text} ({name})"),
        None => text,
    }
}

impl Debugfs {
    /// The directory `dir`.
    pub fn new(dir: PathBuf) -> Self {
        let env = |k: &str, d: &str| PathBuf::from(std::env::var_os(k).unwrap_or_else(|| d.into()));
        Self {
            dir,
            mounts: env("NNCTL_MOUNTS", "/proc/mounts"),
            module: env("NNCTL_MODULE_DIR", "/sys/module/neural_network"),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether a debugfs is mounted anywhere.
    fn debugfs_mounted(&self) -> bool {
        std::fs::read_to_string(&self.mounts)
            .map(|m| {
                m.lines()
                    .any(|l| l.split_whitespace().nth(2) == Some("debugfs"))
            })
            .unwrap_or(false)
    }

    /// Why the directory cannot be read: not root, debugfs not mounted, the module not
    /// loaded, or the wrong directory.
    fn missing_dir(&self, e: &std::io::Error) -> String {
        let dir = self.dir.display();
        if e.kind() == ErrorKind::PermissionDenied {
            return format!("{dir}: permission denied (debugfs is for root: run nnctl as root)");
        }
        let mut why = Vec::new();
        if !self.debugfs_mounted() {
            why.push("debugfs is not mounted (mount -t debugfs none /sys/kernel/debug)");
        }
        if !self.module.exists() {
            why.push("the neural_network module is not loaded (modprobe neural_network)");
        }
        if why.is_empty() {
            return format!(
                "{dir}: {} (the module is loaded and debugfs mounted: is --debugfs right?)",
                describe(e)
            );
        }
        why.join("\nnnctl: ")
    }

    /// Checks that the directory is there.
    pub fn check(&self) -> Result<()> {
        match std::fs::read_dir(&self.dir) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.missing_dir(&e)),
        }
    }

    /// `network_<id>`, relative to the directory.
    pub fn network(&self, id: u32) -> Result<String> {
        self.check()?;
        let name = format!("network_{id}");
        if !self.dir.join(&name).is_dir() {
            return Err(format!("no network {id} (ls {})", self.dir.display()));
        }
        Ok(name)
    }

    /// The ids of the networks, in order.
    pub fn networks(&self) -> Result<Vec<u32>> {
        self.check()?;
        let rd = std::fs::read_dir(&self.dir).map_err(|e| self.missing_dir(&e))?;
        let mut ids: Vec<u32> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix("network_"))
                    .and_then(|n| n.parse().ok())
            })
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// The message of an error on `file` (relative to the directory), with what `hints`
    /// says of its errno.
    fn failed(&self, file: &str, what: &str, e: &std::io::Error, hints: Hints) -> String {
        let path = self.dir.join(file);
        if e.kind() == ErrorKind::PermissionDenied {
            return format!(
                "{}: permission denied ({file} is for root: run nnctl as root)",
                path.display()
            );
        }
        if e.kind() == ErrorKind::NotFound && self.check().is_err() {
            return self.check().unwrap_err();
        }
        let hint = e
            .raw_os_error()
            .and_then(|c| hints.iter().find(|h| h.0 == c))
            .map(|h| format!(": {}", h.1))
            .unwrap_or_default();
        format!("{}: {what}: {}{hint}", path.display(), describe(e))
    }

    fn open(&self, file: &str, write: bool) -> Result<File> {
        self.check()?;
        OpenOptions::new()
            .read(true)
            .write(write)
            .open(self.dir.join(file))
            .map_err(|e| self.failed(file, "open", &e, &[]))
    }

    /// Reads `file` whole (one open: one snapshot of a report).
    pub fn read(&self, file: &str) -> Result<String> {
        let mut text = String::new();
        self.open(file, false)?
            .read_to_string(&mut text)
            .map_err(|e| self.failed(file, "read", &e, &[]))?;
        Ok(text)
    }

    /// Reads `file` if it exists (`numa_info` without `CONFIG_NEURAL_NETWORK_NUMA`).
    pub fn read_optional(&self, file: &str) -> Result<Option<String>> {
        self.check()?;
        if !self.dir.join(file).exists() {
            return Ok(None);
        }
        self.read(file).map(Some)
    }

    /// Writes to `file` one `write()` per piece of `pieces`, then reads what the same open
    /// file gives back (`None`: writes only).
    fn exchange(
        &self,
        file: &str,
        pieces: &[&[u8]],
        read_back: bool,
        hints: Hints,
    ) -> Result<Option<String>> {
        let mut f = self.open(file, true)?;
        for p in pieces {
            match f.write(p) {
                Ok(n) if n == p.len() => {}
                Ok(n) => {
                    return Err(format!(
                        "{}: write: the kernel took {n} of {} bytes",
                        self.dir.join(file).display(),
                        p.len()
                    ))
                }
                Err(e) => return Err(self.failed(file, "write", &e, hints)),
            }
        }
        if !read_back {
            return Ok(None);
        }
        let mut text = String::new();
        f.read_to_string(&mut text)
            .map_err(|e| self.failed(file, "read", &e, hints))?;
        Ok(Some(text))
    }

    /// Writes `data` to `file` in one `write()`.
    pub fn write(&self, file: &str, data: &[u8], hints: Hints) -> Result<()> {
        self.exchange(file, &[data], false, hints).map(|_| ())
    }

    /// Writes `pieces` to `file`, one `write()` each, on a file opened read-write, and
    /// reads back what that open file gives.
    pub fn write_read(&self, file: &str, pieces: &[&[u8]], hints: Hints) -> Result<String> {
        self.exchange(file, pieces, true, hints)
            .map(Option::unwrap_or_default)
    }
}

/// `text` cut after newlines into pieces of at most `max` bytes (a line longer than that
/// is a piece of its own).
pub fn line_pieces(text: &[u8], max: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let cut = rest[..max]
            .iter()
            .rposition(|&c| c == b'\n')
            .map(|i| i + 1)
            .or_else(|| rest.iter().position(|&c| c == b'\n').map(|i| i + 1))
            .unwrap_or(rest.len());
        let (a, b) = rest.split_at(cut);
        pieces.push(a);
        rest = b;
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_at_newlines() {
        assert_eq!(line_pieces(b"", 4), Vec::<&[u8]>::new());
        assert_eq!(line_pieces(b"ab\ncd\n", 100), vec![&b"ab\ncd\n"[..]]);
        assert_eq!(
            line_pieces(b"ab\ncd\nef\n", 7),
            vec![&b"ab\ncd\n"[..], &b"ef\n"[..]]
        );
        assert_eq!(
            line_pieces(b"abcdefgh\nx\n", 4),
            vec![&b"abcdefgh\n"[..], &b"x\n"[..]]
        );
    }

    #[test]
    fn errors_name_the_errno() {
        let e = std::io::Error::from_raw_os_error(22);
        assert_eq!(describe(&e), "Invalid argument (EINVAL)");
    }
}
