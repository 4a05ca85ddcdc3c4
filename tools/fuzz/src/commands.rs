// SPDX-License-Identifier: GPL-2.0

//! The fuzz targets of the debugfs command grammars (`rust/pure/create_line.rs`,
//! `config_line.rs`, `train_text.rs`, `id_line.rs`): each parses arbitrary bytes as the
//! kernel does and checks the outcome against a second reading of the grammar written
//! here from Documentation/neural_network/admin-guide.rst (accept exactly when it
//! accepts, and to the same values), that what was accepted is written back by its
//! `Display` to a line that parses to the same value, and the limits the kernel relies
//! on.
//!
//! The first byte or bytes of an input choose what the kernel would pass besides the
//! text (`MAX_NUMNODES`; a network's widths and formats), so that the corpus covers
//! machines and networks of several shapes.

use nn_pure::activation::Activation;
use nn_pure::config_line::{
    config_lines, ConfigCommand, ConfigError, Cpus, CACHE_TIMEOUT_MAX_MS, USAGE,
};
use nn_pure::create_line::{CreateError, CreateLine, CREATE_LINE_MAX};
use nn_pure::decimal::write_q;
use nn_pure::id_line::{parse_id, IdError, ID_LINE_MAX};
use nn_pure::lines::numbered_lines;
use nn_pure::nodemask::{NodeArgError, NodeMask, MAX_NODELIST_LEN};
use nn_pure::policy::NumaPolicy;
use nn_pure::train::{LR_MAX, MAX_EPOCHS};
use nn_pure::train_text::{parse_sample, Setting, TrainLine, TrainSettings};
use nn_pure::xavier::MAX_LAYERS;

/// Checks the reason of a refusal: the text of one log line.
fn assert_reason(e: impl std::fmt::Display) {
    let text = e.to_string();
    assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
}

/// The `MAX_NUMNODES` a byte picks: the kernel's values (`NODES_SHIFT` 0 to 10) and a few
/// in between.
fn max_nodes(b: u8) -> u32 {
    [1, 2, 4, 8, 16, 64, 3, 1024][usize::from(b % 8)]
}

/// The value of a decimal number as `str::parse` reads an unsigned integer (`+`? then
/// one or more ASCII digits), if it is at most `max`.
fn unsigned(s: &str, max: u128) -> Option<u128> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut v: u128 = 0;
    for c in digits.bytes() {
        v = v.saturating_mul(10).saturating_add(u128::from(c - b'0'));
    }
    (v <= max).then_some(v)
}

