// SPDX-License-Identifier: GPL-2.0

//! The administrator's commands: thin wrappers over the module's debugfs files
//! (admin-guide.rst, "debugfs"). Reports are read generically (`crate::report`), so a
//! field the module adds shows up as it is.

use std::io::Write;
use std::path::Path;

use crate::chart::{self, Bar};
use crate::debugfs::{line_pieces, Debugfs, PREDICT_WRITE_MAX};
use crate::report::{aligned, pair, pairs, NodeTable, Table};
use crate::Result;

fn put(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .map_err(|e| format!("output: {e}"))
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".into()
            } else {
                format!("{by}{l}\n")
            }
        })
        .collect()
}

/// `nnctl status`: per node, what `numa_info` and `numa_stats` give (a column a node, as
/// numastat), then the topology's other lines, the totals of `numa_stats` and `memory`.
pub fn status(fs: &Debugfs, out: &mut dyn Write) -> Result<()> {
    fs.check()?;
    let info = fs.read_optional("numa_info")?;
    let stats = fs.read_optional("numa_stats")?;
    let memory = fs.read("memory")?;
    let mut nodes = NodeTable::default();
    let mut topology = Vec::new();
    let mut distances = String::new();
    if let Some(info) = &info {
        let mut in_matrix = false;
        for l in info.lines() {
            if in_matrix {
                distances += l;
                distances.push('\n');
            } else if l.trim_end() == "distances:" {
                in_matrix = true;
            } else if !nodes.take(l) {
                if let Some((k, v)) = pair(l) {
                    topology.push((k.to_string(), v.to_string()));
                }
            }
        }
    }
    let mut totals = Vec::new();
    if let Some(stats) = &stats {
        for l in stats.lines() {
            if !nodes.take(l) {
                if let Some((k, v)) = pair(l) {
                    totals.push((k.to_string(), v.to_string()));
                }
            }
        }
    }
    let mut text = String::new();
    if !nodes.nodes.is_empty() {
        text += "per node (numa_info, numa_stats):\n";
        text += &indent(&nodes.table().render(), "  ");
        text.push('\n');
    }
    match &info {
        Some(_) => {
            text += "topology (numa_info):\n";
            text += &aligned(&topology, "  ");
            if !distances.is_empty() {
                text += "  distances:\n";
                text += &indent(&distances, "    ");
            }
        }
        None => {
            text += "topology: no numa_info (the module was built without \
                     CONFIG_NEURAL_NETWORK_NUMA)\n"
        }
    }
    text.push('\n');
    if stats.is_some() {
        text += "networks (numa_stats):\n";
        text += &aligned(&totals, "  ");
        text.push('\n');
    }
    text += "memory (memory):\n";
    text += &aligned(&pairs(&memory), "  ");
    put(out, &text)
}

/// A network's bytes on each node: (network, [(node, bytes)]).
pub type NetworkShares = (String, Vec<(u32, u64)>);

