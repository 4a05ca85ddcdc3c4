// SPDX-License-Identifier: GPL-2.0

//! The commands written to `network_<id>/config`, one per line ([`config_lines`],
//! [`ConfigCommand::parse`]):
//!
//! ```text
//! policy bind nodes 1          a new placement (as create's policy= node= nodes=)
//! node 3                       the policy in force, on node 3
//! nodes 0-1                    the policy in force, over nodes 0-1
//! migrate 1                    everything to node 1, exactly
//! cpus 2-3                     batches run on CPUs 2 and 3; cpus default
//! avoid_cpu0 1                 the default mask leaves CPU 0 out (0 or 1)
//! cache_timeout 500            the cache's timeout in ms (0 to 3600000); or default
//! simd 0                       every layer scalar (0 or 1)
//! ```
//!
//! A line is `key value` or `key=value` pairs separated by ASCII whitespace, each key at
//! most once; `migrate` stands alone or with `cpus`, `avoid_cpu0`, `cache_timeout` and
//! `simd`. Node ids are `u32`s (`str::parse`: a leading `+` allowed) below the running
//! kernel's `MAX_NUMNODES` (`max_nodes`), node lists as [`NodeMask::parse`] reads them.
//! A `cpus` list is the kernel's to read (`bitmap_parselist()`, which the module calls on
//! the text given here), as are the checks against the running machine: which nodes are
//! online, which CPUs, which placement can be had (`debugfs/config.rs`).
//!
//! [`ConfigError`] says what is wrong; its `Display` is the text the kernel logs after
//! `network_<id>/config: line <n>: `. The `Display` of a [`ConfigCommand`] writes a line
//! that parses back to it.
//!
//! Pure code: only `core`; no allocation, no panic on any input.

use core::fmt;

use super::nodemask::{
    parse_node_arg,
    parse_nodes_arg,
    NodeArgError,
    NodeListError,
    NodeMask, //
};
use super::policy::NumaPolicy;

/// The longest write to `config`: its commands, one per line.
pub const CONFIG_TEXT_MAX: usize = 4096;

/// The longest `cache_timeout` (as `neural_cache_timeout_ms`, `params_helper.h`).
pub const CACHE_TIMEOUT_MAX_MS: u32 = 3_600_000;

/// The usage line of a bad command, and of a write with no command.
pub const USAGE: &str = "expected policy NAME [node N] [nodes LIST], node N, nodes LIST or migrate N, and/or cpus LIST|default, avoid_cpu0 0|1, cache_timeout MS|default, simd 0|1";

/// What `cpus` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cpus<'a> {
    /// `default`: the CPUs of the weights' nodes.
    Default,
    /// A cpulist, as written (the kernel reads it).
    List(&'a str),
}

/// What a command line gives; `None`: not given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConfigCommand<'a> {
    /// `policy`.
    pub policy: Option<NumaPolicy>,
    /// `node`, below `max_nodes`.
    pub node: Option<u32>,
    /// `nodes`, with its text.
    pub nodes: Option<(NodeMask, &'a str)>,
    /// `migrate`, below `max_nodes`.
    pub migrate: Option<u32>,
    /// `cpus`.
    pub cpus: Option<Cpus<'a>>,
    /// `avoid_cpu0`.
    pub avoid_cpu0: Option<bool>,
    /// `cache_timeout`: `Some(None)` for `default`.
    pub cache_timeout: Option<Option<u32>>,
    /// `simd`.
    pub simd: Option<bool>,
}

/// Why a `config` write or line is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError<'a> {
    /// The write is not UTF-8.
    NotText,
    /// The last key of the line has no value.
    NoValue,
    /// `policy` names no policy.
    Policy,
    /// `node`, `migrate` or `nodes` is refused.
    Node(NodeArgError<'a>),
    /// `avoid_cpu0` is not `0` or `1`.
    AvoidCpu0,
    /// `cache_timeout` is not `default` or a number of ms up to 3600000.
    CacheTimeout,
    /// `simd` is not `0` or `1`.
    Simd,
    /// A key given twice.
    Twice,
    /// An unknown key, or no command at all ([`USAGE`]).
    Usage,
    /// `migrate` with a placement key.
    MigrateAlone,
}

impl fmt::Display for ConfigError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotText => f.write_str("not text"),
            ConfigError::NoValue => f.write_str("a key without a value"),
            ConfigError::Policy => f.write_str(NumaPolicy::UNKNOWN),
            ConfigError::Node(NodeArgError::NotNumber) => f.write_str("a node is not a number"),
            &ConfigError::Node(NodeArgError::OutOfRange { node, limit }) => {
                write!(f, "{}", NodeListError::OutOfRange { node, limit })
            }
            ConfigError::Node(NodeArgError::List { text, error }) => {
                write!(f, "nodes {text}: {error}")
            }
            ConfigError::AvoidCpu0 => f.write_str("avoid_cpu0 takes 0 or 1"),
            ConfigError::CacheTimeout => {
                f.write_str("cache_timeout takes 0 to 3600000 (ms) or default")
            }
            ConfigError::Simd => f.write_str("simd takes 0 or 1"),
            ConfigError::Twice => f.write_str("a key given twice"),
            ConfigError::Usage => f.write_str(USAGE),
            ConfigError::MigrateAlone => f.write_str(
                "migrate N stands alone (or with cpus, avoid_cpu0, cache_timeout, simd)",
            ),
        }
    }
}

