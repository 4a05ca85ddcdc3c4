// SPDX-License-Identifier: GPL-2.0

//! The command line.

use std::collections::HashMap;
use std::io::{Read, Write};

use nn_pure::activation::Activation;
use nn_pure::writer::write_model;

use crate::import::import;
use crate::quantize::{quantize, report, Options};
use crate::random::{random_inputs, random_model};
use crate::run::{eval, info, load, Inputs, Path};
use crate::text::read_rows;
use crate::{qformat, Result};

/// The usage text.
pub const USAGE: &str = "\
usage:
  nnctl compile MODEL.onnx -o MODEL.nnm [--calib CALIB.csv] [--input-frac N]
                [--input-range R] [--headroom H]
      import an MLP from ONNX and quantize it; the report goes to stderr
  nnctl eval MODEL.nnm INPUTS [--strict] [--simd]
      run the model on each line of INPUTS ('-': stdin); print the lines the
      module's predict file prints (inputs beyond the input format saturate and
      are counted on stderr; --strict: they are errors, as neural_strict_input=1;
      --simd: every layer by the module's AVX2 kernels, the same bits)
  nnctl info MODEL.nnm
      check a model and show its layers and formats
  nnctl random --seed S --dims D0,D1,... [--activations A,...] [--input-frac N]
               -o MODEL.nnm
      write a random valid network (activations: linear, relu, sigmoid, tanh)
  nnctl inputs --seed S --count N --dim D [--frac F]
      print N random input lines of D decimal numbers for inputs in Q(15-F).F
      (F defaults to 8)
Documentation/neural_network/nnctl.rst has the details.
";

/// A command-line mistake (exit status 2) or a failure (exit status 1).
#[derive(Debug)]
pub enum Failure {
    /// Wrong arguments.
    Usage(String),
    /// The command failed.
    Error(String),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Error(s)
    }
}

struct Args {
    positional: Vec<String>,
    options: HashMap<String, String>,
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure::Usage(msg.into())
}

fn parse_args(args: &[String], valued: &[&str]) -> std::result::Result<Args, Failure> {
    parse_args_flags(args, valued, &[])
}

/// As [`parse_args`], also taking the options in `flags`, which have no value (stored as
/// an empty one).
fn parse_args_flags(
    args: &[String],
    valued: &[&str],
    flags: &[&str],
) -> std::result::Result<Args, Failure> {
    let mut positional = Vec::new();
    let mut options = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.starts_with('-') && a.len() > 1 {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (a.as_str(), None),
            };
            if flags.contains(&name) {
                if inline.is_some() {
                    return Err(usage(format!("option '{name}' takes no value")));
                }
                if options.insert(name.to_string(), String::new()).is_some() {
                    return Err(usage(format!("option '{name}' given twice")));
                }
                continue;
            }
            if !valued.contains(&name) {
                return Err(usage(format!("unknown option '{name}'")));
            }
            let v = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| usage(format!("option '{name}' needs a value")))?,
            };
            if options.insert(name.to_string(), v).is_some() {
                return Err(usage(format!("option '{name}' given twice")));
            }
        } else {
            positional.push(a.clone());
        }
    }
    Ok(Args {
        positional,
        options,
    })
}

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    fn need(&self, name: &str) -> std::result::Result<&str, Failure> {
        self.get(name)
            .ok_or_else(|| usage(format!("option '{name}' is required")))
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> std::result::Result<Option<T>, Failure> {
        self.get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| usage(format!("option '{name}': '{v}' is not a valid number")))
            })
            .transpose()
    }

    fn positionals(&self, n: usize, what: &str) -> std::result::Result<&[String], Failure> {
        if self.positional.len() != n {
            return Err(usage(format!("expected {what}")));
        }
        Ok(&self.positional)
    }
}

