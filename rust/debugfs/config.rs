// SPDX-License-Identifier: GPL-2.0

//! `network_<id>/config`: read the network's settings, layers, formats and placement
//! ([`super::report::Config`]); write commands, one per line, to change its settings or
//! re-place its memory while it serves ([`Network::replace`]):
//!
//! ```text
//! echo "policy bind nodes 1" > config      a new placement (as create's policy= node= nodes=)
//! echo "policy preferred node 2" > config
//! echo "node 3" > config                   the policy in force, on node 3
//! echo "nodes 0-1" > config                the policy in force, over nodes 0-1
//! echo "migrate 1" > config                everything to node 1, exactly (policy bind node 1)
//! echo "cpus 2-3" > config                 batches run on CPUs 2 and 3 (a cpulist)
//! echo "cpus default" > config             batches run on the CPUs of the weights' nodes
//! echo "avoid_cpu0 1" > config             ... but not on CPU 0 (unless it is the only one)
//! echo "cache_timeout 500" > config        the prediction cache's timeout (ms; 0: off)
//! echo "cache_timeout default" > config    ... neural_cache_timeout_ms's again
//! echo "simd 0" > config                   every layer of this network runs scalar
//! printf 'migrate 1\ncpus 2-3\n' > config  several commands, one per line
//! ```
//!
//! `cpus` and `avoid_cpu0` (the CPU mask, `network/affinity.rs`), `cache_timeout` and
//! `simd` may come alone or with a placement on a line; a `cpus` list must name an online
//! CPU. Every line of a write is checked before anything changes (a write with any bad
//! line changes nothing); then the lines apply in order as one change: the placement they
//! end at is made once, first (its failure changes nothing else), then the rest.
//!
//! `key=value` is taken as well as `key value` (the grammar: `pure/config_line.rs`, which
//! the host fuzzes). A `policy` command fills what it does not give from the module
//! parameters, as `create` does; `node` and `nodes` keep the rest of the placement in
//! force. A command that does not parse or names a placement the machine cannot give:
//! `-EINVAL` with the reason in the log. A re-placement that fails (`-ENOMEM`
//! where the policy allows no memory, `-ENOSPC` over `neural_max_total_mb`) leaves the old
//! placement serving, unchanged; it is counted in `stats` (`migration_failures`) and in
//! `numa_stats`.

use kernel::fs::file::Offset;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{
    Arc,
    ArcBorrow, //
};
use kernel::uaccess::{
    UserSliceReader,
    UserSliceWriter, //
};

use super::file::DebugFile;
use super::report::{
    Config,
    Report, //
};
use super::text::{
    read_input,
    read_snapshot,
    Text, //
};
use crate::network::Network;
use crate::numa::cpumask::CpuMask;
use crate::numa::placement::{
    self,
    Placement, //
};
use crate::numa::topology::{
    self,
    NodeId, //
};
use crate::pure::config_line::{
    config_lines,
    ConfigCommand,
    Cpus,
    CONFIG_TEXT_MAX,
    USAGE, //
};

/// The file's data.
pub(crate) struct ConfigFile(pub(crate) Arc<Network>);

/// An open `config` file: the text read (made at the first read after the open or the
/// last write).
pub(crate) struct ConfigState {
    net: Arc<Network>,
    text: Option<Text>,
}

/// Reads one command line ([`ConfigCommand::parse`]); logs what is wrong after `prefix`.
fn parse<'a>(prefix: &str, line: &'a str) -> Result<ConfigCommand<'a>> {
    ConfigCommand::parse(line, topology::max_numnodes()).map_err(|e| {
        pr_err!("{}{}\n", prefix, format_args!("{e}"));
        EINVAL
    })
}

/// The node a command names, below `MAX_NUMNODES` as [`ConfigCommand::parse`] checked.
fn node_id(id: u32) -> Result<NodeId> {
    topology::node_of(id).ok_or(EINVAL)
}

/// The mask a `cpus` value asks for: `Some(mask)`, or `None` for `default`.
fn cpus_of(prefix: &str, cpus: Cpus<'_>) -> Result<Option<CpuMask>> {
    let value = match cpus {
        Cpus::Default => return Ok(None),
        Cpus::List(list) => list,
    };
    let text = CString::try_from_fmt(fmt!("{value}"))?;
    let mask = CpuMask::parse(&text).map_err(|e| {
        let why = if e == ERANGE {
            "a CPU id is not below nr_cpu_ids"
        } else {
            "not a cpulist (0-3,8) or default"
        };
        pr_err!("{}cpus {}: {}\n", prefix, value, why);
        EINVAL
    })?;
    if mask.online().next().is_none() {
        pr_err!("{}cpus {}: no CPU of the list is online\n", prefix, value);
        return Err(EINVAL);
    }
    Ok(Some(mask))
}