/// The bytes of each network on each node, from `memory_map`: each buffer's bytes shared
/// among the nodes of its pages in proportion, the last node taking the remainder (as
/// `numa_stats` counts them). Returns the nodes, and per network its bytes per node.
pub fn memory_by_node(map: &str) -> Result<(Vec<u32>, Vec<NetworkShares>)> {
    // The columns by name from the header, so that one the module adds does not matter.
    let (mut c_net, mut c_bytes, mut c_pages, mut c_got) = (0, 3, 4, 6);
    let mut nets: Vec<NetworkShares> = Vec::new();
    let mut nodes: Vec<u32> = Vec::new();
    for (i, line) in map.lines().enumerate() {
        if let Some(h) = line.strip_prefix('#') {
            let names: Vec<&str> = h.split_whitespace().collect();
            let find = |n: &str, d: usize| names.iter().position(|x| *x == n).unwrap_or(d);
            (c_net, c_bytes, c_pages, c_got) = (
                find("network", c_net),
                find("bytes", c_bytes),
                find("pages", c_pages),
                find("got", c_got),
            );
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let bad = || format!("memory_map: line {}: cannot read '{line}'", i + 1);
        let get = |c: usize| f.get(c).copied().ok_or_else(bad);
        let net = get(c_net)?.to_string();
        let bytes: u64 = get(c_bytes)?.parse().map_err(|_| bad())?;
        let pages: u64 = get(c_pages)?.parse().map_err(|_| bad())?;
        let got: Vec<(u32, u64)> = get(c_got)?
            .split(',')
            .filter(|s| !s.is_empty() && *s != "-")
            .map(|s| {
                let (n, p) = s.split_once(':').ok_or_else(bad)?;
                Ok((n.parse().map_err(|_| bad())?, p.parse().map_err(|_| bad())?))
            })
            .collect::<Result<_>>()?;
        let idx = match nets.iter().position(|(n, _)| *n == net) {
            Some(k) => k,
            None => {
                nets.push((net, Vec::new()));
                nets.len() - 1
            }
        };
        let shares = &mut nets[idx].1;
        let live: Vec<&(u32, u64)> = got.iter().filter(|(_, p)| *p > 0).collect();
        let mut left = bytes;
        for (k, &&(node, p)) in live.iter().enumerate() {
            let b = if k + 1 == live.len() {
                left
            } else {
                (bytes.saturating_mul(p) / pages.max(1)).min(left)
            };
            left -= b;
            if !nodes.contains(&node) {
                nodes.push(node);
            }
            match shares.iter_mut().find(|(n, _)| *n == node) {
                Some(s) => s.1 += b,
                None => shares.push((node, b)),
            }
        }
    }
    nodes.sort_unstable();
    Ok((nodes, nets))
}

/// `nnctl map`: a row a network, a column a node, the bytes there; then a bar chart.
pub fn map(
    fs: &Debugfs,
    out: &mut dyn Write,
    width: usize,
    ascii: bool,
    svg: Option<&Path>,
) -> Result<()> {
    let (nodes, nets) = memory_by_node(&fs.read("memory_map")?)?;
    let bars: Vec<Bar> = nets
        .iter()
        .map(|(net, shares)| Bar {
            label: format!("network {net}"),
            bytes: nodes
                .iter()
                .map(|n| shares.iter().find(|s| s.0 == *n).map_or(0, |s| s.1))
                .collect(),
        })
        .collect();
    let mut text = String::new();
    if bars.is_empty() {
        text += "no networks (memory_map lists no buffer)\n";
    } else {
        let mut header = vec!["network".to_string()];
        header.extend(nodes.iter().map(|n| format!("node {n}")));
        header.push("total".into());
        let mut t = Table::new(header);
        let mut sums = vec![0u64; nodes.len()];
        for (b, (net, _)) in bars.iter().zip(&nets) {
            let mut row = vec![net.clone()];
            row.extend(b.bytes.iter().map(u64::to_string));
            row.push(b.bytes.iter().sum::<u64>().to_string());
            for (s, v) in sums.iter_mut().zip(&b.bytes) {
                *s += v;
            }
            t.push(row);
        }
        let mut row = vec!["total".to_string()];
        row.extend(sums.iter().map(u64::to_string));
        row.push(sums.iter().sum::<u64>().to_string());
        t.push(row);
        text += "bytes per network and node (memory_map):\n";
        text += &t.render();
        text.push('\n');
        text += &chart::terminal(&bars, &nodes, width, ascii);
    }
    put(out, &text)?;
    if let Some(p) = svg {
        chart::svg(
            p,
            &bars,
            &nodes,
            "neural_network: bytes per network and node (memory_map)",
        )?;
    }
    Ok(())
}

/// `nnctl stats [ID]`: one network's `stats` aligned, or every network's side by side (a
/// row a field, a column a network).
pub fn stats(fs: &Debugfs, out: &mut dyn Write, id: Option<u32>, raw: bool) -> Result<()> {
    if let Some(id) = id {
        let net = fs.network(id)?;
        let text = fs.read(&format!("{net}/stats"))?;
        if raw {
            return put(out, &text);
        }
        let p = pairs(&text);
        let mut s = aligned(&p, "");
        // Lines that are not `key: value`, as they are.
        for l in text
            .lines()
            .filter(|l| pair(l).is_none() && !l.trim().is_empty())
        {
            s += l;
            s.push('\n');
        }
        return put(out, &s);
    }
    let ids = fs.networks()?;
    if ids.is_empty() {
        return put(out, "no networks\n");
    }
    let mut texts = Vec::new();
    for &id in &ids {
        let net = format!("network_{id}");
        texts.push((net.clone(), fs.read(&format!("{net}/stats"))?));
    }
    if raw {
        let s: String = texts
            .iter()
            .map(|(n, t)| format!("{n}/stats:\n{}", indent(t, "  ")))
            .collect();
        return put(out, &s);
    }
    let mut keys: Vec<String> = Vec::new();
    let parsed: Vec<Vec<(String, String)>> = texts.iter().map(|(_, t)| pairs(t)).collect();
    for p in &parsed {
        for (k, _) in p {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let mut header = vec![String::new()];
    header.extend(ids.iter().map(|i| format!("network {i}")));
    let mut t = Table::new(header);
    for k in &keys {
        let mut row = vec![k.clone()];
        row.extend(parsed.iter().map(|p| {
            p.iter()
                .find(|(kk, _)| kk == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        }));
        t.push(row);
    }
    put(out, &t.render())
}

/// What `config` refusing a write means.
const CONFIG_HINTS: &[(i32, &str)] = &[
    (
        22,
        "the module refused the command and changed nothing (the kernel log, dmesg, says why)",
    ),
    (
        12,
        "the re-placement found no memory where the policy allows: the old placement still serves",
    ),
    (
        28,
        "the re-placement would pass neural_max_total_mb: the old placement still serves",
    ),
];

/// `nnctl config ID [COMMAND...]`: prints `config`, or writes the commands in one write.
pub fn config(fs: &Debugfs, out: &mut dyn Write, id: u32, commands: Option<&str>) -> Result<()> {
    let file = format!("{}/config", fs.network(id)?);
    let Some(commands) = commands else {
        return put(out, &fs.read(&file)?);
    };
    let mut text = commands.trim_end().to_string();
    text.push('\n');
    fs.write(&file, text.as_bytes(), CONFIG_HINTS)
}

/// The placement `nnctl load` gives the network it loaded, through its `config`.
#[derive(Default, Debug)]
pub struct Placement {
    /// `policy NAME`.
    pub policy: Option<String>,
    /// `node N`.
    pub node: Option<u32>,
    /// `nodes LIST`.
    pub nodes: Option<String>,
    /// `cpus LIST`.
    pub cpus: Option<String>,
}

impl Placement {
    /// The `config` command; `None` when there is nothing to change.
    pub fn command(&self) -> Option<String> {
        let mut words = Vec::new();
        if let Some(p) = &self.policy {
            words.push(format!("policy {p}"));
        }
        if let Some(n) = self.node {
            words.push(format!("node {n}"));
        }
        if let Some(n) = &self.nodes {
            words.push(format!("nodes {n}"));
        }
        if let Some(c) = &self.cpus {
            words.push(format!("cpus {c}"));
        }
        (!words.is_empty()).then(|| words.join(" "))
    }
}

const LOAD_HINTS: &[(i32, &str)] = &[
    (
        22,
        "the module rejected the model (the kernel log, dmesg, says why)",
    ),
    (
        27,
        "over neural_max_network_mb, or a blob over 128 MiB (the kernel log says which)",
    ),
    (
        28,
        "over neural_max_total_mb, or 256 networks exist (the kernel log says which)",
    ),
    (12, "the machine has not the memory for it (MemAvailable)"),
];

/// `nnctl load MODEL`: writes the blob to `load` in one write, reads back the new id from
/// the same open file and prints it; then re-places it if asked.
pub fn load(
    fs: &Debugfs,
    out: &mut dyn Write,
    name: &str,
    blob: &[u8],
    place: &Placement,
) -> Result<()> {
    let back = fs
        .write_read("load", &[blob], LOAD_HINTS)
        .map_err(|e| with_parser_reason(e, name, blob))?;
    let id: u32 = back.trim().parse().map_err(|_| {
        format!(
            "{}/load: read '{}' back, not the new network's id",
            fs.dir().display(),
            back.trim()
        )
    })?;
    if let Some(cmd) = place.command() {
        let file = format!("network_{id}/config");
        if let Err(e) = fs.write(&file, format!("{cmd}\n").as_bytes(), CONFIG_HINTS) {
            let removed = match fs.write("remove", format!("{id}\n").as_bytes(), &[]) {
                Ok(()) => format!("network {id} loaded, then removed"),
                Err(r) => format!("network {id} loaded and left in place ({r})"),
            };
            return Err(format!("{e}\nnnctl: '{cmd}': {removed}"));
        }
    }
    put(out, &format!("{id}\n"))
}

const REPLACE_HINTS: &[(i32, &str)] = &[
    (
        22,
        "the module refused the model: malformed, or its input or output widths or formats \
         differ from the network's (the kernel log, dmesg, says which); nothing changed",
    ),
    (
        16,
        "the network belongs to a kernel module (the exported API): only it replaces its model",
    ),
    (
        27,
        "over neural_max_network_mb, or a blob over 128 MiB (the kernel log says which)",
    ),
    (
        28,
        "over neural_max_total_mb: the old and the new model count together until the swap",
    ),
    (12, "the machine has not the memory for it (MemAvailable)"),
];

/// `nnctl replace ID MODEL`: writes the blob to `network_<ID>/replace` in one write.
pub fn replace(fs: &Debugfs, id: u32, name: &str, blob: &[u8]) -> Result<()> {
    let file = format!("{}/replace", fs.network(id)?);
    fs.write(&file, blob, REPLACE_HINTS)
        .map_err(|e| with_parser_reason(e, name, blob))
}

/// A write of the model `name` that failed with `e`: with `EINVAL`, the module's parser,
/// here too, says why the module rejected it (if it did: the widths may be what differ).
fn with_parser_reason(e: String, name: &str, blob: &[u8]) -> String {
    match crate::run::load(name, blob) {
        Err(why) if e.contains("(EINVAL)") => format!("{e}\nnnctl: {why}"),
        _ => e,
    }
}

const PREDICT_HINTS: &[(i32, &str)] = &[
    (
        22,
        "an input line was refused (not numbers, a wrong count, or beyond the input format \
         with neural_strict_input=1): nothing ran (the kernel log names the line)",
    ),
    (
        27,
        "over the 16 MiB a write or the 64 MiB of results an open file may take",
    ),
];

/// `nnctl predict ID`: writes the input lines to `predict` (one write, or one per 16 MiB
/// of whole lines) on a file opened read-write, and prints what it reads back.
pub fn predict(fs: &Debugfs, out: &mut dyn Write, id: u32, inputs: &[u8]) -> Result<()> {
    let file = format!("{}/predict", fs.network(id)?);
    if inputs.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let mut text = inputs.to_vec();
    // A last line without a newline would run only at close.
    if text.last() != Some(&b'\n') {
        text.push(b'\n');
    }
    let pieces = line_pieces(&text, PREDICT_WRITE_MAX);
    let results = fs.write_read(&file, &pieces, PREDICT_HINTS)?;
    put(out, &results)
}
