// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs tree, `/sys/kernel/debug/neural_network/`.
//!
//! ```text
//! numa_info            the NUMA topology (CONFIG_NEURAL_NETWORK_NUMA)
//! numa_stats           bytes held and allocations per node (CONFIG_NEURAL_NETWORK_NUMA)
//! memory_map           every buffer of every network: size, intended and actual nodes
//! memory               the memory limits in force and the bytes the networks hold
//! simd                 the vector path: features, self-check, threshold, layer counts
//! bench                read (root): runs the in-guest benchmark, prints its table
//! load                 write a model blob: creates network_<id>; read: the last id
//! load_firmware        write a name: loads neural_network/<name> by request_firmware
//! create               write a topology: creates a trainable network_<id>
//! remove               write an id: removes network_<id>
//! evacuate             write a node id: moves every network off that node
//! cpu_affinity         each network's CPU mask, and predictions and batch chunks per CPU
//! network_<id>/config  layers, formats, placement, CPU mask; write: re-place (policy,
//!                      node, migrate), set the mask (cpus, avoid_cpu0)
//! network_<id>/stats   counters
//! network_<id>/predict write input lines, read output lines
//! network_<id>/replace write a model blob of the same widths: replaces the model
//! network_<id>/train   write samples (created networks): SGD steps; read: the losses
//! ```
//!
//! Every file is an entry that removes itself when dropped, so unload needs no cleanup
//! code. A debugfs that is disabled or fails is not an error, as everywhere in the kernel.

mod config;
mod create;
mod evacuate;
mod file;
mod id_file;
mod load;
mod load_firmware;
mod network_file;
mod predict;
mod remove;
mod report;
pub(crate) mod text;
mod train;

use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;

use crate::network::Network;
use crate::registry::Attach;
use crate::Registry;
use file::{
    Dentry,
    FileEntry, //
};

/// The files at the top of the tree.
pub(crate) struct DebugFs {
    #[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
    _numa_info: FileEntry<report::ReportFile<report::NumaInfo>>,
    #[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
    _numa_stats: FileEntry<report::ReportFile<report::NumaStats>>,
    _memory_map: FileEntry<report::ReportFile<report::MemoryMap>>,
    _memory: FileEntry<report::ReportFile<report::Memory>>,
    _simd: FileEntry<report::ReportFile<report::Simd>>,
    _bench: FileEntry<report::ReportFile<report::Bench>>,
    _load: FileEntry<load::LoadFile>,
    _create: FileEntry<create::CreateFile>,
    _load_firmware: FileEntry<load_firmware::LoadFirmwareFile>,
    _remove: FileEntry<remove::RemoveFile>,
    _evacuate: FileEntry<evacuate::EvacuateFile>,
    _cpu_affinity: FileEntry<report::ReportFile<report::CpuAffinity>>,
}

impl DebugFs {
    /// The root directory, which the registry also keeps for the network directories
    /// ([`NetworkFiles`]).
    pub(crate) fn root() -> Result<Arc<Dentry>> {
        Ok(Arc::new(Dentry::dir(c"neural_network", None), GFP_KERNEL)?)
    }

    /// Creates the top-level files.
    pub(crate) fn new(root: &Dentry, registry: &Arc<Registry>) -> Result<Self> {
        Ok(Self {
            #[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
            _numa_info: root.file(
                c"numa_info",
                0o444,
                Arc::new(report::ReportFile(report::NumaInfo), GFP_KERNEL)?,
            ),
            #[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
            _numa_stats: root.file(
                c"numa_stats",
                0o444,
                Arc::new(
                    report::ReportFile(report::NumaStats(registry.clone())),
                    GFP_KERNEL,
                )?,
            ),
            _memory_map: root.file(
                c"memory_map",
                0o444,
                Arc::new(
                    report::ReportFile(report::MemoryMap(registry.clone())),
                    GFP_KERNEL,
                )?,
            ),
            _memory: root.file(
                c"memory",
                0o444,
                Arc::new(
                    report::ReportFile(report::Memory(registry.clone())),
                    GFP_KERNEL,
                )?,
            ),
            _simd: root.file(
                c"simd",
                0o444,
                Arc::new(report::ReportFile(report::Simd), GFP_KERNEL)?,
            ),
            _bench: root.file(
                c"bench",
                0o400,
                Arc::new(report::ReportFile(report::Bench), GFP_KERNEL)?,
            ),
            _load: root.file(
                c"load",
                0o600,
                Arc::new(load::LoadFile(registry.clone()), GFP_KERNEL)?,
            ),
            _create: root.file(
                c"create",
                0o600,
                Arc::new(create::CreateFile(registry.clone()), GFP_KERNEL)?,
            ),
            _load_firmware: root.file(
                c"load_firmware",
                0o200,
                Arc::new(
                    load_firmware::LoadFirmwareFile {
                        registry: registry.clone(),
                        device: crate::firmware::FirmwareDevice::new()?,
                    },
                    GFP_KERNEL,
                )?,
            ),
            _remove: root.file(
                c"remove",
                0o200,
                Arc::new(remove::RemoveFile(registry.clone()), GFP_KERNEL)?,
            ),
            _evacuate: root.file(
                c"evacuate",
                0o200,
                Arc::new(evacuate::EvacuateFile(registry.clone()), GFP_KERNEL)?,
            ),
            _cpu_affinity: root.file(
                c"cpu_affinity",
                0o444,
                Arc::new(
                    report::ReportFile(report::CpuAffinity(registry.clone())),
                    GFP_KERNEL,
                )?,
            ),
        })
    }
}

/// The directory `network_<id>/` and its files.
pub(crate) struct NetworkFiles {
    _config: FileEntry<config::ConfigFile>,
    _stats: FileEntry<report::ReportFile<report::Stats>>,
    _predict: FileEntry<predict::PredictFile>,
    _replace: FileEntry<load::ReplaceFile>,
    _train: Option<FileEntry<train::TrainFile>>,
    // Last: the files go first.
    _dir: Dentry,
}

impl Attach for NetworkFiles {
    type Ctx = Arc<Dentry>;

    /// Creates `network_<id>/` under `root`.
    fn attach(root: &Arc<Dentry>, net: &Arc<Network>) -> Result<Self> {
        let name = CString::try_from_fmt(fmt!("network_{}", net.id()))?;
        let dir = Dentry::dir(&name, Some(root));
        Ok(Self {
            _config: dir.file(
                c"config",
                0o644,
                Arc::new(config::ConfigFile(net.clone()), GFP_KERNEL)?,
            ),
            _stats: dir.file(
                c"stats",
                0o444,
                Arc::new(report::ReportFile(report::Stats(net.clone())), GFP_KERNEL)?,
            ),
            _predict: dir.file(
                c"predict",
                0o600,
                predict::PredictFile::new(net.clone(), text::Text::new())?,
            ),
            _replace: dir.file(
                c"replace",
                0o200,
                Arc::new(load::ReplaceFile(net.clone()), GFP_KERNEL)?,
            ),
            _train: if net.trainable() {
                Some(dir.file(c"train", 0o600, train::TrainFile::new(net.clone(), None)?))
            } else {
                None
            },
            _dir: dir,
        })
    }
}
