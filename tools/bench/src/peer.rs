// SPDX-License-Identifier: GPL-2.0

//! The peer beside ours: onnxruntime on the same networks, one thread, timed by
//! `tools/bench/peer.py` in the venv of `tools/testing/setup`. This module runs the
//! script, reads its JSON lines and writes the table that sets our figures beside its.
//! Where the peer cannot run (no venv, onnxruntime not importable, the script failed)
//! it is left out, and the reason is one line of the output: `make bench` never fails
//! for the peer's sake.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

/// One network for the peer: its name in the table, its widths, its batches.
pub struct Case<'a> {
    pub name: &'a str,
    pub dims: &'a [usize],
    pub batches: &'a [usize],
}

impl Case<'_> {
    /// The script's argument: `NAME=D0,D1,...@B1,B2`.
    fn arg(&self) -> String {
        let join = |v: &[usize]| {
            v.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        format!("{}={}@{}", self.name, join(self.dims), join(self.batches))
    }
}

/// onnxruntime's two models of a network.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The float32 model (MatMul + Add + Relu per layer).
    Fp32,
    /// The same after `quantize_dynamic`: int8 weights, inputs quantized per call.
    Int8,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Fp32 => "fp32",
            Kind::Int8 => "int8",
        }
    }
}

/// The script's first line: what ran.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct Info {
    pub peer: String,
    pub version: String,
    pub python: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub threads: u32,
}

/// One figure: nanoseconds per input row of `name` at `batch` by `kind`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: String,
    pub dims: Vec<usize>,
    pub batch: usize,
    pub kind: Kind,
    pub ns_per_row: f64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Unavailable { unavailable: String },
    Figure(Figure),
    Info(Info),
}

/// The peer's figures, or why there are none.
#[derive(Debug, Clone, PartialEq)]
pub enum Peer {
    Figures { info: Info, figures: Vec<Figure> },
    LeftOut(String),
}

/// Why a peer's output could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    /// The script could not import what it needs: the message.
    Unavailable(String),
    /// Anything else: what was wrong.
    Malformed(String),
}