/// The placement a command asks for, given the one in force (`now`).
fn resolve(prefix: &str, cmd: &ConfigCommand<'_>, now: &Placement) -> Result<Placement> {
    if let Some(n) = cmd.migrate {
        return placement::migrate_to(prefix, node_id(n)?);
    }
    let given = cmd.node.map(node_id).transpose()?;
    if cmd.policy.is_some() {
        return placement::placement_for(prefix, cmd.policy, given, cmd.nodes);
    }
    // `node` and/or `nodes` alone: the rest as it is now.
    let node = given.or(now.node);
    if cmd.nodes.is_some() {
        return placement::placement_for(prefix, Some(now.policy), node, cmd.nodes);
    }
    placement::placement_over(prefix, now.policy, node, now.nodes)
}

impl DebugFile for ConfigFile {
    type State = ConfigState;
    const READ: bool = true;
    const WRITE: bool = true;

    fn open(this: ArcBorrow<'_, Self>) -> Result<ConfigState> {
        Ok(ConfigState {
            net: this.0.clone(),
            text: None,
        })
    }

    fn read(state: &mut ConfigState, out: &mut UserSliceWriter, pos: &mut Offset) -> Result<usize> {
        let net = &state.net;
        read_snapshot(&mut state.text, out, pos, |t| Config(net.clone()).write(t))
    }

    fn write(state: &mut ConfigState, input: UserSliceReader, len: usize) -> Result<usize> {
        let net = &state.net;
        let prefix = CString::try_from_fmt(fmt!("network_{}/config: ", net.id()))?;
        let prefix = prefix.to_str().map_err(|_| EINVAL)?;
        let bytes = read_input(input, len, CONFIG_TEXT_MAX).inspect_err(|_| {
            pr_err!(
                "{}commands of at most {} bytes in all\n",
                prefix,
                CONFIG_TEXT_MAX
            );
        })?;
        let lines = config_lines(&bytes).map_err(|e| {
            pr_err!("{}{}\n", prefix, format_args!("{e}"));
            EINVAL
        })?;
        let plan = check(prefix, net, lines)?;
        if let Some(placement) = plan.placement {
            net.replace(placement, plan.what)?;
        }
        if plan.cpus.is_some() || plan.avoid_cpu0.is_some() {
            net.set_affinity(plan.cpus, plan.avoid_cpu0)?;
            let (mask, explicit) = net.cpu_mask()?;
            pr_info!(
                "network_{}: CPU mask {} ({})\n",
                net.id(),
                format_args!("{mask}"),
                if explicit { "cpus" } else { "default" }
            );
        }
        if let Some(ms) = plan.cache_timeout {
            net.set_cache_timeout(ms);
        }
        if let Some(on) = plan.simd {
            net.set_simd(on);
        }
        state.text = None;
        Ok(len)
    }
}

/// What a write's lines come to, checked, before anything is applied.
#[derive(Default)]
struct Plan {
    /// The placement the lines end at, if any line changes it.
    placement: Option<Placement>,
    /// How the re-placement is logged: `migrate` if the last line that places is one.
    what: &'static str,
    cpus: Option<Option<CpuMask>>,
    avoid_cpu0: Option<bool>,
    cache_timeout: Option<Option<u32>>,
    simd: Option<bool>,
}

/// Checks every line of `lines` (numbered, the blank ones left out: [`config_lines`]) in
/// order, each placement against the one the lines before it ask for; `EINVAL` (with the
/// line's reason in the log) at the first bad one, or if no line has a command.
fn check<'a>(
    prefix: &str,
    net: &Network,
    lines: impl Iterator<Item = (usize, &'a str)>,
) -> Result<Plan> {
    let mut plan = Plan {
        what: "config",
        ..Plan::default()
    };
    let mut now = net.placement();
    let mut count = 0;
    for (n, line) in lines {
        count += 1;
        let line_prefix = CString::try_from_fmt(fmt!("{prefix}line {n}: "))?;
        let line_prefix = line_prefix.to_str().map_err(|_| EINVAL)?;
        let cmd = parse(line_prefix, line)?;
        if let Some(v) = cmd.cpus {
            plan.cpus = Some(cpus_of(line_prefix, v)?);
        }
        if cmd.places() {
            now = resolve(line_prefix, &cmd, &now)?;
            plan.placement = Some(now);
            plan.what = if cmd.migrate.is_some() {
                "migrate"
            } else {
                "config"
            };
        }
        plan.avoid_cpu0 = cmd.avoid_cpu0.or(plan.avoid_cpu0);
        plan.cache_timeout = cmd.cache_timeout.or(plan.cache_timeout);
        plan.simd = cmd.simd.or(plan.simd);
    }
    if count == 0 {
        pr_err!("{}{}\n", prefix, USAGE);
        return Err(EINVAL);
    }
    Ok(plan)
}
