// SPDX-License-Identifier: GPL-2.0

//! `load_firmware`: write a file name to load `neural_network/<name>` with
//! `request_firmware()` (see `crate::firmware`). The name is one line of letters,
//! digits, `.`, `_`, `-` and `/`, without `..` or a leading `/`. A missing file gives
//! `-ENOENT`, a malformed model `-EINVAL`; the log says which. Reading `load` or `create`
//! then gives the new network's id.

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{
    Arc,
    ArcBorrow, //
};
use kernel::uaccess::UserSliceReader;

use super::file::DebugFile;
use super::text::read_input;
use super::Registry;
use crate::firmware::FirmwareDevice;
use crate::network::Owner;

/// The file's data.
pub(crate) struct LoadFirmwareFile {
    pub(crate) registry: Arc<Registry>,
    pub(crate) device: FirmwareDevice,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('/')
        && !name.split('/').any(|part| part.is_empty() || part == "..")
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'/'))
}

impl DebugFile for LoadFirmwareFile {
    type State = Arc<LoadFirmwareFile>;
    const READ: bool = false;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<Arc<LoadFirmwareFile>> {
        Ok(this.into())
    }

    fn write(
        this: &mut Arc<LoadFirmwareFile>,
        input: UserSliceReader,
        len: usize,
    ) -> Result<usize> {
        let bytes = read_input(input, len, 256).inspect_err(|_| {
            pr_err!("load_firmware: expected a file name\n");
        })?;
        let name = core::str::from_utf8(&bytes).map(str::trim).unwrap_or("");
        if !valid_name(name) {
            pr_err!("load_firmware: expected a file name (letters, digits, . _ - /, no ..)\n");
            return Err(EINVAL);
        }
        let path = CString::try_from_fmt(fmt!("neural_network/{name}"))?;
        let blob = this.device.request(&path).inspect_err(|e| {
            pr_err!(
                "load_firmware: cannot load firmware neural_network/{}: error {}\n",
                name,
                e.to_errno()
            );
        })?;
        this.registry
            .load(blob.data(), "load_firmware", Owner::SELF)?;
        Ok(len)
    }
}
