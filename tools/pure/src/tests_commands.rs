// SPDX-License-Identifier: GPL-2.0

//! Host tests of the debugfs command grammars: `create` (`rust/pure/create_line.rs`),
//! `config` (`config_line.rs`), `train` (`train_text.rs`), the id of `remove` and
//! `evacuate` (`id_line.rs`), the numbered lines of `predict` and `train` (`lines.rs`)
//! and the policy names (`policy.rs`): accepted lines, every error with the text the
//! kernel logs, and the limits.

extern crate std;

use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use crate::activation::Activation;
use crate::config_line::{
    config_lines, ConfigCommand, ConfigError, Cpus, CACHE_TIMEOUT_MAX_MS, CONFIG_TEXT_MAX, USAGE,
};
use crate::create_line::{CreateError, CreateLine, CREATE_LINE_MAX};
use crate::decimal::DecimalError;
use crate::id_line::{parse_id, IdError, ID_LINE_MAX};
use crate::lines::numbered_lines;
use crate::nodemask::{NodeArgError, NodeListError, NodeMask};
use crate::policy::NumaPolicy;
use crate::train::{LR_ONE, MAX_EPOCHS};
use crate::train_text::{parse_sample, Setting, TrainError, TrainLine, TrainSettings};
use crate::xavier::PlanError;

/// `MAX_NUMNODES` of the made-up kernel.
const MAX: u32 = 8;

fn create(s: &str) -> Result<CreateLine<'_>, CreateError<'_>> {
    CreateLine::parse(s.as_bytes(), MAX)
}

fn create_err(s: &str) -> (CreateError<'_>, String) {
    let e = create(s).expect_err(s);
    (e, e.to_string())
}

fn dims(c: &CreateLine<'_>) -> Vec<usize> {
    let mut d = vec![c.plan.input_dim()];
    d.extend(c.plan.layers().iter().map(|l| l.outputs));
    d
}

fn acts(c: &CreateLine<'_>) -> Vec<Activation> {
    c.plan.layers().iter().map(|l| l.activation).collect()
}

#[test]
fn create_accepts_the_documented_lines() {
    let c = create("2 4 1 tanh sigmoid seed=1\n").unwrap();
    assert_eq!(dims(&c), [2, 4, 1]);
    assert_eq!(acts(&c), [Activation::Tanh, Activation::Sigmoid]);
    assert_eq!(c.seed, Some(1));
    assert!(!c.places());
    assert_eq!((c.policy, c.node, c.nodes), (None, None, None));

    let c = create("64 32 10 relu linear policy=bind nodes=1").unwrap();
    assert_eq!(dims(&c), [64, 32, 10]);
    assert_eq!(c.policy, Some(NumaPolicy::Bind));
    assert_eq!(c.nodes, Some((NodeMask::from_nodes([1]), "1")));
    assert!(c.places());

    let c = create("64 32 10 relu linear policy=preferred node=2").unwrap();
    assert_eq!((c.policy, c.node), (Some(NumaPolicy::Preferred), Some(2)));
    assert!(c.places());
    // Each placement key alone gives a placement.
    assert!(create("2 2 linear node=0").unwrap().places());
    assert!(create("2 2 linear nodes=0-7").unwrap().places());
    assert!(create("2 2 linear policy=local").unwrap().places());
}

#[test]
fn create_takes_what_str_parse_takes() {
    // Any ASCII whitespace separates; keys may come first; the last of a key wins.
    let c = create("\t2  2\r\nlinear\x0cseed=7").unwrap();
    assert_eq!((dims(&c), c.seed), (vec![2, 2], Some(7)));
    let c = create("seed=1 node=1 2 2 linear seed=2 node=3").unwrap();
    assert_eq!((c.seed, c.node), (Some(2), Some(3)));
    // `str::parse`: a leading `+`, leading zeros.
    assert_eq!(create("2 2 linear seed=+5").unwrap().seed, Some(5));
    assert_eq!(create("2 2 linear node=+07").unwrap().node, Some(7));
    assert_eq!(create("002 2 linear").unwrap().plan.input_dim(), 2);
    assert_eq!(
        create("2 2 linear seed=18446744073709551615").unwrap().seed,
        Some(u64::MAX)
    );
}