/// A node list as admin-guide.rst has it (`0-3,6`: ids and ranges `a-b`, `a <= b`,
/// separated by commas, every id below `max`), as a set of ids; `None` if it is not one.
fn node_list(s: &str, max: u32) -> Option<Vec<u32>> {
    if s.len() > MAX_NODELIST_LEN {
        return None;
    }
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut ids = Vec::new();
    for item in s.split(',') {
        let (a, b) = item.split_once('-').unwrap_or((item, item));
        let id = |t: &str| -> Option<u32> {
            if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            unsigned(t, u128::from(max) - 1).map(|v| v as u32)
        };
        let (a, b) = (id(a)?, id(b)?);
        if a > b {
            return None;
        }
        ids.extend(a..=b);
    }
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

fn mask_ids(m: &NodeMask) -> Vec<u32> {
    m.iter().collect()
}

/// What a `create` line asks for, read by [`create_spec`].
#[derive(Debug, PartialEq)]
struct CreateSpec {
    dims: Vec<usize>,
    acts: Vec<Activation>,
    seed: Option<u64>,
    policy: Option<NumaPolicy>,
    node: Option<u32>,
    nodes: Option<Vec<u32>>,
}

/// `create`'s grammar from admin-guide.rst: sizes, then one activation per layer, with
/// `seed=N`, `policy=NAME`, `node=N`, `nodes=LIST` anywhere (the last of each counts).
fn create_spec(line: &[u8], max: u32) -> Option<CreateSpec> {
    let line = std::str::from_utf8(line).ok()?;
    let mut s = CreateSpec {
        dims: Vec::new(),
        acts: Vec::new(),
        seed: None,
        policy: None,
        node: None,
        nodes: None,
    };
    let names = ["linear", "relu", "sigmoid", "tanh"];
    for tok in line.split(|c: char| c.is_ascii_whitespace()) {
        if tok.is_empty() {
            continue;
        }
        match tok.split_once('=') {
            Some(("seed", v)) => s.seed = Some(unsigned(v, u128::from(u64::MAX))? as u64),
            Some(("policy", v)) => {
                s.policy = Some(NumaPolicy::ALL.into_iter().find(|p| p.name() == v)?)
            }
            Some(("node", v)) => s.node = Some(unsigned(v, u128::from(max) - 1)? as u32),
            Some(("nodes", v)) => s.nodes = Some(node_list(v, max)?),
            _ if tok.bytes().all(|c| c.is_ascii_digit()) => {
                if !s.acts.is_empty() {
                    return None;
                }
                let d = unsigned(tok, 4096)? as usize;
                if d == 0 {
                    return None;
                }
                s.dims.push(d);
            }
            _ => {
                let code = names.iter().position(|&n| n == tok)?;
                s.acts.push(Activation::from_code(code as u8).unwrap());
            }
        }
    }
    let layers = s.acts.len();
    ((1..=MAX_LAYERS).contains(&layers) && s.dims.len() == layers + 1).then_some(s)
}

/// The `create_parse` target: the first byte picks `MAX_NUMNODES`, the rest is the line.
pub fn create_parse(data: &[u8]) {
    let Some((&b, line)) = data.split_first() else {
        return;
    };
    let max = max_nodes(b);
    let parsed = CreateLine::parse(line, max);
    let spec = create_spec(line, max);
    let c = match parsed {
        Err(e) => {
            assert!(
                spec.is_none(),
                "refused ({e}) but the grammar accepts {spec:?}"
            );
            assert_reason(e);
            if let CreateError::Node(NodeArgError::OutOfRange { node, limit }) = e {
                assert!(node >= limit && limit == max);
            }
            return;
        }
        Ok(c) => c,
    };
    let spec = spec.expect("accepted, but the grammar refuses");
    let layers = c.plan.layers();
    let mut dims = vec![c.plan.input_dim()];
    dims.extend(layers.iter().map(|l| l.outputs));
    let acts: Vec<Activation> = layers.iter().map(|l| l.activation).collect();
    let got = CreateSpec {
        dims,
        acts,
        seed: c.seed,
        policy: c.policy,
        node: c.node,
        nodes: c.nodes.map(|(m, _)| mask_ids(&m)),
    };
    assert_eq!(got, spec);
    // The plan holds together: each layer's inputs are the previous outputs.
    for pair in layers.windows(2) {
        assert_eq!(pair[0].outputs, pair[1].inputs);
    }
    assert_eq!(
        c.places(),
        c.policy.is_some() || c.node.is_some() || c.nodes.is_some()
    );
    if let Some((m, text)) = c.nodes {
        assert!(!m.is_empty());
        assert!(m.iter().all(|n| n < max));
        // The text the log shows is the line's own.
        let line = std::str::from_utf8(line).unwrap();
        assert!(line.contains(&format!("nodes={text}")));
    }
    // Written back: a line that parses to the same request, and fits one write.
    let canon = c.to_string();
    assert!(canon.len() <= CREATE_LINE_MAX, "{} bytes", canon.len());
    let back = CreateLine::parse(canon.as_bytes(), max).expect(&canon);
    assert_eq!(
        (back.plan, back.seed, back.policy, back.node),
        (c.plan, c.seed, c.policy, c.node)
    );
    assert_eq!(back.nodes.map(|n| n.0), c.nodes.map(|n| n.0));
    assert_eq!(back.to_string(), canon);
}

/// What a `config` command gives, read by [`config_spec`].
#[derive(Debug, Default, PartialEq)]
struct ConfigSpec {
    policy: Option<NumaPolicy>,
    node: Option<u32>,
    nodes: Option<Vec<u32>>,
    migrate: Option<u32>,
    cpus: Option<Option<String>>,
    avoid_cpu0: Option<bool>,
    cache_timeout: Option<Option<u32>>,
    simd: Option<bool>,
}

/// `config`'s grammar from admin-guide.rst ("Commands"): `key value` or `key=value`
/// pairs, each key at most once, `migrate` with no placement key.
fn config_spec(line: &str, max: u32) -> Option<ConfigSpec> {
    let toks: Vec<&str> = line
        .split(|c: char| c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((k, v)) = toks[i].split_once('=') {
            pairs.push((k, v));
            i += 1;
        } else {
            pairs.push((toks[i], *toks.get(i + 1)?));
            i += 2;
        }
    }
    if pairs.is_empty() {
        return None;
    }
    let mut keys: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    if keys.len() != n {
        return None;
    }
    let flag = |v: &str| match v {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    };
    let node = |v: &str| unsigned(v, u128::from(max) - 1).map(|v| v as u32);
    let mut s = ConfigSpec::default();
    for (k, v) in pairs {
        match k {
            "policy" => s.policy = Some(NumaPolicy::ALL.into_iter().find(|p| p.name() == v)?),
            "node" => s.node = Some(node(v)?),
            "nodes" => s.nodes = Some(node_list(v, max)?),
            "migrate" => s.migrate = Some(node(v)?),
            "cpus" => s.cpus = Some((v != "default").then(|| v.to_string())),
            "avoid_cpu0" => s.avoid_cpu0 = Some(flag(v)?),
            "cache_timeout" => {
                s.cache_timeout = Some(match v {
                    "default" => None,
                    _ => Some(unsigned(v, u128::from(CACHE_TIMEOUT_MAX_MS))? as u32),
                })
            }
            "simd" => s.simd = Some(flag(v)?),
            _ => return None,
        }
    }
    if s.migrate.is_some() && (s.policy.is_some() || s.node.is_some() || s.nodes.is_some()) {
        return None;
    }
    Some(s)
}

fn config_got(c: &ConfigCommand<'_>) -> ConfigSpec {
    ConfigSpec {
        policy: c.policy,
        node: c.node,
        nodes: c.nodes.map(|(m, _)| mask_ids(&m)),
        migrate: c.migrate,
        cpus: c.cpus.map(|c| match c {
            Cpus::Default => None,
            Cpus::List(l) => Some(l.to_string()),
        }),
        avoid_cpu0: c.avoid_cpu0,
        cache_timeout: c.cache_timeout,
        simd: c.simd,
    }
}

/// The `config_parse` target: the first byte picks `MAX_NUMNODES`, the rest is a write,
/// checked line by line as `debugfs/config.rs` does.
pub fn config_parse(data: &[u8]) {
    let Some((&b, text)) = data.split_first() else {
        return;
    };
    let max = max_nodes(b);
    let lines = match config_lines(text) {
        Ok(lines) => lines,
        Err(e) => {
            assert_eq!(e, ConfigError::NotText);
            assert!(std::str::from_utf8(text).is_err());
            return;
        }
    };
    let all: Vec<&str> = std::str::from_utf8(text).unwrap().lines().collect();
    let mut last = 0;
    for (n, line) in lines {
        // Numbered from 1, blank lines counted, and only blank lines left out.
        assert!(n > last);
        assert_eq!(all[n - 1], line);
        assert!(all[last..n - 1].iter().all(|l| l.trim_ascii().is_empty()));
        assert!(!line.trim_ascii().is_empty());
        last = n;

        let spec = config_spec(line, max);
        let c = match ConfigCommand::parse(line, max) {
            Err(e) => {
                assert!(
                    spec.is_none(),
                    "{line:?} refused ({e}), the grammar accepts {spec:?}"
                );
                assert_reason(e);
                assert_ne!(e, ConfigError::NotText);
                if e == ConfigError::Usage {
                    assert_eq!(e.to_string(), USAGE);
                }
                continue;
            }
            Ok(c) => c,
        };
        let spec = spec.unwrap_or_else(|| panic!("{line:?} accepted, the grammar refuses"));
        assert_eq!(config_got(&c), spec, "{line:?}");
        assert_eq!(
            c.places(),
            c.policy.is_some() || c.node.is_some() || c.nodes.is_some() || c.migrate.is_some()
        );
        if let Some((m, text)) = c.nodes {
            assert!(!m.is_empty() && m.iter().all(|n| n < max));
            assert!(line.contains(text));
        }
        let canon = c.to_string();
        let back = ConfigCommand::parse(&canon, max).expect(&canon);
        assert_eq!(config_got(&back), spec, "{canon:?}");
        assert_eq!(back.to_string(), canon);
    }
    if last == 0 {
        assert!(all.iter().all(|l| l.trim_ascii().is_empty()));
    }
}

/// Writes a sample line of `x` and `t` as the documentation shows them.
fn sample_text(x: &[i16], in_frac: u8, t: &[i16], out_frac: u8) -> String {
    let mut s = String::new();
    for &q in x {
        write_q(&mut s, q, in_frac).unwrap();
        s.push(' ');
    }
    s.push(':');
    for &q in t {
        s.push(' ');
        write_q(&mut s, q, out_frac).unwrap();
    }
    s
}

/// The `train_parse` target: the first 3 bytes pick the network (inputs 1 to 8, outputs
/// 1 to 4, the input and output formats), the rest is a write, its lines taken as
/// `debugfs/train.rs` takes them, twice (the kernel counts the samples, allocates, then
/// reads them again).
pub fn train_parse(data: &[u8]) {
    let [a, b, f, text @ ..] = data else {
        return;
    };
    let din = usize::from(a % 8) + 1;
    let dout = usize::from(b % 4) + 1;
    let (in_frac, out_frac) = (f % 16, (f >> 4) % 16);
    let (mut x, mut t) = (vec![0i16; din], vec![0i16; dout]);
    let mut settings = TrainSettings::DEFAULT;
    let mut samples: Vec<(Vec<i16>, Vec<i16>)> = Vec::new();
    let mut failed = false;
    let lines = numbered_lines(text, 1);
    for (n, line) in lines.clone() {
        assert!(n >= 1);
        match TrainLine::parse(line, in_frac, out_frac, &mut x, &mut t) {
            Ok(TrainLine::Setting(s)) => {
                assert_eq!(Setting::parse(line), Ok(Some(s)));
                match s {
                    Setting::Epochs(e) => assert!((1..=MAX_EPOCHS).contains(&e)),
                    Setting::Batch(b) => assert!(b >= 1),
                    Setting::Rate(lr) => {
                        assert!(lr > 0 && lr <= LR_MAX && lr % (1 << 12) == 0)
                    }
                }
                let words: Vec<&[u8]> = line
                    .split(|c| c.is_ascii_whitespace())
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(words.len(), 2);
                let canon = s.to_string();
                assert_eq!(Setting::parse(canon.as_bytes()), Ok(Some(s)), "{canon}");
                settings.set(s);
            }
            Ok(TrainLine::Sample) => {
                // The kernel's bound: a sample's values (2 bytes each) take no more bytes
                // than its line and newline.
                assert!(line.len() + 1 >= 2 * (din + dout), "{line:?}");
                assert!(line.contains(&b':'));
                let canon = sample_text(&x, in_frac, &t, out_frac);
                let (mut x2, mut t2) = (vec![0i16; din], vec![0i16; dout]);
                assert_eq!(
                    parse_sample(canon.as_bytes(), in_frac, out_frac, &mut x2, &mut t2),
                    Ok(()),
                    "{canon}"
                );
                assert_eq!((&x2, &t2), (&x, &t), "{canon}");
                samples.push((x.clone(), t.clone()));
            }
            Err(e) => {
                assert_reason(e);
                failed = true;
                break;
            }
        }
    }
    if failed || samples.is_empty() {
        return;
    }
    // What the kernel's limit of values rests on: they take no more bytes than the text.
    assert!(2 * samples.len() * (din + dout) <= text.len() + 1);
    // The second pass: settings skipped, each sample read into its slot, the same.
    let mut again = samples.iter();
    for (_, line) in lines {
        if Setting::parse(line).unwrap().is_some() {
            continue;
        }
        let (x0, t0) = again.next().expect("as many samples as the first pass");
        let (mut x2, mut t2) = (vec![0i16; din], vec![0i16; dout]);
        parse_sample(line, in_frac, out_frac, &mut x2, &mut t2).unwrap();
        assert_eq!((&x2, &t2), (x0, t0));
    }
    assert!(again.next().is_none());
    assert!(settings.epochs >= 1 && settings.batch >= 1 && settings.lr > 0);
}

/// The `id_parse` target: the whole input is a write to `remove` or `evacuate`.
pub fn id_parse(data: &[u8]) {
    // Every id fits a write, with echo's newline.
    assert!(format!("{}\n", u32::MAX).len() <= ID_LINE_MAX);
    let r = parse_id(data);
    let Ok(s) = std::str::from_utf8(data) else {
        assert_eq!(r, Err(IdError::NotText));
        return;
    };
    let body = s.trim_matches(char::is_whitespace);
    let want = if body.is_empty() {
        Err(IdError::Empty)
    } else if !body.bytes().all(|c| c.is_ascii_digit()) {
        Err(IdError::NotDecimal)
    } else {
        unsigned(body, u128::from(u32::MAX))
            .map(|v| v as u32)
            .ok_or(IdError::TooLarge)
    };
    assert_eq!(r, want, "{s:?}");
    if let Ok(id) = r {
        assert_eq!(parse_id(format!("{id}").as_bytes()), Ok(id));
        assert_eq!(parse_id(format!(" {id}\n").as_bytes()), Ok(id));
    }
}