impl Peer {
    /// Reads the script's output: its info line, then its figures, one JSON object a
    /// line (blank lines are skipped).
    pub fn parse(text: &str) -> Result<(Info, Vec<Figure>), ParseError> {
        let mut info = None;
        let mut figures = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let bad = |what: String| ParseError::Malformed(format!("line {}: {what}", i + 1));
            match serde_json::from_str::<Line>(line) {
                Ok(Line::Unavailable { unavailable }) => {
                    return Err(ParseError::Unavailable(unavailable))
                }
                Ok(Line::Info(x)) if info.is_none() && figures.is_empty() => info = Some(x),
                Ok(Line::Info(_)) => return Err(bad("an info line after the first".into())),
                Ok(Line::Figure(_)) if info.is_none() => {
                    return Err(bad("a figure before the info line".into()))
                }
                Ok(Line::Figure(f)) => {
                    if !(f.ns_per_row.is_finite() && f.ns_per_row > 0.0) {
                        return Err(bad(format!("ns_per_row {} is no time", f.ns_per_row)));
                    }
                    figures.push(f);
                }
                Err(_) => return Err(bad(format!("not a line of peer.py: {line:.80}"))),
            }
        }
        let info = info.ok_or_else(|| ParseError::Malformed("no info line".into()))?;
        Ok((info, figures))
    }

    /// Runs `script` under `python` on `cases` and reads what it prints; a peer that
    /// cannot run is left out with the reason.
    pub fn run(python: &Path, script: &Path, runs: usize, min_ms: u64, cases: &[Case]) -> Self {
        if !python.exists() {
            return Peer::LeftOut(format!(
                "no Python at {} (`make setup` makes the venv with onnxruntime; NN_PYTHON or --peer-python names another)",
                python.display()
            ));
        }
        let out = Command::new(python)
            .arg(script)
            .arg("--runs")
            .arg(runs.to_string())
            .arg("--min-ms")
            .arg(min_ms.to_string())
            .args(cases.iter().map(Case::arg))
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => return Peer::LeftOut(format!("cannot run {}: {e}", python.display())),
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        match Self::parse(&stdout) {
            Err(ParseError::Unavailable(why)) => Peer::LeftOut(format!(
                "{} cannot import it: {why} (`make setup` installs onnxruntime in its venv)",
                python.display()
            )),
            Ok((info, figures)) if out.status.success() => Peer::Figures { info, figures },
            other => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
                let what = match other {
                    Err(ParseError::Malformed(m)) if out.status.success() => m,
                    _ => format!("{}", out.status),
                };
                Peer::LeftOut(format!(
                    "{} failed ({what}){}",
                    script.display(),
                    last.map_or(String::new(), |l| format!(": {}", l.trim()))
                ))
            }
        }
    }

    /// The peer's figure for `name` at `batch` by `kind`.
    pub fn get(&self, name: &str, batch: usize, kind: Kind) -> Option<f64> {
        match self {
            Peer::Figures { figures, .. } => figures
                .iter()
                .find(|f| f.name == name && f.batch == batch && f.kind == kind)
                .map(|f| f.ns_per_row),
            Peer::LeftOut(_) => None,
        }
    }

    /// The faster of the peer's two figures for `name` at `batch`.
    pub fn best(&self, name: &str, batch: usize) -> Option<(Kind, f64)> {
        [Kind::Fp32, Kind::Int8]
            .into_iter()
            .filter_map(|k| self.get(name, batch, k).map(|ns| (k, ns)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// Our figure of one row of the table: `name` at `batch`, `ns` per input row by the
/// auto path (16x16 weights); `best`, the fastest of the layer formats' row (its format
/// and kernels, and ns per input row), where they were timed.
pub struct Ours<'a> {
    pub name: &'a str,
    pub batch: usize,
    pub ns: f64,
    pub best: Option<(String, f64)>,
}

/// `ours / theirs` to three significant figures (below 1: ours faster).
fn ratio(ours: f64, theirs: f64) -> String {
    let r = ours / theirs;
    match r {
        r if r >= 100.0 => format!("{r:.0}"),
        r if r >= 10.0 => format!("{r:.1}"),
        r if r >= 1.0 => format!("{r:.2}"),
        r => format!("{r:.3}"),
    }
}

/// The section of the output that sets our figures beside the peer's: a table, or the
/// one line that says why the peer's columns are left out.
pub fn table(ours: &[Ours], peer: &Peer) -> String {
    let (info, _) = match peer {
        Peer::LeftOut(why) => return format!("onnxruntime: left out of this run: {why}.\n"),
        Peer::Figures { info, figures } => (info, figures),
    };
    let mut out = format!(
        "Beside {} {} ({}, {} thread{}, called from Python {}: each of its figures includes a few µs of call overhead), ns per input row. ours: the auto path above (16x16 weights); best: the fastest format of the formats' table (exact, each as nnctl eval computes it), named in \"best is\"; ort best: the faster of its float32 and int8 (dynamic quantisation) models; ours/ort and best/ort: over ort best (below 1: ours faster).\n\n",
        info.peer,
        info.version,
        if info.provider.is_empty() { "CPU" } else { &info.provider },
        info.threads,
        if info.threads == 1 { "" } else { "s" },
        info.python,
    );
    out += "| shape | batch | ours ns/pred | best ns/pred | best is | ort fp32 ns | ort int8 ns | ort best | ours/ort | best/ort |\n";
    out += "|---|---:|---:|---:|---|---:|---:|---|---:|---:|\n";
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |ns| format!("{ns:.1}"));
    for o in ours {
        let theirs = peer.best(o.name, o.batch);
        let vs = |ns: Option<f64>| match (ns, theirs) {
            (Some(ns), Some((_, t))) => ratio(ns, t),
            _ => "-".into(),
        };
        let best = o.best.as_ref().map(|(_, ns)| *ns);
        out += &format!(
            "| {} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} |\n",
            o.name,
            o.batch,
            o.ns,
            cell(best),
            o.best.as_ref().map_or("-", |(k, _)| k.as_str()),
            cell(peer.get(o.name, o.batch, Kind::Fp32)),
            cell(peer.get(o.name, o.batch, Kind::Int8)),
            theirs.map_or("-".into(), |(k, _)| k.label().to_string()),
            vs(Some(o.ns)),
            vs(best),
        );
    }
    out
}

/// The Python that runs the peer: `NN_PYTHON`, else the venv of `tools/testing/setup`
/// (`$NN_CACHE_DIR/venv`, `NN_CACHE_DIR` defaulting to
/// `${XDG_CACHE_HOME:-$HOME/.cache}/neural_network`), as the model scripts find it.
pub fn default_python(env: impl Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(p) = env("NN_PYTHON").filter(|p| !p.is_empty()) {
        return p.into();
    }
    let cache = env("NN_CACHE_DIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            env("XDG_CACHE_HOME")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env("HOME").unwrap_or_default()).join(".cache"))
                .join("neural_network")
        });
    cache.join("venv/bin/python")
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = r#"{"peer": "onnxruntime", "version": "1.32.0", "onnx": "1.19.1", "numpy": "2.3.5", "python": "3.11.7", "provider": "CPUExecutionProvider", "threads": 1, "runs": 15, "min_ms": 20}"#;

    fn output() -> String {
        [
            INFO,
            r#"{"name": "4-8-2", "dims": [4, 8, 2], "batch": 1, "kind": "fp32", "ns_per_row": 6308.8}"#,
            r#"{"name": "4-8-2", "dims": [4, 8, 2], "batch": 1, "kind": "int8", "ns_per_row": 8224.7}"#,
            "",
            r#"{"name": "4-8-2", "dims": [4, 8, 2], "batch": 32, "kind": "fp32", "ns_per_row": 209.7}"#,
            r#"{"name": "4-8-2", "dims": [4, 8, 2], "batch": 32, "kind": "int8", "ns_per_row": 252.4}"#,
            r#"{"name": "1024x1024", "dims": [1024, 1024], "batch": 32, "kind": "fp32", "ns_per_row": 32414.0}"#,
            r#"{"name": "1024x1024", "dims": [1024, 1024], "batch": 32, "kind": "int8", "ns_per_row": 7649.4}"#,
        ]
        .join("\n")
    }

    fn peer() -> Peer {
        let (info, figures) = Peer::parse(&output()).expect("parses");
        Peer::Figures { info, figures }
    }

    #[test]
    fn parses_the_scripts_lines() {
        let (info, figures) = Peer::parse(&output()).expect("parses");
        assert_eq!(info.peer, "onnxruntime");
        assert_eq!(info.version, "1.32.0");
        assert_eq!(info.python, "3.11.7");
        assert_eq!(info.threads, 1);
        assert_eq!(figures.len(), 6);
        assert_eq!(
            figures[0],
            Figure {
                name: "4-8-2".into(),
                dims: vec![4, 8, 2],
                batch: 1,
                kind: Kind::Fp32,
                ns_per_row: 6308.8
            }
        );
        assert_eq!(figures[5].kind, Kind::Int8);
    }

    #[test]
    fn best_is_the_faster_model() {
        let p = peer();
        assert_eq!(p.get("4-8-2", 32, Kind::Int8), Some(252.4));
        assert_eq!(p.best("4-8-2", 1), Some((Kind::Fp32, 6308.8)));
        assert_eq!(p.best("1024x1024", 32), Some((Kind::Int8, 7649.4)));
        assert_eq!(p.best("1024x1024", 1), None);
        assert_eq!(Peer::LeftOut("x".into()).best("4-8-2", 1), None);
    }

    #[test]
    fn unavailable_and_malformed_output() {
        assert_eq!(
            Peer::parse(r#"{"unavailable": "No module named 'onnxruntime'"}"#),
            Err(ParseError::Unavailable(
                "No module named 'onnxruntime'".into()
            ))
        );
        let bad = |text: &str| matches!(Peer::parse(text), Err(ParseError::Malformed(_)));
        assert!(bad(""), "no info line");
        assert!(bad("Traceback (most recent call last):"));
        assert!(
            bad(&format!("{INFO}\n{{\"name\": \"a\"}}")),
            "a figure lacks fields"
        );
        assert!(bad(&format!(
            "{INFO}\n{{\"name\": \"a\", \"dims\": [1, 1], \"batch\": 1, \"kind\": \"fp16\", \"ns_per_row\": 1.0}}"
        )));
        assert!(bad(&format!(
            "{INFO}\n{{\"name\": \"a\", \"dims\": [1, 1], \"batch\": 1, \"kind\": \"fp32\", \"ns_per_row\": -1.0}}"
        )));
        assert!(bad(&format!(
            "{{\"name\": \"a\", \"dims\": [1, 1], \"batch\": 1, \"kind\": \"fp32\", \"ns_per_row\": 1.0}}\n{INFO}"
        )));
        assert!(bad(&format!("{INFO}\n{INFO}")));
    }

    #[test]
    fn table_has_the_peers_columns() {
        let ours = [
            Ours {
                name: "4-8-2",
                batch: 1,
                ns: 101.3,
                best: Some(("16x8 avx2".into(), 98.1)),
            },
            Ours {
                name: "1024x1024",
                batch: 32,
                ns: 34946.8,
                best: Some(("8x8 vnni512".into(), 15294.7)),
            },
            Ours {
                name: "1024x1024",
                batch: 1,
                ns: 44462.9,
                best: None,
            },
        ];
        let t = table(&ours, &peer());
        assert!(t.starts_with("Beside onnxruntime 1.32.0 (CPUExecutionProvider, 1 thread, "));
        assert!(t.contains("Python 3.11.7"));
        assert!(t.contains(
            "| shape | batch | ours ns/pred | best ns/pred | best is | ort fp32 ns | ort int8 ns | ort best | ours/ort | best/ort |"
        ));
        assert!(t.contains(
            "| 4-8-2 | 1 | 101.3 | 98.1 | 16x8 avx2 | 6308.8 | 8224.7 | fp32 | 0.016 | 0.016 |"
        ));
        assert!(t.contains(
            "| 1024x1024 | 32 | 34946.8 | 15294.7 | 8x8 vnni512 | 32414.0 | 7649.4 | int8 | 4.57 | 2.00 |"
        ));
        assert!(t.contains("| 1024x1024 | 1 | 44462.9 | - | - | - | - | - | - | - |"));
        assert!(!t.contains("left out"));
    }

    #[test]
    fn table_without_the_peer_is_one_line() {
        let t = table(
            &[Ours {
                name: "4-8-2",
                batch: 1,
                ns: 101.3,
                best: None,
            }],
            &Peer::LeftOut("no Python at /x".into()),
        );
        assert_eq!(t, "onnxruntime: left out of this run: no Python at /x.\n");
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(1.0, 64.0), "0.016");
        assert_eq!(ratio(5.0, 2.0), "2.50");
        assert_eq!(ratio(50.0, 2.0), "25.0");
        assert_eq!(ratio(500.0, 2.0), "250");
    }

    #[test]
    fn finds_the_venv_as_the_scripts_do() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            default_python(env(&[("NN_PYTHON", "/p/python"), ("NN_CACHE_DIR", "/c")])),
            PathBuf::from("/p/python")
        );
        assert_eq!(
            default_python(env(&[("NN_CACHE_DIR", "/c"), ("HOME", "/root")])),
            PathBuf::from("/c/venv/bin/python")
        );
        assert_eq!(
            default_python(env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/root")])),
            PathBuf::from("/x/neural_network/venv/bin/python")
        );
        assert_eq!(
            default_python(env(&[("HOME", "/root")])),
            PathBuf::from("/root/.cache/neural_network/venv/bin/python")
        );
    }

    #[test]
    fn case_argument() {
        let c = Case {
            name: "31-256-2",
            dims: &[31, 256, 2],
            batches: &[1, 32],
        };
        assert_eq!(c.arg(), "31-256-2=31,256,2@1,32");
    }

    /// A stand-in for Python: a shell script that prints what it is given.
    fn fake_python(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("python");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        p
    }

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("nn-bench-test-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }

    #[test]
    fn run_reads_the_scripts_output_or_leaves_it_out() {
        let d = tempdir("run");
        let case = [Case {
            name: "4-8-2",
            dims: &[4, 8, 2],
            batches: &[1, 32],
        }];
        let script = Path::new("peer.py");
        // The arguments as the script takes them, and its lines read back.
        let args_file = d.join("args");
        let py = fake_python(
            &d,
            &format!(
                "echo \"$@\" > {}\ncat <<'EOF'\n{}\nEOF",
                args_file.display(),
                output()
            ),
        );
        assert_eq!(Peer::run(&py, script, 3, 7, &case), peer());
        assert_eq!(
            std::fs::read_to_string(&args_file).expect("args"),
            "peer.py --runs 3 --min-ms 7 4-8-2=4,8,2@1,32\n"
        );
        // Not importable: the script's own line, exit status 3.
        let py = fake_python(
            &d,
            "echo '{\"unavailable\": \"No module named onnxruntime\"}'; exit 3",
        );
        match Peer::run(&py, script, 3, 7, &case) {
            Peer::LeftOut(why) => assert!(
                why.contains("cannot import it: No module named onnxruntime"),
                "{why}"
            ),
            p => panic!("{p:?}"),
        }
        // A failure midway: the figures so far are not taken, stderr's last line is told.
        let py = fake_python(
            &d,
            &format!("echo '{INFO}'; echo 'RuntimeError: boom' >&2; exit 1"),
        );
        match Peer::run(&py, script, 3, 7, &case) {
            Peer::LeftOut(why) => assert!(
                why.contains("peer.py failed (exit status: 1): RuntimeError: boom"),
                "{why}"
            ),
            p => panic!("{p:?}"),
        }
        // No interpreter at all.
        match Peer::run(&d.join("none/python"), script, 3, 7, &case) {
            Peer::LeftOut(why) => assert!(why.starts_with("no Python at "), "{why}"),
            p => panic!("{p:?}"),
        }
        std::fs::remove_dir_all(&d).ok();
    }
}
