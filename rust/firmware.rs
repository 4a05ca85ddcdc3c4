// SPDX-License-Identifier: GPL-2.0

//! Models loaded by name with `request_firmware()`.
//!
//! `echo digits.nnm > /sys/kernel/debug/neural_network/load_firmware` asks the firmware
//! loader for `neural_network/digits.nnm`, found where every firmware file is: under
//! `/lib/firmware/` (or `/lib/firmware/updates/`, or the directory in
//! `/sys/module/firmware_class/parameters/path`). The request is made for the module's
//! faux device `/sys/devices/faux/neural_network`, and the blob goes through the same
//! parser and checks as one written to `load`.
//!
//! This kernel's `kernel::firmware` needs `CONFIG_RUST_FW_LOADER_ABSTRACTIONS`, which a
//! stock kernel may not have; `request_firmware()` itself only needs `CONFIG_FW_LOADER`,
//! so the module calls it directly through this wrapper.

use core::ptr::NonNull;

use kernel::bindings;
use kernel::prelude::*;

/// The device models are requested for: `/sys/devices/faux/neural_network`.
///
/// # Invariants
///
/// The pointer came from `faux_device_create()` and is destroyed only by drop.
pub(crate) struct FirmwareDevice(NonNull<bindings::faux_device>);

// SAFETY: a faux device may be used and destroyed from any thread.
unsafe impl Send for FirmwareDevice {}
// SAFETY: `request` only reads the device pointer; the firmware loader locks what it needs.
unsafe impl Sync for FirmwareDevice {}

impl FirmwareDevice {
    /// Creates the device.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: a valid name; no parent and no driver operations are allowed.
        let dev = unsafe {
            bindings::faux_device_create(
                c"neural_network".as_char_ptr(),
                core::ptr::null_mut(),
                core::ptr::null(),
            )
        };
        // INVARIANT: created just now, destroyed by drop. NULL is any failure; the one it
        // meets at module load is an allocation's (tests/20-init-fault.sh), so ENOMEM.
        Ok(Self(NonNull::new(dev).ok_or(ENOMEM)?))
    }

    /// Requests firmware file `name` (a path under the firmware directories).
    ///
    /// # Errors
    ///
    /// What `request_firmware()` returns: `ENOENT` if there is no such file, ...
    pub(crate) fn request(&self, name: &CStr) -> Result<Blob> {
        let mut fw: *const bindings::firmware = core::ptr::null();
        // SAFETY: the faux device is live (type invariant); its `dev` is a device.
        let dev = unsafe { &raw mut (*self.0.as_ptr()).dev };
        // SAFETY: `fw` is a valid out-pointer, `name` a C string, `dev` a live device.
        let ret = unsafe { bindings::request_firmware(&mut fw, name.as_char_ptr(), dev) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: a successful request gives a firmware we must release.
        Ok(Blob(NonNull::new(fw.cast_mut()).ok_or(ENOENT)?))
    }
}

impl Drop for FirmwareDevice {
    fn drop(&mut self) {
        // SAFETY: created by `faux_device_create`, destroyed once (type invariant).
        unsafe { bindings::faux_device_destroy(self.0.as_ptr()) };
    }
}

/// A firmware file's contents, released on drop.
///
/// # Invariants
///
/// The pointer came from a successful `request_firmware()` and is released only by drop.
pub(crate) struct Blob(NonNull<bindings::firmware>);

impl Blob {
    /// The bytes.
    pub(crate) fn data(&self) -> &[u8] {
        // SAFETY: a live firmware (type invariant) has `size` bytes at `data` (or none).
        unsafe {
            let fw = self.0.as_ref();
            if fw.data.is_null() || fw.size == 0 {
                &[]
            } else {
                core::slice::from_raw_parts(fw.data, fw.size)
            }
        }
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        // SAFETY: from `request_firmware()`, released once (type invariant).
        unsafe { bindings::release_firmware(self.0.as_ptr()) };
    }
}
