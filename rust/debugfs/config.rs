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
//! `key=value` is taken as well as `key value`. A `policy` command fills what it does not
//! give from the module parameters, as `create` does; `node` and `nodes` keep the rest of
//! the placement in force. A command that does not parse or names a placement the machine
//! cannot give: `-EINVAL` with the reason in the log. A re-placement that fails (`-ENOMEM`
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
    NumaPolicy,
    Placement, //
};
use crate::numa::topology::{
    self,
    NodeId, //
};
use crate::pure::nodemask::NodeMask;

/// The longest write: its commands, one per line.
const COMMAND_MAX: usize = 4096;

/// The longest `cache_timeout` (as `neural_cache_timeout_ms`, `params_helper.h`).
const CACHE_TIMEOUT_MAX_MS: u32 = 3_600_000;

/// The file's data.
pub(crate) struct ConfigFile(pub(crate) Arc<Network>);

/// An open `config` file: the text read (made at the first read after the open or the
/// last write).
pub(crate) struct ConfigState {
    net: Arc<Network>,
    text: Option<Text>,
}

/// What a command gives; `None`: not given.
#[derive(Default)]
struct Command<'a> {
    policy: Option<NumaPolicy>,
    node: Option<NodeId>,
    nodes: Option<(NodeMask, &'a str)>,
    migrate: Option<NodeId>,
    cpus: Option<&'a str>,
    avoid_cpu0: Option<bool>,
    /// `Some(None)`: `default`.
    cache_timeout: Option<Option<u32>>,
    simd: Option<bool>,
}

impl Command<'_> {
    /// Whether the command changes the placement.
    fn places(&self) -> bool {
        self.policy.is_some()
            || self.node.is_some()
            || self.nodes.is_some()
            || self.migrate.is_some()
    }
}

/// The usage line of a bad command.
const USAGE: &str = "expected policy NAME [node N] [nodes LIST], node N, nodes LIST or migrate N, and/or cpus LIST|default, avoid_cpu0 0|1, cache_timeout MS|default, simd 0|1";

/// Parses a command; logs what is wrong, each line starting with `prefix`.
fn parse<'a>(prefix: &str, line: &'a str) -> Result<Command<'a>> {
    let bad = |why: &str| {
        pr_err!("{}{}\n", prefix, why);
        EINVAL
    };
    let node = |v: &str| -> Result<NodeId> {
        let id = v
            .parse::<u32>()
            .map_err(|_| bad("a node is not a number"))?;
        topology::node_of(id).ok_or_else(|| {
            pr_err!(
                "{}node {} is out of range (MAX_NUMNODES {})\n",
                prefix,
                id,
                topology::max_numnodes()
            );
            EINVAL
        })
    };
    let mut cmd = Command::default();
    let mut toks = line.split_ascii_whitespace();
    let mut given = 0;
    while let Some(tok) = toks.next() {
        let (key, value) = match tok.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (tok, toks.next()),
        };
        let value = value.ok_or_else(|| bad("a key without a value"))?;
        given += 1;
        match key {
            "policy" if cmd.policy.is_none() => {
                cmd.policy = Some(NumaPolicy::from_name(value).ok_or_else(|| {
                    bad("unknown policy (local, interleave, preferred, bind, replicate)")
                })?)
            }
            "node" if cmd.node.is_none() => cmd.node = Some(node(value)?),
            "nodes" if cmd.nodes.is_none() => {
                let mask = NodeMask::parse(value, topology::max_numnodes()).map_err(|e| {
                    pr_err!("{}nodes {}: {}\n", prefix, value, format_args!("{e}"));
                    EINVAL
                })?;
                cmd.nodes = Some((mask, value));
            }
            "migrate" if cmd.migrate.is_none() => cmd.migrate = Some(node(value)?),
            "cpus" if cmd.cpus.is_none() => cmd.cpus = Some(value),
            "avoid_cpu0" if cmd.avoid_cpu0.is_none() => {
                cmd.avoid_cpu0 = Some(match value {
                    "0" => false,
                    "1" => true,
                    _ => return Err(bad("avoid_cpu0 takes 0 or 1")),
                })
            }
            "cache_timeout" if cmd.cache_timeout.is_none() => {
                cmd.cache_timeout = Some(match value {
                    "default" => None,
                    v => Some(
                        v.parse::<u32>()
                            .ok()
                            .filter(|&ms| ms <= CACHE_TIMEOUT_MAX_MS)
                            .ok_or_else(|| {
                                bad("cache_timeout takes 0 to 3600000 (ms) or default")
                            })?,
                    ),
                })
            }
            "simd" if cmd.simd.is_none() => {
                cmd.simd = Some(match value {
                    "0" => false,
                    "1" => true,
                    _ => return Err(bad("simd takes 0 or 1")),
                })
            }
            "policy" | "node" | "nodes" | "migrate" | "cpus" | "avoid_cpu0" | "cache_timeout"
            | "simd" => return Err(bad("a key given twice")),
            _ => return Err(bad(USAGE)),
        }
    }
    if given == 0 {
        return Err(bad(USAGE));
    }
    let other_keys = usize::from(cmd.cpus.is_some())
        + usize::from(cmd.avoid_cpu0.is_some())
        + usize::from(cmd.cache_timeout.is_some())
        + usize::from(cmd.simd.is_some());
    if cmd.migrate.is_some() && given > 1 + other_keys {
        return Err(bad(
            "migrate N stands alone (or with cpus, avoid_cpu0, cache_timeout, simd)",
        ));
    }
    Ok(cmd)
}

/// The mask a `cpus` value asks for: `Some(mask)`, or `None` for `default`.
fn cpus_of(prefix: &str, value: &str) -> Result<Option<CpuMask>> {
    if value == "default" {
        return Ok(None);
    }
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
fn resolve(prefix: &str, cmd: &Command<'_>, now: &Placement) -> Result<Placement> {
    if let Some(n) = cmd.migrate {
        return placement::migrate_to(prefix, n);
    }
    if cmd.policy.is_some() {
        return placement::placement_for(prefix, cmd.policy, cmd.node, cmd.nodes);
    }
    // `node` and/or `nodes` alone: the rest as it is now.
    let node = cmd.node.or(now.node);
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
        let bytes = read_input(input, len, COMMAND_MAX).inspect_err(|_| {
            pr_err!(
                "{}commands of at most {} bytes in all\n",
                prefix,
                COMMAND_MAX
            );
        })?;
        let text = core::str::from_utf8(&bytes).map_err(|_| {
            pr_err!("{}not text\n", prefix);
            EINVAL
        })?;
        let plan = check(prefix, net, text)?;
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

/// Checks every line of `text` (empty lines skipped) in order, each placement against
/// the one the lines before it ask for; `EINVAL` (with the line's reason in the log) at
/// the first bad one, or if no line has a command.
fn check(prefix: &str, net: &Network, text: &str) -> Result<Plan> {
    let mut plan = Plan {
        what: "config",
        ..Plan::default()
    };
    let mut now = net.placement();
    let mut lines = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        lines += 1;
        let line_prefix = CString::try_from_fmt(fmt!("{prefix}line {}: ", i + 1))?;
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
    if lines == 0 {
        pr_err!("{}{}\n", prefix, USAGE);
        return Err(EINVAL);
    }
    Ok(plan)
}