fn read(path: &str) -> Result<Vec<u8>> {
    if path == "-" {
        let mut v = Vec::new();
        std::io::stdin()
            .read_to_end(&mut v)
            .map_err(|e| format!("stdin: {e}"))?;
        return Ok(v);
    }
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

fn write(path: &str, data: &[u8]) -> Result<()> {
    std::fs::write(path, data).map_err(|e| format!("{path}: {e}"))
}

fn activation_by_name(s: &str) -> Option<Activation> {
    (0..4)
        .filter_map(Activation::from_code)
        .find(|a| a.name() == s)
}

fn list<T>(
    s: &str,
    what: &str,
    f: impl Fn(&str) -> Option<T>,
) -> std::result::Result<Vec<T>, Failure> {
    s.split(',')
        .map(|x| f(x.trim()).ok_or_else(|| usage(format!("{what}: bad value '{x}'"))))
        .collect()
}

/// Runs a command; `out` and `err` are stdout and stderr.
pub fn run(
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::result::Result<(), Failure> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(usage("no command"));
    };
    let io = |e: std::io::Error| Failure::Error(format!("output: {e}"));
    match cmd.as_str() {
        "compile" => {
            let a = parse_args(
                rest,
                &[
                    "-o",
                    "--calib",
                    "--input-frac",
                    "--input-range",
                    "--headroom",
                ],
            )?;
            let p = a.positionals(1, "one ONNX model")?;
            let onnx = &p[0];
            let output = a.need("-o")?;
            let mut opts = Options {
                input_frac: a.number("--input-frac")?,
                ..Options::default()
            };
            if opts.input_frac.is_some_and(|f| f > 15) {
                return Err(usage("--input-frac must be in 0..=15"));
            }
            if let Some(r) = a.number::<f64>("--input-range")? {
                if !(r > 0.0 && r.is_finite()) {
                    return Err(usage("--input-range must be positive"));
                }
                opts.input_range = r;
            }
            if let Some(h) = a.number::<f64>("--headroom")? {
                if !(1.0..=1024.0).contains(&h) {
                    return Err(usage("--headroom must be in 1..=1024"));
                }
                opts.headroom = h;
            }
            let imported = import(&read(onnx)?).map_err(|e| format!("{onnx}: {e}"))?;
            let calib = match a.get("--calib") {
                Some(c) => read_rows(c, &read(c)?, imported.net.input_dim)?,
                None => Vec::new(),
            };
            if a.get("--calib").is_some() && calib.is_empty() {
                return Err(Failure::Error("the calibration file has no rows".into()));
            }
            let compiled = quantize(&imported.net, &calib, &opts)?;
            let blob = write_model(
                imported.net.input_dim,
                compiled.input_frac,
                &compiled.layers,
            );
            // Check with the module's parser before writing.
            load(output, &blob)?;
            write(output, &blob)?;
            writeln!(
                err,
                "{onnx}: {} dense layers, {} inputs -> {output} ({} bytes)",
                compiled.layers.len(),
                imported.net.input_dim,
                blob.len()
            )
            .map_err(io)?;
            for n in &imported.notes {
                writeln!(err, "note: {n}").map_err(io)?;
            }
            write!(
                err,
                "{}",
                report(&compiled, !calib.is_empty(), opts.headroom)
            )
            .map_err(io)?;
        }
        "eval" => {
            let a = parse_args_flags(rest, &[], &["--strict", "--simd"])?;
            let p = a.positionals(2, "a model and an inputs file")?;
            let m = load(&p[0], &read(&p[0])?)?;
            let mode = if a.get("--strict").is_some() {
                Inputs::Strict
            } else {
                Inputs::Saturate
            };
            let path = if a.get("--simd").is_some() {
                Path::Simd
            } else {
                Path::Scalar
            };
            let e = eval(&m, &p[1], &read(&p[1])?, mode, path)?;
            out.write_all(e.text.as_bytes()).map_err(io)?;
            if e.clipped > 0 {
                writeln!(
                    err,
                    "nnctl: eval: {} input numbers beyond {} saturated",
                    e.clipped,
                    qformat(m.input_frac)
                )
                .map_err(io)?;
            }
        }
        "info" => {
            let a = parse_args(rest, &[])?;
            let p = a.positionals(1, "one model")?;
            out.write_all(info(&p[0], &read(&p[0])?)?.as_bytes())
                .map_err(io)?;
        }
        "random" => {
            let a = parse_args(
                rest,
                &["--seed", "--dims", "--activations", "--input-frac", "-o"],
            )?;
            a.positionals(0, "no positional arguments")?;
            let seed = a
                .number::<u64>("--seed")?
                .ok_or_else(|| usage("option '--seed' is required"))?;
            let dims = list(a.need("--dims")?, "--dims", |s| s.parse().ok())?;
            let acts = match a.get("--activations") {
                Some(s) => list(s, "--activations", activation_by_name)?,
                None => Vec::new(),
            };
            let output = a.need("-o")?;
            let (input_frac, layers) =
                random_model(seed, &dims, &acts, a.number("--input-frac")?).map_err(usage)?;
            let blob = write_model(dims[0], input_frac, &layers);
            load(output, &blob)?;
            write(output, &blob)?;
        }
        "inputs" => {
            let a = parse_args(rest, &["--seed", "--count", "--dim", "--frac"])?;
            a.positionals(0, "no positional arguments")?;
            let seed = a
                .number::<u64>("--seed")?
                .ok_or_else(|| usage("option '--seed' is required"))?;
            let count = a
                .number::<usize>("--count")?
                .ok_or_else(|| usage("option '--count' is required"))?;
            let dim = a
                .number::<usize>("--dim")?
                .ok_or_else(|| usage("option '--dim' is required"))?;
            let frac = a.number::<u8>("--frac")?.unwrap_or(8);
            let text = random_inputs(seed, count, dim, frac).map_err(usage)?;
            out.write_all(text.as_bytes()).map_err(io)?;
        }
        "help" | "-h" | "--help" => {
            out.write_all(USAGE.as_bytes()).map_err(io)?;
        }
        other => return Err(usage(format!("unknown command '{other}'"))),
    }
    Ok(())
}

/// The program: returns the exit status.
pub fn main_with(args: &[String]) -> i32 {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let r = run(args, &mut out, &mut err);
    let flushed = out.flush();
    match r {
        Ok(()) if flushed.is_ok() => 0,
        Ok(()) => {
            eprintln!("nnctl: output: write failed");
            1
        }
        Err(Failure::Usage(m)) => {
            eprintln!("nnctl: {m}\n{USAGE}");
            2
        }
        Err(Failure::Error(m)) => {
            eprintln!("nnctl: {m}");
            1
        }
    }
}
