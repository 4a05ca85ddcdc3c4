// SPDX-License-Identifier: GPL-2.0

//! debugfs files with per-open state, over the C `file_operations`.
//!
//! The kernel's Rust debugfs API has no `open`/`release` hooks and no per-open state, and
//! its write callbacks do not see the file position. The `load` file needs all three (a
//! model blob arrives over several `write()`s and is complete when the last byte is in),
//! as does `predict` (a line may be split across writes). So this file wraps the C API
//! directly: a type implements [`DebugFile`]; [`Dentry::file`] creates the file with a
//! `file_operations` table made for that type, whose `open` makes a [`DebugFile::State`]
//! that `read`, `write` and `release` then use.
//!
//! Lifetimes: the file's data is an `Arc<T>` whose reference is owned by the
//! [`FileEntry`]; every open file takes its own reference, because `release` may run after
//! the file was removed (debugfs calls it unconditionally; `i_private` is then stale).
//! Removal (`debugfs_remove`) waits for the `open`, `read` and `write` calls in flight.
//! The table's `owner` pins the module while a file is open.
//!
//! Who may open: a process with `CAP_SYS_ADMIN`, and no other ([`admin`]), whatever the
//! file's mode and the mount's let through. The modes (0600 for the files that take
//! commands, 0444 for the reports) are the first line; the check covers a uid-0 process
//! that dropped the capability (a container's root) and a debugfs mounted with wider
//! modes, and it is made at `open`, as the kernel's own administrative files do: a
//! descriptor an administrator opened and handed on keeps working.
//!
//! The text the files read and write (snapshots, input by lines, ids) is
//! [`super::text`]'s.
//!
//! Lock order: a file's state mutex is level 1, the outermost, in the crate root's list
//! (`neural_network_main.rs`).

use core::marker::PhantomData;

use kernel::bindings;
use kernel::ffi::{
    c_char,
    c_int,
    c_void, //
};
use kernel::fs::file::Offset;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    ArcBorrow,
    Mutex, //
};
use kernel::uaccess::{
    UserPtr,
    UserSlice,
    UserSliceReader,
    UserSliceWriter, //
};
use kernel::ModuleMetadata;

use crate::pure::num::i32_as_isize;

/// A debugfs file's behaviour.
pub(crate) trait DebugFile: Send + Sync + Sized + 'static {
    /// What each open file keeps.
    type State: Send + Unpin;
    /// The file has a `read`.
    const READ: bool;
    /// The file has a `write`.
    const WRITE: bool;

    /// Makes the state of a new open file.
    fn open(this: ArcBorrow<'_, Self>) -> Result<Self::State>;

    /// Copies what the open file has to say at `*pos` into `out`; returns the byte count.
    fn read(
        _state: &mut Self::State,
        _out: &mut UserSliceWriter,
        _pos: &mut Offset,
    ) -> Result<usize> {
        Err(EINVAL)
    }

    /// Takes the bytes of one `write()`; returns how many were consumed.
    fn write(_state: &mut Self::State, _input: UserSliceReader, _len: usize) -> Result<usize> {
        Err(EINVAL)
    }

    /// The file is closed (its last reference is gone); cannot fail.
    fn release(_state: Self::State) {}
}

/// Whether the current task has `CAP_SYS_ADMIN` (audited when it has not, as `capable`
/// does).
fn admin() -> bool {
    // SAFETY: `capable` only reads the current task's credentials; any context that may
    // sleep (an `open`) may call it.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) }
}

/// What `file->private_data` points to.
#[pin_data]
struct Open<T: DebugFile> {
    _data: Arc<T>,
    #[pin]
    state: Mutex<Option<T::State>>,
}

/// A debugfs dentry, removed (with everything below it) on drop.
///
/// # Invariants
///
/// `0` is a dentry returned by debugfs (or an error pointer, or null, which
/// `debugfs_remove` accepts), removed only by `drop`.
pub(crate) struct Dentry(*mut bindings::dentry);

// SAFETY: a dentry pointer may be used and removed from any thread.
unsafe impl Send for Dentry {}
// SAFETY: `&Dentry` only allows creating children, which debugfs serialises.
unsafe impl Sync for Dentry {}

impl Dentry {
    /// Creates a directory (under the debugfs root if `parent` is `None`).
    ///
    /// A failure (debugfs disabled or out of memory) is not an error, as everywhere in the
    /// kernel: the directory and the files below it just do not appear.
    pub(crate) fn dir(name: &CStr, parent: Option<&Dentry>) -> Self {
        let parent = parent.map_or(core::ptr::null_mut(), |p| p.0);
        // SAFETY: `name` is a valid C string; `parent` is null or a live dentry.
        Self(unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), parent) })
    }

    /// Creates file `name` with permissions `mode`, served by `data`.
    pub(crate) fn file<T: DebugFile>(&self, name: &CStr, mode: u16, data: Arc<T>) -> FileEntry<T> {
        let raw = Arc::into_raw(data);
        // SAFETY: `name` is a valid C string, `self.0` a live dentry, `Ops::<T>::FOPS` a
        // static table whose callbacks expect `i_private` to be an `Arc<T>` pointer, which
        // `raw` is and stays until the `FileEntry` has removed the file.
        let dentry = unsafe {
            bindings::debugfs_create_file_full(
                name.as_char_ptr(),
                mode,
                self.0,
                raw.cast_mut().cast(),
                core::ptr::null(),
                &Ops::<T>::FOPS,
            )
        };
        FileEntry {
            dentry: Self(dentry),
            data: raw,
            _type: PhantomData,
        }
    }
}

