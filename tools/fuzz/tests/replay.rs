// SPDX-License-Identifier: GPL-2.0

//! Runs each target's checks over its committed corpus (and the malformed models) without
//! libFuzzer: `cargo test --manifest-path tools/fuzz/Cargo.toml`. A crash the fuzzer
//! found stays found once its input is in the corpus.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The fewest inputs a target's committed corpus may hold: a missing, emptied or
/// truncated corpus fails the replay instead of passing on nothing.
const MIN_CORPUS: usize = 50;

/// The files of `dir`, sorted; a missing directory is a failure.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| f.unwrap().path())
        .collect();
    v.sort();
    v
}

fn replay(target: &str, f: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let committed = files(&root.join("corpus").join(target));
    assert!(
        committed.len() >= MIN_CORPUS,
        "the committed corpus of {target} has {} inputs, fewer than {MIN_CORPUS}",
        committed.len()
    );
    let mut all = vec![committed];
    if let Some(extra) = std::env::var_os("NN_FUZZ_REPLAY") {
        all.push(files(&PathBuf::from(extra).join(target)));
    }
    let mut n = 0;
    for dir in all {
        for p in dir {
            let data = fs::read(&p).unwrap();
            let t = Instant::now();
            f(&data);
            let dt = t.elapsed();
            if dt.as_millis() > 50 {
                eprintln!("{}: {dt:?}", p.display());
            }
            n += 1;
        }
    }
    eprintln!("{target}: {n} inputs");
}

#[test]
fn model_parse_corpus() {
    replay("model_parse", nn_fuzz::model_parse);
    // The committed corpus reaches every outcome but the 64 MiB limit (no small input
    // reaches that one): an acceptance and each rejection reason.
    let mut seen = std::collections::BTreeMap::new();
    for p in files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/model_parse")) {
        let data = fs::read(&p).unwrap();
        let outcome = match nn_pure::model::Model::parse(&data) {
            Ok(_) => "accepted",
            Err(e) => e.reason(),
        };
        *seen.entry(outcome).or_insert(0) += 1;
    }
    eprintln!("model_parse corpus outcomes: {seen:#?}");
    assert!(seen.contains_key("accepted"));
    assert_eq!(seen.len(), 16, "{seen:#?}");
    let malformed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testing/models/malformed");
    let all = files(&malformed);
    assert!(all.len() > 20, "tools/testing/models/malformed");
    for p in all {
        if p.extension().is_some_and(|e| e == "nnm") {
            assert!(!nn_fuzz::check(&fs::read(&p).unwrap()), "{}", p.display());
        }
    }
}

#[test]
fn model_mutate_corpus() {
    replay("model_mutate", nn_fuzz::model_mutate);
}

#[test]
fn decimal_parse_corpus() {
    replay("decimal_parse", nn_fuzz::decimal_parse);
}

/// "accepted", or the error's variant as its `Debug` names it, with the variant inside it
/// if any (`Node(OutOfRange`, `Plan(BadDim`).
fn outcome<T, E: std::fmt::Debug>(r: Result<T, E>) -> String {
    match r {
        Ok(_) => "accepted".to_string(),
        Err(e) => {
            let name = format!("{e:?}");
            let end = name.find([' ', '{', ')']).unwrap_or(name.len());
            let name = &name[..end];
            // At most two levels: `Plan(BadDim(0` is `Plan(BadDim`.
            match name.match_indices('(').nth(1) {
                Some((i, _)) => name[..i].to_string(),
                None => name.to_string(),
            }
        }
    }
}

/// The outcome of the first line of `results` that is refused, or "accepted".
fn lines_outcome<T, E: std::fmt::Debug>(results: impl Iterator<Item = Result<T, E>>) -> String {
    for r in results {
        if r.is_err() {
            return outcome(r);
        }
    }
    "accepted".to_string()
}

/// The outcomes (from [`outcome`]) of `parse` over a target's committed corpus, with how
/// many inputs reach each.
fn outcomes(
    target: &str,
    parse: impl Fn(&[u8]) -> String,
) -> std::collections::BTreeMap<String, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for p in files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target),
    ) {
        *seen.entry(parse(&fs::read(&p).unwrap())).or_insert(0) += 1;
    }
    eprintln!("{target} corpus outcomes: {seen:#?}");
    seen
}

/// Checks that some input reaches each of `want` (an outcome, or the start of one:
/// `Plan` for any `Plan(...)`).
fn assert_reaches(seen: &std::collections::BTreeMap<String, usize>, want: &[&str]) {
    for w in want {
        assert!(
            seen.keys()
                .any(|k| k == w || k.starts_with(&format!("{w}("))),
            "no input reaches {w}: {seen:#?}"
        );
    }
}

#[test]
fn create_parse_corpus() {
    replay("create_parse", nn_fuzz::create_parse);
    // The committed corpus reaches an acceptance and every rejection.
    let seen = outcomes("create_parse", |d| {
        outcome(nn_pure::create_line::CreateLine::parse(
            d.get(1..).unwrap_or(&[]),
            8,
        ))
    });
    assert_reaches(
        &seen,
        &[
            "accepted",
            "NotText",
            "Seed",
            "Policy",
            "Node(NotNumber",
            "Node(OutOfRange",
            "Node(List",
            "SizeAfterActivation",
            "TooManySizes",
            "SizeOutOfRange",
            "Activation",
            "TooManyActivations",
            "Shape",
            "Plan",
        ],
    );
}

#[test]
fn config_parse_corpus() {
    replay("config_parse", nn_fuzz::config_parse);
    // Every line of the committed corpus, as a command: an acceptance and every
    // rejection.
    let seen = outcomes(
        "config_parse",
        |d| match nn_pure::config_line::config_lines(d.get(1..).unwrap_or(&[])) {
            Ok(lines) => lines_outcome(
                lines.map(|(_, line)| nn_pure::config_line::ConfigCommand::parse(line, 8)),
            ),
            Err(e) => outcome::<(), _>(Err(e)),
        },
    );
    assert_reaches(
        &seen,
        &[
            "accepted",
            "NotText",
            "NoValue",
            "Policy",
            "Node(NotNumber",
            "Node(OutOfRange",
            "Node(List",
            "AvoidCpu0",
            "CacheTimeout",
            "Simd",
            "Twice",
            "Usage",
            "MigrateAlone",
        ],
    );
}

#[test]
fn train_parse_corpus() {
    replay("train_parse", nn_fuzz::train_parse);
    // As the seeds' first network (2 inputs Q3.12, 1 output Q0.15): an acceptance and
    // every rejection.
    let seen = outcomes("train_parse", |d| {
        let (mut x, mut t) = ([0i16; 2], [0i16; 1]);
        lines_outcome(
            nn_pure::lines::numbered_lines(d.get(3..).unwrap_or(&[]), 1).map(|(_, line)| {
                nn_pure::train_text::TrainLine::parse(line, 12, 15, &mut x, &mut t)
            }),
        )
    });
    assert_reaches(
        &seen,
        &[
            "accepted",
            "NotText",
            "Epochs",
            "Batch",
            "Rate",
            "NoColon",
            "Inputs",
            "Targets",
            "InputCount",
            "TargetCount",
        ],
    );
}

#[test]
fn id_parse_corpus() {
    replay("id_parse", nn_fuzz::id_parse);
    let seen = outcomes("id_parse", |d| outcome(nn_pure::id_line::parse_id(d)));
    assert_reaches(
        &seen,
        &["accepted", "NotText", "Empty", "NotDecimal", "TooLarge"],
    );
}
