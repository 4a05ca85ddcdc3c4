// SPDX-License-Identifier: GPL-2.0

//! The administrator's commands against a fake debugfs directory made of the examples of
//! Documentation/neural_network/admin-guide.rst (with a field or two the module does not
//! have yet, which must show up as they are), and their errors.
//!
//! The fake `load` and `predict` are regular files holding, after room for what nnctl
//! writes, what the module would give back: nnctl writes from offset 0 without seeking
//! and reads on from where its write ended, as on the real files (whose position a write
//! leaves at 0), so it reads the canned answer, and the file keeps what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NUMA_INFO: &str = "\
nodes_online: 0-1
nodes_with_memory: 0-1
nodes_with_cpus: 0-1
node 0 cpus: 0-1
node 0 mem_total_kb: 221496
node 0 mem_free_kb: 160552
node 1 cpus: 2-3
node 1 mem_total_kb: 244508
node 1 mem_free_kb: 229944
distances:
node    0   1
   0:  10  20
   1:  20  10
";

// With a field the module does not have yet (cache_evictions), per node too.
const NUMA_STATS: &str = "\
networks: 2
bytes: 541316
pages: 140
allocations_local: 22
allocations_remote: 1
fallbacks: 1
migrations: 3
migrated_bytes: 1628
migration_failures: 0
evacuations: 1
cache_evictions: 9
node 0 bytes 274052 pages 71 hit 70 miss 0 foreign 1 fallbacks 1 cross_node 0 cache_hits 4
node 1 bytes 267264 pages 69 hit 68 miss 1 foreign 0 fallbacks 0 cross_node 300 cache_hits 6
";

const MEMORY: &str = "\
max_network_bytes: 91626496
max_total_bytes: 183252992
used_bytes: 96
networks: 1
";

const MEMORY_MAP: &str = "\
# network part kind bytes pages want got
0 layer0 weights 524288 128 - 0:64,1:64
0 layer0 bias 2048 1 0 0:1
0 cpu1 scratch 16384 4 1 1:4
3 layer0 weights 1000 1 1 1:1
3 layer1 weights 3000 3 0-1 0:1,1:2
";

const CONFIG: &str = "\
id: 0
origin: loaded crc32 0x884196c3
owner: neural_network
policy: interleave
node: none
nodes: 0-1
input: 3 frac 8
output: 2 frac 15
cpus: 0-1 default
avoid_cpu0: 0
layers: 2
bytes: 704
layer 0: 3 -> 4 relu out_frac 8 mult 40000 shift 20 bytes 40 node 0 wanted 0
layer 1: 4 -> 2 sigmoid out_frac 15 mult 40000 shift 20 bytes 24 node 1 wanted 1
";

fn stats_text(predictions: u32, extra: &str) -> String {
    format!(
        "predictions: {predictions}\nbatches: 2\ntrain_steps: 0\nlast_loss_q30: 0\n\
         inputs_clipped: 0\nlocal: 0\ncross_node: {predictions}\nmigrations: 1\n\
         migrated_bytes: 1628\nmigration_failures: 0\n{extra}"
    )
}

struct Fake {
    root: PathBuf,
}

