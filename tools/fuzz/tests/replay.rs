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