#[test]
fn create_limits() {
    // 17 sizes of 4096 and 16 activations: the largest network.
    let line = format!("{}{}", "4096 ".repeat(17), "relu ".repeat(16));
    let c = create(&line).unwrap();
    assert_eq!((c.plan.n_layers(), c.plan.input_dim()), (16, 4096));
    // One size more, or one activation more.
    let line = format!("{}{}", "1 ".repeat(18), "relu ".repeat(17));
    assert_eq!(create_err(&line).0, CreateError::TooManySizes);
    let line = format!("{}{}", "1 ".repeat(17), "relu ".repeat(17));
    assert_eq!(create_err(&line).0, CreateError::TooManyActivations);
    // The smallest, and sizes out of 1..=4096.
    assert_eq!(dims(&create("1 1 linear").unwrap()), [1, 1]);
    assert_eq!(
        create_err("4097 1 linear"),
        (
            CreateError::Plan(PlanError::BadDim(0)),
            "a dimension is not in 1..=4096".to_string()
        )
    );
    assert_eq!(
        create_err("1 0 linear").0,
        CreateError::Plan(PlanError::BadDim(1))
    );
    // Nodes: below MAX_NUMNODES.
    assert_eq!(create("2 2 linear node=7").unwrap().node, Some(7));
    assert_eq!(
        create("2 2 linear nodes=0-7").unwrap().nodes,
        Some((NodeMask::below(MAX), "0-7"))
    );
    // The limit of a write is the kernel's; the parser reads any length.
    assert_eq!(CREATE_LINE_MAX, 4096);
    let long = format!("2 2 linear{}", " ".repeat(10_000));
    assert!(create(&long).is_ok());
}