impl Drop for Dentry {
    fn drop(&mut self) {
        // SAFETY: the dentry (or error/null) from debugfs, removed once (type invariant).
        unsafe { bindings::debugfs_remove(self.0) };
    }
}

/// A file and the reference to its data; dropping it removes the file, then lets go.
///
/// # Invariants
///
/// `data` came from `Arc::into_raw` and this value owns that reference.
pub(crate) struct FileEntry<T: DebugFile> {
    dentry: Dentry,
    data: *const T,
    _type: PhantomData<Arc<T>>,
}

// SAFETY: owns a `Dentry` (Send) and an `Arc<T>` reference (Send as `T: Send + Sync`).
unsafe impl<T: DebugFile> Send for FileEntry<T> {}
// SAFETY: shared access reaches nothing.
unsafe impl<T: DebugFile> Sync for FileEntry<T> {}

impl<T: DebugFile> Drop for FileEntry<T> {
    fn drop(&mut self) {
        // Remove first: `debugfs_remove` waits for callbacks that still use `i_private`.
        // SAFETY: as in `Dentry::drop`; replaced by null so that the field's own drop is a
        // no-op.
        unsafe { bindings::debugfs_remove(core::mem::take(&mut self.dentry.0)) };
        // SAFETY: the reference from `Arc::into_raw`, owned by this value (type invariant),
        // given back once.
        drop(unsafe { Arc::from_raw(self.data) });
    }
}

/// The `file_operations` of a `T`.
struct Ops<T>(PhantomData<T>);

impl<T: DebugFile> Ops<T> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        owner: <crate::NeuralNetworkModule as ModuleMetadata>::THIS_MODULE.as_ptr(),
        open: Some(Self::open),
        release: Some(Self::release),
        read: if T::READ { Some(Self::read) } else { None },
        write: if T::WRITE { Some(Self::write) } else { None },
        llseek: Some(bindings::default_llseek),
        // SAFETY: all-zero is a valid `file_operations` (every other hook absent).
        ..unsafe { core::mem::zeroed() }
    };

    /// # Safety
    ///
    /// Called by the VFS with a live inode of a file made by [`Dentry::file`].
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `i_private` is the `Arc<T>` pointer given to debugfs, kept alive by the
        // `FileEntry` until removal, which waits for this call.
        let data = unsafe { ArcBorrow::<T>::from_raw((*inode).i_private.cast::<T>()) };
        let result = (|| -> Result<*mut c_void> {
            if !admin() {
                return Err(EPERM);
            }
            let state = T::open(data)?;
            let open = KBox::pin_init(
                pin_init!(Open::<T> {
                    _data: data.into(),
                    state <- new_mutex!(Some(state)),
                }),
                GFP_KERNEL,
            )?;
            // SAFETY: the box is turned back into a `Pin<KBox>` in `release` only.
            Ok(KBox::into_raw(unsafe { Pin::into_inner_unchecked(open) }).cast())
        })();
        match result {
            Ok(p) => {
                // SAFETY: `file` is live; `private_data` is ours to set.
                unsafe { (*file).private_data = p };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `file` was opened by [`Self::open`].
    unsafe fn state<'a>(file: *mut bindings::file) -> &'a Open<T> {
        // SAFETY: `open` stored a live `Open<T>` there, freed only by `release`, which runs
        // after every other callback of this file.
        unsafe { &*(*file).private_data.cast::<Open<T>>() }
    }

    /// # Safety
    ///
    /// Called by the VFS on a file opened by [`Self::open`], with its last reference gone.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: the pointer from `KBox::into_raw` in `open`; nothing uses it after this.
        let open = unsafe { KBox::from_raw((*file).private_data.cast::<Open<T>>()) };
        if let Some(state) = open.state.lock().take() {
            T::release(state);
        }
        0
    }

    /// # Safety
    ///
    /// Called by the VFS on a file opened by [`Self::open`]; `buf` is a user pointer.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: by the function's safety requirements.
        let open = unsafe { Self::state(file) };
        let mut out = UserSlice::new(UserPtr::from_ptr(buf.cast()), count).writer();
        // SAFETY: the VFS passes a valid position, ours for the duration of the call.
        let pos = unsafe { &mut *ppos };
        let mut guard = open.state.lock();
        let Some(state) = (*guard).as_mut() else {
            return i32_as_isize(EINVAL.to_errno());
        };
        match T::read(state, &mut out, pos).and_then(|n| Ok(isize::try_from(n)?)) {
            Ok(n) => n,
            Err(e) => i32_as_isize(e.to_errno()),
        }
    }

    /// # Safety
    ///
    /// Called by the VFS on a file opened by [`Self::open`]; `buf` is a user pointer.
    unsafe extern "C" fn write(
        file: *mut bindings::file,
        buf: *const c_char,
        count: usize,
        _ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: by the function's safety requirements.
        let open = unsafe { Self::state(file) };
        let input = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), count).reader();
        let mut guard = open.state.lock();
        let Some(state) = (*guard).as_mut() else {
            return i32_as_isize(EINVAL.to_errno());
        };
        match T::write(state, input, count).and_then(|n| Ok(isize::try_from(n)?)) {
            Ok(n) => n,
            Err(e) => i32_as_isize(e.to_errno()),
        }
    }
}