/// The lines of a write that hold a command, each with its number (from 1, blank lines
/// counted): split as `str::lines` splits (`\n`, a `\r` before it dropped), a line of
/// ASCII whitespace only skipped.
///
/// # Errors
///
/// [`ConfigError::NotText`] if `text` is not UTF-8.
pub fn config_lines(
    text: &[u8],
) -> Result<impl Iterator<Item = (usize, &str)> + Clone, ConfigError<'_>> {
    let text = core::str::from_utf8(text).map_err(|_| ConfigError::NotText)?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_ascii().is_empty())
        .map(|(i, line)| (i.saturating_add(1), line)))
}

/// Reads `0` or `1`.
fn flag(value: &str) -> Option<bool> {
    match value {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

impl<'a> ConfigCommand<'a> {
    /// Reads one command line; node ids must be below `max_nodes` (`MAX_NUMNODES`).
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] from the left; then [`ConfigError::Usage`] for a line
    /// with no key and [`ConfigError::MigrateAlone`].
    pub fn parse(line: &'a str, max_nodes: u32) -> Result<Self, ConfigError<'a>> {
        let node = |v: &'a str| parse_node_arg(v, max_nodes).map_err(ConfigError::Node);
        let mut cmd = Self::default();
        let mut toks = line.split_ascii_whitespace();
        let mut given = 0usize;
        while let Some(tok) = toks.next() {
            let (key, value) = match tok.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (tok, toks.next()),
            };
            let value = value.ok_or(ConfigError::NoValue)?;
            given += 1;
            match key {
                "policy" if cmd.policy.is_none() => {
                    cmd.policy = Some(NumaPolicy::from_name(value).ok_or(ConfigError::Policy)?)
                }
                "node" if cmd.node.is_none() => cmd.node = Some(node(value)?),
                "nodes" if cmd.nodes.is_none() => {
                    cmd.nodes = Some(parse_nodes_arg(value, max_nodes).map_err(ConfigError::Node)?)
                }
                "migrate" if cmd.migrate.is_none() => cmd.migrate = Some(node(value)?),
                "cpus" if cmd.cpus.is_none() => {
                    cmd.cpus = Some(match value {
                        "default" => Cpus::Default,
                        list => Cpus::List(list),
                    })
                }
                "avoid_cpu0" if cmd.avoid_cpu0.is_none() => {
                    cmd.avoid_cpu0 = Some(flag(value).ok_or(ConfigError::AvoidCpu0)?)
                }
                "cache_timeout" if cmd.cache_timeout.is_none() => {
                    cmd.cache_timeout = Some(match value {
                        "default" => None,
                        v => Some(
                            v.parse::<u32>()
                                .ok()
                                .filter(|&ms| ms <= CACHE_TIMEOUT_MAX_MS)
                                .ok_or(ConfigError::CacheTimeout)?,
                        ),
                    })
                }
                "simd" if cmd.simd.is_none() => {
                    cmd.simd = Some(flag(value).ok_or(ConfigError::Simd)?)
                }
                "policy" | "node" | "nodes" | "migrate" | "cpus" | "avoid_cpu0"
                | "cache_timeout" | "simd" => return Err(ConfigError::Twice),
                _ => return Err(ConfigError::Usage),
            }
        }
        if given == 0 {
            return Err(ConfigError::Usage);
        }
        if cmd.migrate.is_some() && given > 1 + cmd.other_keys() {
            return Err(ConfigError::MigrateAlone);
        }
        Ok(cmd)
    }

    /// How many of the keys that do not place (`cpus`, `avoid_cpu0`, `cache_timeout`,
    /// `simd`) the command gives.
    fn other_keys(&self) -> usize {
        usize::from(self.cpus.is_some())
            + usize::from(self.avoid_cpu0.is_some())
            + usize::from(self.cache_timeout.is_some())
            + usize::from(self.simd.is_some())
    }

    /// Whether the command changes the placement.
    pub fn places(&self) -> bool {
        self.policy.is_some()
            || self.node.is_some()
            || self.nodes.is_some()
            || self.migrate.is_some()
    }
}

/// The command in its canonical form: `key=value` pairs (so that an empty `cpus` list
/// reads back too) in the order of the fields, the node list as [`NodeMask`] writes it;
/// an empty command writes nothing.
impl fmt::Display for ConfigCommand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut pair = |f: &mut fmt::Formatter<'_>, key: &str, value: fmt::Arguments<'_>| {
            let r = write!(f, "{sep}{key}={value}");
            sep = " ";
            r
        };
        let flag = |on: bool| if on { 1 } else { 0 };
        if let Some(p) = self.policy {
            pair(f, "policy", format_args!("{}", p.name()))?;
        }
        if let Some(n) = self.node {
            pair(f, "node", format_args!("{n}"))?;
        }
        if let Some((mask, _)) = self.nodes {
            pair(f, "nodes", format_args!("{mask}"))?;
        }
        if let Some(n) = self.migrate {
            pair(f, "migrate", format_args!("{n}"))?;
        }
        match self.cpus {
            Some(Cpus::Default) => pair(f, "cpus", format_args!("default"))?,
            Some(Cpus::List(list)) => pair(f, "cpus", format_args!("{list}"))?,
            None => {}
        }
        if let Some(on) = self.avoid_cpu0 {
            pair(f, "avoid_cpu0", format_args!("{}", flag(on)))?;
        }
        match self.cache_timeout {
            Some(Some(ms)) => pair(f, "cache_timeout", format_args!("{ms}"))?,
            Some(None) => pair(f, "cache_timeout", format_args!("default"))?,
            None => {}
        }
        if let Some(on) = self.simd {
            pair(f, "simd", format_args!("{}", flag(on)))?;
        }
        Ok(())
    }
}
