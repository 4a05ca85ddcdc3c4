// SPDX-License-Identifier: GPL-2.0

//! Reading the module's reports generically, so that a field the module adds shows up
//! without a change here, and printing aligned tables.
//!
//! The reports' lines are (admin-guide.rst, "debugfs"):
//!
//! - `key: value` (`numa_stats`, `memory`, `stats`, `config`, `numa_info`); the key may
//!   hold spaces (`layer 0: 3 -> 4 relu ...`), the value anything;
//! - per node, `node N key: value` (`numa_info`) or `node N k1 v1 k2 v2 ...`
//!   (`numa_stats`);
//! - anything else (`numa_info`'s distance matrix after `distances:`), kept as it is.

/// A `key: value` line: its key and value; `None` for any other line.
pub fn pair(line: &str) -> Option<(&str, &str)> {
    if let Some(k) = line.strip_suffix(':') {
        if !k.trim().is_empty() && !k.contains(": ") {
            return Some((k.trim(), ""));
        }
    }
    let (k, v) = line.split_once(": ")?;
    if k.trim().is_empty() {
        return None;
    }
    Some((k.trim(), v.trim()))
}

/// The `key: value` lines of a report, in order.
pub fn pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(pair)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Values by node and field, the fields in the order first seen.
#[derive(Default, Debug)]
pub struct NodeTable {
    /// The node ids, in order.
    pub nodes: Vec<u32>,
    /// The fields, in the order first seen.
    pub fields: Vec<String>,
    /// (node, field, value).
    values: Vec<(u32, String, String)>,
}

impl NodeTable {
    fn set(&mut self, node: u32, field: &str, value: &str) {
        if !self.nodes.contains(&node) {
            self.nodes.push(node);
            self.nodes.sort_unstable();
        }
        if !self.fields.iter().any(|f| f == field) {
            self.fields.push(field.to_string());
        }
        match self
            .values
            .iter_mut()
            .find(|(n, f, _)| *n == node && f == field)
        {
            Some(v) => v.2 = value.to_string(),
            None => self
                .values
                .push((node, field.to_string(), value.to_string())),
        }
    }

    /// The value of `field` on `node`.
    pub fn get(&self, node: u32, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, f, _)| *n == node && f == field)
            .map(|v| v.2.as_str())
    }

    /// Takes `line` if it is a node's (`node N ...`); returns whether it was.
    pub fn take(&mut self, line: &str) -> bool {
        let Some(rest) = line.strip_prefix("node ") else {
            return false;
        };
        let Some((id, rest)) = rest.split_once(' ') else {
            return false;
        };
        let Ok(node) = id.parse::<u32>() else {
            return false;
        };
        if let Some((k, v)) = pair(rest) {
            self.set(node, k, v);
            return true;
        }
        let toks: Vec<&str> = rest.split_whitespace().collect();
        if toks.is_empty() || !toks.len().is_multiple_of(2) {
            return false;
        }
        for kv in toks.chunks(2) {
            self.set(node, kv[0], kv[1]);
        }
        true
    }

    /// The table: a row a field, a column a node, and a total column where every node's
    /// value is a whole number (but for the cpulists, `cpus`).
    pub fn table(&self) -> Table {
        let mut header = vec![String::new()];
        header.extend(self.nodes.iter().map(|n| format!("node {n}")));
        header.push("total".into());
        let mut t = Table::new(header);
        for f in &self.fields {
            let cells: Vec<String> = self
                .nodes
                .iter()
                .map(|&n| self.get(n, f).unwrap_or("").to_string())
                .collect();
            // A cpulist (`cpus`) of one CPU reads as a number, but adds up to nothing.
            let total: Option<u64> = if f.ends_with("cpus") {
                None
            } else {
                cells.iter().map(|c| c.parse::<u64>().ok()).sum()
            };
            let mut row = vec![f.clone()];
            row.extend(cells);
            row.push(total.map(|t| t.to_string()).unwrap_or_default());
            t.push(row);
        }
        t
    }
}

/// A text table: the first column left-aligned, the others right-aligned, two spaces
/// between columns.
#[derive(Debug)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with this header row.
    pub fn new(header: Vec<String>) -> Self {
        Self { rows: vec![header] }
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The rows but the header.
    pub fn len(&self) -> usize {
        self.rows.len() - 1
    }

    /// Whether there are no rows but the header.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table as text, each line ending in a newline, no trailing spaces.
    pub fn render(&self) -> String {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for r in &self.rows {
            let mut line = String::new();
            for (c, w) in width.iter().enumerate() {
                let cell = r.get(c).map(String::as_str).unwrap_or("");
                if c == 0 {
                    line += &format!("{cell:<w$}");
                } else {
                    line += &format!("  {cell:>w$}");
                }
            }
            out += line.trim_end();
            out.push('\n');
        }
        out
    }
}

/// `key: value` pairs aligned: the values start in one column.
pub fn aligned(pairs: &[(String, String)], indent: &str) -> String {
    let w = pairs.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| {
            let key = format!("{k}:");
            format!("{indent}{key:<w$} {v}").trim_end().to_string() + "\n"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_take_any_key() {
        assert_eq!(pair("bytes: 704"), Some(("bytes", "704")));
        assert_eq!(
            pair("layer 0: 3 -> 4 relu node 0"),
            Some(("layer 0", "3 -> 4 relu node 0"))
        );
        assert_eq!(pair("distances:"), Some(("distances", "")));
        assert_eq!(pair("node    0   1"), None);
        assert_eq!(pair("cache_hits: 3"), Some(("cache_hits", "3")));
    }

    #[test]
    fn nodes_in_both_forms() {
        let mut t = NodeTable::default();
        assert!(t.take("node 1 cpus: 1"));
        assert!(t.take("node 0 cpus: 0"));
        assert!(t.take("node 0 bytes 10 pages 1 hit 1 cache_hits 7"));
        assert!(t.take("node 1 bytes 20 pages 2 hit 2 cache_hits 8"));
        assert!(!t.take("node    0   1"));
        assert!(!t.take("nodes_online: 0-1"));
        assert_eq!(t.nodes, [0, 1]);
        assert_eq!(t.fields, ["cpus", "bytes", "pages", "hit", "cache_hits"]);
        let text = t.table().render();
        assert_eq!(
            text,
            "            node 0  node 1  total\n\
             cpus             0       1\n\
             bytes           10      20     30\n\
             pages            1       2      3\n\
             hit              1       2      3\n\
             cache_hits       7       8     15\n"
        );
    }

    #[test]
    fn aligned_pairs() {
        let p = pairs("a: 1\nlonger: two words\n");
        assert_eq!(aligned(&p, "  "), "  a:      1\n  longer: two words\n");
    }
}