impl Fake {
    fn new(tag: &str) -> Self {
        let root = std::env::temp_dir().join(format!("nnctl-admin-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let d = root.join("neural_network");
        std::fs::create_dir_all(d.join("network_0")).unwrap();
        std::fs::create_dir_all(d.join("network_3")).unwrap();
        std::fs::create_dir_all(root.join("module")).unwrap();
        let w = |p: &str, t: &str| std::fs::write(d.join(p), t).unwrap();
        w("numa_info", NUMA_INFO);
        w("numa_stats", NUMA_STATS);
        w("memory", MEMORY);
        w("memory_map", MEMORY_MAP);
        w("network_0/config", CONFIG);
        w("network_0/stats", &stats_text(300, ""));
        w(
            "network_3/stats",
            &stats_text(7, "copy_reads: 0:3,1:4\ninference_ns: 1234\n"),
        );
        w("network_3/config", "");
        w("remove", "");
        std::fs::write(
            root.join("mounts"),
            "debugfs /sys/kernel/debug debugfs rw 0 0\n",
        )
        .unwrap();
        Self { root }
    }

    fn dir(&self) -> PathBuf {
        self.root.join("neural_network")
    }

    fn file(&self, f: &str) -> PathBuf {
        self.dir().join(f)
    }

    fn read(&self, f: &str) -> String {
        String::from_utf8_lossy(&std::fs::read(self.file(f)).unwrap()).into_owned()
    }

    /// nnctl with `--debugfs` this directory (`dir` instead if given), the mount table and
    /// module directory of the fake, and `stdin`.
    fn run_in(&self, dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
        use std::io::Write;
        let mut c = Command::new(env!("CARGO_BIN_EXE_nnctl"))
            .arg("--debugfs")
            .arg(dir)
            .args(args)
            .env_remove("NN_DEBUGFS")
            .env("NNCTL_MOUNTS", self.root.join("mounts"))
            .env("NNCTL_MODULE_DIR", self.root.join("module"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(stdin).unwrap();
        c.wait_with_output().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in(&self.dir(), args, b"")
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", err(o));
    out(o)
}

fn fails(o: &Output, status: i32, want: &str) {
    assert_eq!(o.status.code(), Some(status), "{}{}", out(o), err(o));
    assert!(err(o).contains(want), "want '{want}' in: {}", err(o));
}

#[test]
fn status_tabulates_every_node_field() {
    let f = Fake::new("status");
    let s = ok(&f.run(&["status"]));
    for want in [
        "                node 0  node 1   total\n",
        "  cpus             0-1     2-3\n",
        "  mem_total_kb  221496  244508  466004\n",
        "  bytes         274052  267264  541316\n",
        "  cross_node         0     300     300\n",
        "  cache_hits         4       6      10\n",
        "  nodes_with_memory: 0-1\n",
        "  distances:\n    node    0   1\n       0:  10  20\n       1:  20  10\n",
        "  migrated_bytes:     1628\n",
        "  cache_evictions:    9\n",
        "memory (memory):\n  max_network_bytes: 91626496\n",
    ] {
        assert!(s.contains(want), "want {want:?} in:\n{s}");
    }
    // Without NUMA (no numa_info, no numa_stats): the memory alone.
    std::fs::remove_file(f.file("numa_info")).unwrap();
    std::fs::remove_file(f.file("numa_stats")).unwrap();
    let s = ok(&f.run(&["status"]));
    assert!(s.contains("no numa_info"), "{s}");
    assert!(s.contains("used_bytes:        96"), "{s}");
}

#[test]
fn map_shares_buffers_by_pages() {
    let f = Fake::new("map");
    let svg = f.root.join("map.svg");
    let s = ok(&f.run(&["map", "--width", "20", "--svg", svg.to_str().unwrap()]));
    // Network 0: half of 524288 on each node, the bias on 0, the scratch on 1; network 3's
    // second buffer: a third of 3000 on node 0, the rest on 1.
    assert!(
        s.contains(
            "network  node 0  node 1   total\n\
             0        264192  278528  542720\n\
             3          1000    3000    4000\n\
             total    265192  281528  546720\n"
        ),
        "{s}"
    );
    assert!(
        s.contains(
            "network 0  ██████████▓▓▓▓▓▓▓▓▓▓  542720\n\
             network 3  █▓                    4000\n\
             \x20          █ node 0  ▓ node 1\n"
        ),
        "{s}"
    );
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
    for want in ["network 0", "network 3", "node 1", "<rect"] {
        assert!(svg.contains(want), "{want}");
    }
    let a = ok(&f.run(&["map", "--ascii", "--width", "10"]));
    assert!(a.contains("network 0  #####=====  542720"), "{a}");
    // No networks.
    std::fs::write(
        f.file("memory_map"),
        "# network part kind bytes pages want got\n",
    )
    .unwrap();
    assert_eq!(
        ok(&f.run(&["map"])),
        "no networks (memory_map lists no buffer)\n"
    );
    std::fs::write(f.file("memory_map"), "0 layer0 weights lots\n").unwrap();
    fails(&f.run(&["map"]), 1, "memory_map: line 1: cannot read");
}

#[test]
fn stats_one_or_all() {
    let f = Fake::new("stats");
    let s = ok(&f.run(&["stats", "3"]));
    assert!(
        s.starts_with("predictions:        7\nbatches:            2\n"),
        "{s}"
    );
    assert!(s.contains("copy_reads:         0:3,1:4\n"), "{s}");
    assert!(s.contains("inference_ns:       1234\n"), "{s}");
    assert_eq!(
        ok(&f.run(&["stats", "3", "--raw"])),
        f.read("network_3/stats")
    );
    let s = ok(&f.run(&["stats"]));
    assert!(
        s.starts_with(
            "                    network 0  network 3\npredictions               300          7\n"
        ),
        "{s}"
    );
    for (k, v) in [("copy_reads", "0:3,1:4"), ("inference_ns", "1234")] {
        let line = format!("\n{k:<18}  {:>9}  {v:>9}\n", "");
        assert!(s.contains(&line), "{line:?} in {s}");
    }
    let s = ok(&f.run(&["stats", "--raw"]));
    assert!(
        s.starts_with("network_0/stats:\n  predictions: 300\n"),
        "{s}"
    );
    fails(&f.run(&["stats", "7"]), 1, "nnctl: no network 7 (ls ");
}

#[test]
fn config_reads_and_writes_in_one_write() {
    let f = Fake::new("config");
    assert_eq!(ok(&f.run(&["config", "0"])), CONFIG);
    // The commands, one a line, in one write.
    assert_eq!(ok(&f.run(&["config", "3", "migrate 1", "cpus 0-1"])), "");
    assert_eq!(f.read("network_3/config"), "migrate 1\ncpus 0-1\n");
    std::fs::write(f.file("network_3/config"), "").unwrap();
    let cmds = f.root.join("cmds");
    std::fs::write(&cmds, "policy interleave nodes 0-1\navoid_cpu0 1\n").unwrap();
    ok(&f.run(&["config", "3", "--file", cmds.to_str().unwrap()]));
    assert_eq!(
        f.read("network_3/config"),
        "policy interleave nodes 0-1\navoid_cpu0 1\n"
    );
    std::fs::write(f.file("network_3/config"), "").unwrap();
    ok(&f.run_in(&f.dir(), &["config", "3", "--file", "-"], b"node 1"));
    assert_eq!(f.read("network_3/config"), "node 1\n");
    // A write that fails: at open (a directory), and in write() itself (/dev/full).
    std::fs::remove_file(f.file("network_3/config")).unwrap();
    std::fs::create_dir(f.file("network_3/config")).unwrap();
    fails(
        &f.run(&["config", "3", "node 1"]),
        1,
        "network_3/config: open: Is a directory (EISDIR)",
    );
    std::fs::remove_dir(f.file("network_3/config")).unwrap();
    std::os::unix::fs::symlink("/dev/full", f.file("network_3/config")).unwrap();
    fails(
        &f.run(&["config", "3", "migrate 1"]),
        1,
        "network_3/config: write: No space left on device (ENOSPC): the re-placement would pass neural_max_total_mb: the old placement still serves",
    );
    fails(&f.run(&["config", "7"]), 1, "nnctl: no network 7 (ls ");
    fails(
        &f.run(&["config", "3", "x", "--file", "-"]),
        2,
        "cannot be used with",
    );
}

/// A fake `load` or `predict`: room for `written` bytes, then the answer.
fn canned(f: &Fake, file: &str, written: usize, answer: &str) {
    let mut v = vec![b'?'; written];
    v.extend_from_slice(answer.as_bytes());
    std::fs::write(f.file(file), v).unwrap();
}

#[test]
fn load_writes_the_blob_and_reads_the_id_back() {
    let f = Fake::new("load");
    let model = f.root.join("m.nnm");
    let m = model.to_str().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_nnctl"))
        .args(["random", "--seed", "1", "--dims", "3,4,2", "-o", m])
        .output()
        .unwrap();
    assert!(o.status.success());
    let blob = std::fs::read(&model).unwrap();
    canned(&f, "load", blob.len(), "3\n");
    assert_eq!(ok(&f.run(&["load", m])), "3\n");
    assert_eq!(
        &std::fs::read(f.file("load")).unwrap()[..blob.len()],
        &blob[..]
    );
    // From stdin, and placed through the new network's config.
    canned(&f, "load", blob.len(), "3\n");
    let o = f.run_in(
        &f.dir(),
        &["load", "-", "--policy", "interleave", "--nodes", "0-1"],
        &blob,
    );
    assert_eq!(ok(&o), "3\n");
    assert_eq!(f.read("network_3/config"), "policy interleave nodes 0-1\n");
    // A placement that fails: the network is removed again.
    canned(&f, "load", blob.len(), "3\n");
    std::fs::remove_file(f.file("network_3/config")).unwrap();
    std::fs::create_dir(f.file("network_3/config")).unwrap();
    fails(
        &f.run(&["load", m, "--node", "1"]),
        1,
        "'node 1': network 3 loaded, then removed",
    );
    assert_eq!(f.read("remove"), "3\n");
    // No id back.
    canned(&f, "load", blob.len(), "none\n");
    fails(
        &f.run(&["load", m]),
        1,
        "load: read 'none' back, not the new network's id",
    );
    fails(&f.run(&["load", m, "--policy", "sideways"]), 2, "sideways");
    fails(
        &f.run(&["load", "/nonexistent.nnm"]),
        1,
        "/nonexistent.nnm: No such file",
    );
}

#[test]
fn replace_writes_the_blob_to_the_networks_replace_file() {
    let f = Fake::new("replace");
    let model = f.root.join("m.nnm");
    let m = model.to_str().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_nnctl"))
        .args(["random", "--seed", "2", "--dims", "3,5,2", "-o", m])
        .output()
        .unwrap();
    assert!(o.status.success());
    let blob = std::fs::read(&model).unwrap();
    std::fs::write(f.file("network_3/replace"), "").unwrap();
    assert_eq!(ok(&f.run(&["replace", "3", m])), "");
    assert_eq!(std::fs::read(f.file("network_3/replace")).unwrap(), blob);
    // From stdin.
    std::fs::write(f.file("network_3/replace"), "").unwrap();
    assert_eq!(ok(&f.run_in(&f.dir(), &["replace", "3", "-"], &blob)), "");
    assert_eq!(std::fs::read(f.file("network_3/replace")).unwrap(), blob);
    // A refusal: the write fails, with the hint.
    std::fs::remove_file(f.file("network_3/replace")).unwrap();
    std::os::unix::fs::symlink("/dev/full", f.file("network_3/replace")).unwrap();
    fails(
        &f.run(&["replace", "3", m]),
        1,
        "network_3/replace: write: No space left on device (ENOSPC): over neural_max_total_mb",
    );
    fails(&f.run(&["replace", "7", m]), 1, "nnctl: no network 7 (ls ");
    fails(&f.run(&["replace", "3"]), 2, "MODEL.nnm");
    fails(
        &f.run(&["replace", "3", "/nonexistent.nnm"]),
        1,
        "/nonexistent.nnm: No such file",
    );
}

#[test]
fn predict_writes_lines_and_reads_the_results_back() {
    let f = Fake::new("predict");
    let input = "1 -0.5 0.25\n0 0 0";
    let answer = "0.25 -0.5 class 0\n0 0 class 0\n";
    // nnctl ends the last line, which would otherwise run only at close.
    canned(&f, "network_0/predict", input.len() + 1, answer);
    let inputs = f.root.join("in.txt");
    std::fs::write(&inputs, input).unwrap();
    assert_eq!(
        ok(&f.run(&["predict", "0", inputs.to_str().unwrap()])),
        answer
    );
    assert_eq!(
        &f.read("network_0/predict")[..input.len() + 1],
        format!("{input}\n")
    );
    canned(&f, "network_0/predict", input.len() + 1, answer);
    assert_eq!(
        ok(&f.run_in(&f.dir(), &["predict", "0"], input.as_bytes())),
        answer
    );
    canned(&f, "network_0/predict", input.len() + 1, answer);
    assert_eq!(
        ok(&f.run_in(&f.dir(), &["predict", "0", "-"], input.as_bytes())),
        answer
    );
    fails(
        &f.run(&["predict", "7", "-"]),
        1,
        "nnctl: no network 7 (ls ",
    );
    std::os::unix::fs::symlink("/dev/full", f.file("network_3/predict")).unwrap();
    fails(
        &f.run_in(&f.dir(), &["predict", "3"], b"1 2 3\n"),
        1,
        "network_3/predict: write: No space left on device (ENOSPC)",
    );
}

#[test]
fn a_missing_directory_says_why() {
    let f = Fake::new("missing");
    let gone = f.root.join("gone");
    // Debugfs mounted, the module loaded: the directory named is wrong.
    fails(&f.run_in(&gone, &["status"], b""), 1, "is --debugfs right?");
    // The module not loaded.
    std::fs::remove_dir(f.root.join("module")).unwrap();
    for args in [
        &["status"][..],
        &["map"],
        &["stats"],
        &["stats", "0"],
        &["config", "0"],
        &["load", "/dev/null"],
        &["predict", "0", "/dev/null"],
    ] {
        let o = f.run_in(&gone, args, b"");
        fails(
            &o,
            1,
            "nnctl: the neural_network module is not loaded (modprobe neural_network)\n",
        );
        assert!(!err(&o).contains("debugfs is not mounted"), "{}", err(&o));
    }
    // Nor debugfs mounted.
    std::fs::write(f.root.join("mounts"), "proc /proc proc rw 0 0\n").unwrap();
    let o = f.run_in(&gone, &["status"], b"");
    fails(
        &o,
        1,
        "nnctl: debugfs is not mounted (mount -t debugfs none /sys/kernel/debug)\n",
    );
    assert!(err(&o).contains("module is not loaded"));
}

#[test]
fn every_subcommand_has_help() {
    let f = Fake::new("help");
    for sub in [
        "compile", "eval", "info", "random", "inputs", "status", "map", "stats", "config", "load",
        "predict",
    ] {
        let o = f.run(&[sub, "--help"]);
        let s = ok(&o);
        assert!(s.contains(&format!("Usage: nnctl {sub}")), "{sub}: {s}");
        assert!(s.contains("--debugfs <DIR>"), "{sub}: {s}");
        let o = f.run(&["help", sub]);
        assert!(ok(&o).contains(&format!("Usage: nnctl {sub}")));
    }
    assert!(ok(&f.run(&["--help"])).contains("predict"));
    for args in [
        &["stats", "x"][..],
        &["config"],
        &["predict"],
        &["map", "--width", "3"],
    ] {
        assert_eq!(f.run(args).status.code(), Some(2), "{args:?}");
    }
}