#[test]
fn create_errors_and_their_log_text() {
    let cases: &[(&str, CreateError<'_>, &str)] = &[
        (
            "2 2 linear seed=x",
            CreateError::Seed,
            "seed is not a number",
        ),
        (
            "2 2 linear seed=",
            CreateError::Seed,
            "seed is not a number",
        ),
        (
            "2 2 linear seed=-1",
            CreateError::Seed,
            "seed is not a number",
        ),
        (
            "2 2 linear seed=18446744073709551616",
            CreateError::Seed,
            "seed is not a number",
        ),
        (
            "2 2 linear policy=mirror",
            CreateError::Policy,
            "unknown policy (local, interleave, preferred, bind, replicate)",
        ),
        (
            "2 2 linear node=x",
            CreateError::Node(NodeArgError::NotNumber),
            "node is not a number",
        ),
        (
            "2 2 linear node=-1",
            CreateError::Node(NodeArgError::NotNumber),
            "node is not a number",
        ),
        (
            "2 2 linear node=8",
            CreateError::Node(NodeArgError::OutOfRange { node: 8, limit: 8 }),
            "node=8: node 8 is out of range (MAX_NUMNODES 8)",
        ),
        (
            "2 2 linear node=4294967295",
            CreateError::Node(NodeArgError::OutOfRange {
                node: u32::MAX,
                limit: 8,
            }),
            "node=4294967295: node 4294967295 is out of range (MAX_NUMNODES 8)",
        ),
        (
            "2 2 linear nodes=3-1",
            CreateError::Node(NodeArgError::List {
                text: "3-1",
                error: NodeListError::BadRange { first: 3, last: 1 },
            }),
            "nodes=3-1: range 3-1 is reversed (first above last)",
        ),
        (
            "2 2 linear nodes=",
            CreateError::Node(NodeArgError::List {
                text: "",
                error: NodeListError::Empty,
            }),
            "nodes=: the node list is empty",
        ),
        (
            "2 linear 2",
            CreateError::SizeAfterActivation,
            "sizes come before activations",
        ),
        (
            "99999999999999999999999 1 linear",
            CreateError::SizeOutOfRange,
            "size out of range",
        ),
        (
            "2 2 softmax",
            CreateError::Activation,
            "unknown activation (linear, relu, sigmoid, tanh)",
        ),
        // A negative size or a key without `=` is no size: an unknown activation.
        (
            "-2 2 linear",
            CreateError::Activation,
            "unknown activation (linear, relu, sigmoid, tanh)",
        ),
        (
            "2 2 linear seed 1",
            CreateError::Activation,
            "unknown activation (linear, relu, sigmoid, tanh)",
        ),
        (
            "2 2 Linear",
            CreateError::Activation,
            "unknown activation (linear, relu, sigmoid, tanh)",
        ),
    ];
    for &(line, want, text) in cases {
        let (e, t) = create_err(line);
        assert_eq!(e, want, "{line:?}");
        assert_eq!(t, text, "{line:?}");
    }
    let shape = "expected sizes [in, hidden..., out] then one activation per layer";
    for line in [
        "",
        "\n",
        "2",
        "2 linear",
        "2 2",
        "2 2 linear relu",
        "2 2 2 linear",
    ] {
        assert_eq!(
            create_err(line),
            (CreateError::Shape, shape.to_string()),
            "{line:?}"
        );
    }
    assert_eq!(
        CreateLine::parse(b"2 2 linear \xff", MAX)
            .unwrap_err()
            .to_string(),
        "not text"
    );
    // The first error from the left.
    assert_eq!(create_err("2 2 softmax seed=x").0, CreateError::Activation);
    assert_eq!(create_err("seed=x 2 2 softmax").0, CreateError::Seed);
    // Shape only once every token has been read.
    assert_eq!(create_err("2 policy=x").0, CreateError::Policy);
    // With no node at all (a kernel whose MAX_NUMNODES is 1, every node is 0).
    assert_eq!(
        CreateLine::parse(b"2 2 linear node=1", 1).unwrap_err(),
        CreateError::Node(NodeArgError::OutOfRange { node: 1, limit: 1 })
    );
}

#[test]
fn create_display_parses_back() {
    for line in [
        "2 4 1 tanh sigmoid seed=1",
        "64 32 10 relu linear policy=bind nodes=1",
        "64 32 10 relu linear policy=preferred node=2",
        "1 1 linear",
        "3 3 3 relu relu nodes=0,1,2,3 node=0 policy=interleave seed=+9",
    ] {
        let c = create(line).unwrap();
        let text = c.to_string();
        let back = create(&text).unwrap();
        assert_eq!(
            (back.plan, back.seed, back.policy, back.node),
            (c.plan, c.seed, c.policy, c.node)
        );
        assert_eq!(back.nodes.map(|n| n.0), c.nodes.map(|n| n.0));
        assert_eq!(back.to_string(), text);
    }
    assert_eq!(
        create("3 3 3 relu relu nodes=3,0-2 node=0 policy=interleave seed=+9")
            .unwrap()
            .to_string(),
        "3 3 3 relu relu seed=9 policy=interleave node=0 nodes=0-3"
    );
}

fn config(s: &str) -> Result<ConfigCommand<'_>, ConfigError<'_>> {
    ConfigCommand::parse(s, MAX)
}

#[test]
fn config_accepts_each_command() {
    let c = config("policy bind nodes 1").unwrap();
    assert_eq!(c.policy, Some(NumaPolicy::Bind));
    assert_eq!(c.nodes, Some((NodeMask::from_nodes([1]), "1")));
    assert!(c.places());
    let c = config("policy=preferred node=2").unwrap();
    assert_eq!((c.policy, c.node), (Some(NumaPolicy::Preferred), Some(2)));
    assert_eq!(config("node 3").unwrap().node, Some(3));
    assert_eq!(
        config("nodes 0-1").unwrap().nodes,
        Some((NodeMask::below(2), "0-1"))
    );
    let c = config("migrate 1").unwrap();
    assert_eq!(c.migrate, Some(1));
    assert!(c.places());
    let c = config("cpus 2-3").unwrap();
    assert_eq!(c.cpus, Some(Cpus::List("2-3")));
    assert!(!c.places());
    assert_eq!(config("cpus default").unwrap().cpus, Some(Cpus::Default));
    // Any text is a cpulist here: the kernel reads it.
    assert_eq!(config("cpus=").unwrap().cpus, Some(Cpus::List("")));
    assert_eq!(
        config("cpus 0-7:2/4").unwrap().cpus,
        Some(Cpus::List("0-7:2/4"))
    );
    assert_eq!(config("avoid_cpu0 1").unwrap().avoid_cpu0, Some(true));
    assert_eq!(config("avoid_cpu0=0").unwrap().avoid_cpu0, Some(false));
    assert_eq!(
        config("cache_timeout 500").unwrap().cache_timeout,
        Some(Some(500))
    );
    assert_eq!(
        config("cache_timeout default").unwrap().cache_timeout,
        Some(None)
    );
    assert_eq!(config("simd 0").unwrap().simd, Some(false));
    assert_eq!(config("simd 1").unwrap().simd, Some(true));
    // Several keys on a line; migrate with the keys that do not place.
    let c = config("migrate 1 cpus 0 avoid_cpu0 1 cache_timeout 0 simd 1").unwrap();
    assert_eq!(
        c,
        ConfigCommand {
            migrate: Some(1),
            cpus: Some(Cpus::List("0")),
            avoid_cpu0: Some(true),
            cache_timeout: Some(Some(0)),
            simd: Some(true),
            ..ConfigCommand::default()
        }
    );
    let c = config("policy interleave node 0 nodes 0-7 cpus 1").unwrap();
    assert_eq!(c.nodes, Some((NodeMask::below(8), "0-7")));
    // `key=value` splits at the first `=`; `key value` takes the next token whole.
    assert_eq!(config("cpus=a=b").unwrap().cpus, Some(Cpus::List("a=b")));
    assert_eq!(
        config("cpus node=3").unwrap().cpus,
        Some(Cpus::List("node=3"))
    );
    assert_eq!(config("node +3").unwrap().node, Some(3));
}

#[test]
fn config_limits() {
    assert_eq!(CACHE_TIMEOUT_MAX_MS, 3_600_000);
    assert_eq!(
        config("cache_timeout 3600000").unwrap().cache_timeout,
        Some(Some(3_600_000))
    );
    assert_eq!(
        config("cache_timeout 3600001").unwrap_err(),
        ConfigError::CacheTimeout
    );
    assert_eq!(config("node 7").unwrap().node, Some(7));
    assert_eq!(config("migrate 7").unwrap().migrate, Some(7));
    assert_eq!(
        config("migrate 8").unwrap_err(),
        ConfigError::Node(NodeArgError::OutOfRange { node: 8, limit: 8 })
    );
    assert_eq!(CONFIG_TEXT_MAX, 4096);
}

#[test]
fn config_errors_and_their_log_text() {
    let cases: &[(&str, ConfigError<'_>, &str)] = &[
        ("policy", ConfigError::NoValue, "a key without a value"),
        ("simd 1 cpus", ConfigError::NoValue, "a key without a value"),
        (
            "policy mirror",
            ConfigError::Policy,
            "unknown policy (local, interleave, preferred, bind, replicate)",
        ),
        (
            "policy=",
            ConfigError::Policy,
            "unknown policy (local, interleave, preferred, bind, replicate)",
        ),
        (
            "node x",
            ConfigError::Node(NodeArgError::NotNumber),
            "a node is not a number",
        ),
        (
            "migrate -1",
            ConfigError::Node(NodeArgError::NotNumber),
            "a node is not a number",
        ),
        (
            "node 8",
            ConfigError::Node(NodeArgError::OutOfRange { node: 8, limit: 8 }),
            "node 8 is out of range (MAX_NUMNODES 8)",
        ),
        (
            "nodes 1,,2",
            ConfigError::Node(NodeArgError::List {
                text: "1,,2",
                error: NodeListError::EmptyItem,
            }),
            "nodes 1,,2: empty item in the node list",
        ),
        (
            "nodes 9",
            ConfigError::Node(NodeArgError::List {
                text: "9",
                error: NodeListError::OutOfRange { node: 9, limit: 8 },
            }),
            "nodes 9: node 9 is out of range (MAX_NUMNODES 8)",
        ),
        (
            "avoid_cpu0 2",
            ConfigError::AvoidCpu0,
            "avoid_cpu0 takes 0 or 1",
        ),
        (
            "avoid_cpu0 yes",
            ConfigError::AvoidCpu0,
            "avoid_cpu0 takes 0 or 1",
        ),
        (
            "cache_timeout -1",
            ConfigError::CacheTimeout,
            "cache_timeout takes 0 to 3600000 (ms) or default",
        ),
        (
            "cache_timeout off",
            ConfigError::CacheTimeout,
            "cache_timeout takes 0 to 3600000 (ms) or default",
        ),
        ("simd on", ConfigError::Simd, "simd takes 0 or 1"),
        ("simd 0 simd 1", ConfigError::Twice, "a key given twice"),
        ("cpus 1 cpus=2", ConfigError::Twice, "a key given twice"),
        (
            "migrate 1 migrate 2",
            ConfigError::Twice,
            "a key given twice",
        ),
        ("bogus 1", ConfigError::Usage, USAGE),
        ("", ConfigError::Usage, USAGE),
        ("Policy bind", ConfigError::Usage, USAGE),
        (
            "migrate 1 node 1",
            ConfigError::MigrateAlone,
            "migrate N stands alone (or with cpus, avoid_cpu0, cache_timeout, simd)",
        ),
        (
            "policy bind migrate 1",
            ConfigError::MigrateAlone,
            "migrate N stands alone (or with cpus, avoid_cpu0, cache_timeout, simd)",
        ),
    ];
    for &(line, want, text) in cases {
        let e = config(line).expect_err(line);
        assert_eq!(e, want, "{line:?}");
        assert_eq!(e.to_string(), text, "{line:?}");
    }
    assert!(USAGE.starts_with("expected policy NAME [node N] [nodes LIST]"));
    // The first error from the left; MigrateAlone only after every key was read.
    assert_eq!(config("simd 2 bogus 1").unwrap_err(), ConfigError::Simd);
    assert_eq!(
        config("migrate 1 node x").unwrap_err(),
        ConfigError::Node(NodeArgError::NotNumber)
    );
}

#[test]
fn config_lines_number_and_skip_blank_lines() {
    let lines: Vec<(usize, &str)> =
        config_lines(b"simd 0\n\n \t\x0c\ncache_timeout 5\r\nmigrate 1")
            .unwrap()
            .collect();
    assert_eq!(
        lines,
        [(1, "simd 0"), (4, "cache_timeout 5"), (5, "migrate 1")]
    );
    assert_eq!(config_lines(b"").unwrap().count(), 0);
    assert_eq!(config_lines(b"\n\n  \n").unwrap().count(), 0);
    assert_eq!(
        config_lines(b"simd 0\n\xff\n").err(),
        Some(ConfigError::NotText)
    );
    assert_eq!(ConfigError::NotText.to_string(), "not text");
}

#[test]
fn config_display_parses_back() {
    for line in [
        "policy bind nodes 1",
        "policy preferred node 2 cpus 0-1 avoid_cpu0 1 cache_timeout default simd 0",
        "migrate 1 cpus default cache_timeout 3600000",
        "nodes 3,0-2 node 1",
        "cpus=",
        "cpus=a=b simd=1",
    ] {
        let c = config(line).unwrap();
        let text = c.to_string();
        let back = config(&text).unwrap();
        assert_eq!(
            (back.policy, back.node, back.migrate, back.cpus),
            (c.policy, c.node, c.migrate, c.cpus),
            "{text}"
        );
        assert_eq!(
            (back.avoid_cpu0, back.cache_timeout, back.simd),
            (c.avoid_cpu0, c.cache_timeout, c.simd)
        );
        assert_eq!(back.nodes.map(|n| n.0), c.nodes.map(|n| n.0));
        assert_eq!(back.to_string(), text);
    }
    assert_eq!(
        config("simd 0 nodes 3,0-2 policy bind")
            .unwrap()
            .to_string(),
        "policy=bind nodes=0-3 simd=0"
    );
    assert_eq!(ConfigCommand::default().to_string(), "");
}

#[test]
fn train_settings() {
    let s = |t: &str| Setting::parse(t.as_bytes());
    assert_eq!(s("epochs 5"), Ok(Some(Setting::Epochs(5))));
    assert_eq!(
        s(" epochs\t100000 \r"),
        Ok(Some(Setting::Epochs(MAX_EPOCHS)))
    );
    assert_eq!(s("epochs 1"), Ok(Some(Setting::Epochs(1))));
    assert_eq!(s("batch 1"), Ok(Some(Setting::Batch(1))));
    assert_eq!(s("batch +32"), Ok(Some(Setting::Batch(32))));
    assert_eq!(s("rate 1"), Ok(Some(Setting::Rate(LR_ONE))));
    assert_eq!(s("rate 0.5"), Ok(Some(Setting::Rate(LR_ONE / 2))));
    // Q3.12: the smallest rate and the largest.
    assert_eq!(s("rate 0.000244140625"), Ok(Some(Setting::Rate(1 << 12))));
    assert_eq!(
        s("rate 7.999755859375"),
        Ok(Some(Setting::Rate(32767 << 12)))
    );
    for (t, e) in [
        ("epochs 0", TrainError::Epochs),
        ("epochs 100001", TrainError::Epochs),
        ("epochs x", TrainError::Epochs),
        ("batch 0", TrainError::Batch),
        ("batch -1", TrainError::Batch),
        ("rate 0", TrainError::Rate),
        ("rate 0.0001", TrainError::Rate),
        ("rate 8", TrainError::Rate),
        ("rate -1", TrainError::Rate),
        ("rate x", TrainError::Rate),
    ] {
        assert_eq!(s(t), Err(e), "{t}");
    }
    // Not a setting: a sample, then.
    for t in ["epochs", "epochs 5 6", "Epochs 5", "seed 1", "0 1 : 1", ""] {
        assert_eq!(s(t), Ok(None), "{t}");
    }
    assert_eq!(Setting::parse(b"0 \xff : 1"), Err(TrainError::NotText));
    let mut set = TrainSettings::DEFAULT;
    assert_eq!((set.epochs, set.lr, set.batch), (1, LR_ONE, 1));
    set.set(Setting::Epochs(7));
    set.set(Setting::Rate(3 << 12));
    set.set(Setting::Batch(4));
    assert_eq!((set.epochs, set.lr, set.batch), (7, 3 << 12, 4));
}

#[test]
fn train_setting_display_parses_back() {
    for t in [
        "epochs 100000",
        "batch 18446744073709551615",
        "rate 0.1",
        "rate 7.999755859375",
    ] {
        let s = Setting::parse(t.as_bytes()).unwrap().unwrap();
        let text = s.to_string();
        assert_eq!(Setting::parse(text.as_bytes()), Ok(Some(s)), "{text}");
    }
    assert_eq!(Setting::Rate(LR_ONE / 2).to_string(), "rate 0.5");
    // A rate that is no Q3.12 value in range writes nothing sensible: an error.
    let mut s = String::new();
    assert!(std::fmt::write(&mut s, format_args!("{}", Setting::Rate(u32::MAX))).is_err());
}

#[test]
fn train_samples() {
    let (mut x, mut t) = ([0i16; 2], [0i16; 1]);
    // Inputs Q3.12, targets Q0.15 (a sigmoid's): 1 saturates to its largest value.
    assert_eq!(parse_sample(b"0 1 : 1", 12, 15, &mut x, &mut t), Ok(()));
    assert_eq!((x, t), ([0, 4096], [32767]));
    assert_eq!(
        parse_sample(b"-0.5\t2:-7\r", 12, 15, &mut x, &mut t),
        Ok(())
    );
    assert_eq!((x, t), ([-2048, 8192], [-32768]));
    for (line, e) in [
        (&b"0 1 1"[..], TrainError::NoColon),
        (b"", TrainError::NoColon),
        (b"a 1 : 1", TrainError::Inputs(DecimalError::BadChar)),
        (b"9 0 : 1", TrainError::Inputs(DecimalError::OutOfRange)),
        (b"0 1 2 : 1", TrainError::Inputs(DecimalError::TooMany)),
        (b"0 : 1", TrainError::InputCount),
        (b" : 1", TrainError::InputCount),
        (b"0 1 : x", TrainError::Targets(DecimalError::BadChar)),
        (b"0 1 : 1 : 1", TrainError::Targets(DecimalError::TooMany)),
        (b"0 1 : 1 1", TrainError::Targets(DecimalError::TooMany)),
        (b"0 1 : 1:", TrainError::Targets(DecimalError::BadChar)),
        (b"0 1 :", TrainError::TargetCount),
    ] {
        assert_eq!(
            parse_sample(line, 12, 15, &mut x, &mut t),
            Err(e),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    let texts = [
        (TrainError::NotText, "not text"),
        (TrainError::Epochs, "epochs must be in 1..=100000"),
        (TrainError::Batch, "batch must be at least 1"),
        (TrainError::Rate, "rate must be a decimal in (0, 8)"),
        (TrainError::NoColon, "expected 'inputs : targets'"),
        (
            TrainError::Inputs(DecimalError::OutOfRange),
            "number out of range for the input format",
        ),
        (
            TrainError::Targets(DecimalError::BadChar),
            "bad character in number",
        ),
        (TrainError::InputCount, "wrong number of inputs"),
        (TrainError::TargetCount, "wrong number of targets"),
    ];
    for (e, text) in texts {
        assert_eq!(e.to_string(), text);
    }
}

#[test]
fn train_lines() {
    let (mut x, mut t) = ([0i16; 1], [0i16; 1]);
    let mut p = |l: &[u8]| TrainLine::parse(l, 12, 12, &mut x, &mut t);
    assert_eq!(p(b"epochs 3"), Ok(TrainLine::Setting(Setting::Epochs(3))));
    assert_eq!(p(b"1 : 1"), Ok(TrainLine::Sample));
    assert_eq!(p(b"epochs 0"), Err(TrainError::Epochs));
    // A setting's words with a colon are a sample.
    assert_eq!(
        p(b"epochs : 3"),
        Err(TrainError::Inputs(DecimalError::BadChar))
    );
    assert_eq!(p(b"\xff : 1"), Err(TrainError::NotText));
    assert_eq!(p(b"epochs 3 4"), Err(TrainError::NoColon));
}

#[test]
fn ids() {
    for (text, id) in [
        (&b"0"[..], 0),
        (b"3\n", 3),
        (b" \t42 \r\n", 42),
        (b"007", 7),
        (b"4294967295", u32::MAX),
        // `str::trim`: Unicode whitespace too (NO-BREAK SPACE).
        ("\u{a0}7\u{2003}".as_bytes(), 7),
    ] {
        assert_eq!(
            parse_id(text),
            Ok(id),
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
    for (text, e) in [
        (&b""[..], IdError::Empty),
        (b" \n", IdError::Empty),
        (b"+1", IdError::NotDecimal),
        (b"-1", IdError::NotDecimal),
        (b"1 2", IdError::NotDecimal),
        (b"0x10", IdError::NotDecimal),
        ("\u{ff11}".as_bytes(), IdError::NotDecimal),
        (b"4294967296", IdError::TooLarge),
        (b"99999999999999999999999999999", IdError::TooLarge),
        (b"1\xff", IdError::NotText),
    ] {
        assert_eq!(
            parse_id(text),
            Err(e),
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
    assert_eq!(ID_LINE_MAX, 32);
}

#[test]
fn numbered_lines_skip_blank_ones() {
    let got: Vec<(usize, &[u8])> = numbered_lines(b"a\n\n b\n \t\r\nc\x0c\n", 5).collect();
    let want: Vec<(usize, &[u8])> = vec![(5, b"a"), (7, b" b"), (9, b"c\x0c")];
    assert_eq!(got, want);
    assert_eq!(numbered_lines(b"", 1).count(), 0);
    assert_eq!(numbered_lines(b"\r", 1).count(), 0);
}

#[test]
fn policies_by_name_and_number() {
    for (i, p) in NumaPolicy::ALL.into_iter().enumerate() {
        assert_eq!(i32::from(p), i as i32);
        assert_eq!(NumaPolicy::from_name(p.name()), Some(p));
        assert_eq!(
            p.mask_needs_memory(),
            matches!(p, NumaPolicy::Bind | NumaPolicy::Replicate)
        );
    }
    let names: Vec<&str> = NumaPolicy::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        ["local", "interleave", "preferred", "bind", "replicate"]
    );
    assert_eq!(NumaPolicy::from_name("Bind"), None);
    assert_eq!(NumaPolicy::from_name(""), None);
    for a in [
        Activation::Linear,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
    ] {
        assert_eq!(Activation::from_name(a.name()), Some(a));
    }
    assert_eq!(Activation::from_name("softmax"), None);
}
