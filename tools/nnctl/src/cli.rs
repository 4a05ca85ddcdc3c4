// SPDX-License-Identifier: GPL-2.0

//! The command line (clap, derive): the model commands (compile, eval, info, random,
//! inputs) and the administrator's commands over the module's debugfs files (status, map,
//! stats, config, load, predict: `crate::admin`).

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use nn_pure::activation::Activation;
use nn_pure::format::Format;
use nn_pure::writer::write_model;

use crate::admin;
use crate::debugfs::{Debugfs, DEFAULT_DIR};
use crate::formats::choose;
use crate::import::import;
use crate::quantize::{quantize, report, Options};
use crate::random::{random_inputs, random_model};
use crate::run::{eval, info, load, Inputs, Path};
use crate::text::read_rows;
use crate::{qformat, Result};

/// `nnctl`: compiles, shows and runs neural_network models on the host, and administers
/// the module's networks through its debugfs files.
#[derive(Parser, Debug)]
#[command(
    name = "nnctl",
    version,
    about = "Compiles, shows and runs neural_network models; administers the module's networks",
    after_help = "Documentation/neural_network/nnctl.rst has the details. Exit status: 0 on \
                  success, 1 on an error, 2 on a usage error."
)]
pub struct Cli {
    /// The module's debugfs directory (the administrator's commands).
    #[arg(long, global = true, value_name = "DIR", env = "NN_DEBUGFS", default_value = DEFAULT_DIR)]
    pub debugfs: PathBuf,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import an MLP from ONNX and quantize it; the report goes to stderr.
    Compile {
        /// The ONNX model.
        #[arg(value_name = "MODEL.onnx")]
        onnx: String,
        /// The model to write (.nnm).
        #[arg(short = 'o', value_name = "MODEL.nnm")]
        output: String,
        /// Calibration rows: one input vector a line, numbers separated by commas and/or
        /// whitespace; a first line that is not numbers is a header.
        #[arg(long, value_name = "CALIB.csv")]
        calib: Option<String>,
        /// Force the input format's fractional bits.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=15))]
        input_frac: Option<u8>,
        /// Force the output format's fractional bits (a model that is to replace a
        /// serving one must keep its input and output formats).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=15))]
        output_frac: Option<u8>,
        /// The input range assumed without --calib [default: 1].
        #[arg(long, value_name = "R", value_parser = positive)]
        input_range: Option<f64>,
        /// The factor over the observed ranges that must still fit, 1 to 1024
        /// [default: 1.25].
        #[arg(long, value_name = "H", value_parser = headroom)]
        headroom: Option<f64>,
        /// Every layer's format: 16x16 (16-bit weights), 16x8 (8-bit weights), 8x8
        /// (8-bit weights and inputs), or auto (each layer the smallest that keeps the
        /// accuracy on the --calib rows) [default: 16x16].
        #[arg(long, value_name = "FORMAT", value_parser = format_choice)]
        format: Option<FormatChoice>,
    },
    /// Run a model on each line of INPUTS and print the lines the module's predict prints.
    ///
    /// Inputs beyond the input format saturate, as predict's do, and are counted on stderr.
    Eval {
        /// The model.
        #[arg(value_name = "MODEL.nnm")]
        model: String,
        /// One input vector a line ('-': stdin).
        #[arg(value_name = "INPUTS")]
        inputs: String,
        /// An input beyond the input format is an error (as neural_strict_input=1).
        #[arg(long)]
        strict: bool,
        /// Every layer by the module's AVX2 kernels (the same bits).
        #[arg(long)]
        simd: bool,
        /// Inputs and outputs as the fixed-point values themselves: integers
        /// -32768..32767, as the exported API and the BPF kfuncs take and give them (the
        /// output lines without the class).
        #[arg(long, conflicts_with = "strict")]
        raw: bool,
    },
    /// Check a model and show its layers and formats.
    Info {
        /// The model.
        #[arg(value_name = "MODEL.nnm")]
        model: String,
    },
    /// Write a random valid network.
    Random {
        /// The generator's seed.
        #[arg(long, value_name = "S")]
        seed: u64,
        /// The layer sizes, inputs first.
        #[arg(long, value_name = "D0,D1,...", value_delimiter = ',', required = true)]
        dims: Vec<usize>,
        /// One activation for every layer or one a layer (linear, relu, sigmoid, tanh);
        /// drawn at random without it.
        #[arg(long, value_name = "A,...", value_delimiter = ',', value_parser = activation)]
        activations: Vec<Activation>,
        /// One format for every layer or one a layer (16x16, 16x8, 8x8) [default: 16x16].
        #[arg(long, value_name = "F,...", value_delimiter = ',', value_parser = format)]
        formats: Vec<Format>,
        /// The input format's fractional bits (drawn at random without it).
        #[arg(long, value_name = "N")]
        input_frac: Option<u8>,
        /// The output format's fractional bits (drawn at random without it; a sigmoid or
        /// tanh last layer has its own).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=15))]
        output_frac: Option<u8>,
        /// The model to write (.nnm).
        #[arg(short = 'o', value_name = "MODEL.nnm")]
        output: String,
    },
    /// Print N random input lines of D decimal numbers for inputs in Q(15-F).F.
    Inputs {
        /// The generator's seed.
        #[arg(long, value_name = "S")]
        seed: u64,
        /// How many lines.
        #[arg(long, value_name = "N")]
        count: usize,
        /// Numbers a line.
        #[arg(long, value_name = "D")]
        dim: usize,
        /// The input format's fractional bits.
        #[arg(long, value_name = "F", default_value_t = 8)]
        frac: u8,
    },
    /// The topology and per-node statistics (numa_info, numa_stats, memory), as numastat.
    Status,
    /// Where each network's memory is, per node (memory_map): a table and a bar chart.
    Map {
        /// Also draw the chart as an SVG file.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// The longest bar, in characters.
        #[arg(long, value_name = "N", default_value_t = 50,
              value_parser = clap::value_parser!(u16).range(10..=1000))]
        width: u16,
        /// Draw the bars with ASCII characters, not Unicode blocks.
        #[arg(long)]
        ascii: bool,
    },
    /// A network's statistics (network_<ID>/stats), or every network's side by side.
    Stats {
        /// The network (all without it).
        #[arg(value_name = "ID")]
        id: Option<u32>,
        /// Print the files as they are.
        #[arg(long)]
        raw: bool,
    },
    /// Show a network's config, or write commands to it (one write: all or nothing).
    ///
    /// With no COMMAND and no --file, prints network_<ID>/config. Otherwise writes the
    /// commands, one a line, in one write() ("migrate 1", "policy interleave nodes 0-1",
    /// "cpus 0-1", "cache_timeout 500", ...): the module checks every line first, and
    /// refuses them all (Invalid argument: the kernel log says which line) or applies
    /// them all.
    Config {
        /// The network.
        #[arg(value_name = "ID")]
        id: u32,
        /// Commands, one an argument.
        #[arg(value_name = "COMMAND")]
        commands: Vec<String>,
        /// Read the commands from FILE ('-': stdin), one a line.
        #[arg(long, value_name = "FILE", conflicts_with = "commands")]
        file: Option<String>,
    },
    /// Load a model into the module (debugfs load) and print the new network's id.
    ///
    /// The blob goes in one write() on a file opened read-write and the id is read back
    /// from the same open file, so concurrent loaders each get their own. The placement
    /// options are written to the new network's config afterwards (load itself places
    /// by the module parameters); if that fails, the network is removed.
    Load {
        /// The model (.nnm; '-': stdin).
        #[arg(value_name = "MODEL.nnm")]
        model: String,
        /// Re-place the network under this policy once loaded.
        #[arg(long, value_name = "NAME",
              value_parser = ["local", "interleave", "preferred", "bind", "replicate"])]
        policy: Option<String>,
        /// The policy's node (preferred, bind), or with no --policy: the policy in force
        /// on this node.
        #[arg(long, value_name = "N")]
        node: Option<u32>,
        /// The policy's node list (interleave, bind, replicate), such as 0-1.
        #[arg(long, value_name = "LIST")]
        nodes: Option<String>,
        /// The network's CPU mask for batches (a cpulist, or default).
        #[arg(long, value_name = "LIST")]
        cpus: Option<String>,
    },
    /// Replace a network's model (network_<ID>/replace) with MODEL, of the same input
    /// and output widths and formats, while it serves; prints nothing.
    ///
    /// The blob goes in one write(). The network keeps its id, placement, CPU mask and
    /// statistics (replacements counts it); on a refusal nothing changed.
    Replace {
        /// The network.
        #[arg(value_name = "ID")]
        id: u32,
        /// The new model (.nnm; '-': stdin).
        #[arg(value_name = "MODEL.nnm")]
        model: String,
    },
    /// Run a network on input lines (network_<ID>/predict) and print its output lines.
    Predict {
        /// The network.
        #[arg(value_name = "ID")]
        id: u32,
        /// One input vector a line, numbers separated by spaces or tabs ('-' or none:
        /// stdin).
        #[arg(value_name = "INPUTS")]
        inputs: Option<String>,
    },
}

/// A command-line mistake found after parsing (exit status 2) or a failure (exit status 1).
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

fn positive(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r.is_finite() => Ok(r),
        Ok(_) => Err("must be positive".into()),
        Err(_) => Err(format!("'{s}' is not a valid number")),
    }
}

fn headroom(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(h) if (1.0..=1024.0).contains(&h) => Ok(h),
        Ok(_) => Err("must be in 1..=1024".into()),
        Err(_) => Err(format!("'{s}' is not a valid number")),
    }
}

fn format(s: &str) -> std::result::Result<Format, String> {
    Format::from_name(s).ok_or_else(|| format!("'{s}': not a format (16x16, 16x8 or 8x8)"))
}

/// `compile --format`: one format for every layer, or `auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatChoice {
    /// Every layer in this format.
    One(Format),
    /// Each layer's chosen on the calibration rows (`formats::choose`).
    Auto,
}

fn format_choice(s: &str) -> std::result::Result<FormatChoice, String> {
    match s {
        "auto" => Ok(FormatChoice::Auto),
        _ => Format::from_name(s)
            .map(FormatChoice::One)
            .ok_or_else(|| format!("'{s}': not a format (16x16, 16x8, 8x8 or auto)")),
    }
}

fn activation(s: &str) -> std::result::Result<Activation, String> {
    Activation::from_name(s.trim())
        .ok_or_else(|| format!("'{s}' is not one of linear, relu, sigmoid, tanh"))
}

/// Reads a file, or stdin for `-`.
pub fn read(path: &str) -> Result<Vec<u8>> {
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

fn output_error(e: std::io::Error) -> Failure {
    Failure::Error(format!("output: {e}"))
}

/// Runs a parsed command; `out` and `err` are stdout and stderr.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> std::result::Result<(), Failure> {
    let io = output_error;
    let fs = Debugfs::new(cli.debugfs);
    match cli.command {
        Command::Compile {
            onnx,
            output,
            calib,
            input_frac,
            output_frac,
            input_range,
            headroom,
            format,
        } => {
            let mut opts = Options {
                input_frac,
                output_frac,
                formats: match format {
                    Some(FormatChoice::One(f)) => vec![f],
                    _ => Vec::new(),
                },
                ..Options::default()
            };
            if let Some(r) = input_range {
                opts.input_range = r;
            }
            if let Some(h) = headroom {
                opts.headroom = h;
            }
            let imported = import(&read(&onnx)?).map_err(|e| format!("{onnx}: {e}"))?;
            let calib_rows = match &calib {
                Some(c) => read_rows(c, &read(c)?, imported.net.input_dim)?,
                None => Vec::new(),
            };
            if calib.is_some() && calib_rows.is_empty() {
                return Err(Failure::Error("the calibration file has no rows".into()));
            }
            let compiled = match format {
                Some(FormatChoice::Auto) => {
                    let (c, formats) = choose(&imported.net, &calib_rows, &opts)?;
                    let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
                    writeln!(err, "formats (auto): {}", names.join(" ")).map_err(io)?;
                    c
                }
                _ => quantize(&imported.net, &calib_rows, &opts)?,
            };
            let blob = write_model(
                imported.net.input_dim,
                compiled.input_frac,
                &compiled.layers,
            );
            // Check with the module's parser before writing.
            load(&output, &blob)?;
            write(&output, &blob)?;
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
                report(&compiled, !calib_rows.is_empty(), opts.headroom)
            )
            .map_err(io)?;
        }
        Command::Eval {
            model,
            inputs,
            strict,
            simd,
            raw,
        } => {
            let m = load(&model, &read(&model)?)?;
            let mode = match (raw, strict) {
                (true, _) => Inputs::Raw,
                (false, true) => Inputs::Strict,
                (false, false) => Inputs::Saturate,
            };
            let path = if simd { Path::Simd } else { Path::Scalar };
            let e = eval(&m, &inputs, &read(&inputs)?, mode, path)?;
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
        Command::Info { model } => {
            out.write_all(info(&model, &read(&model)?)?.as_bytes())
                .map_err(io)?;
        }
        Command::Random {
            seed,
            dims,
            activations,
            formats,
            input_frac,
            output_frac,
            output,
        } => {
            let (input_frac, mut layers) =
                random_model(seed, &dims, &activations, &formats, input_frac)
                    .map_err(Failure::Usage)?;
            if let (Some(f), Some(last)) = (output_frac, layers.last_mut()) {
                if last.activation.output_frac().is_some() && f != last.out_frac {
                    return Err(Failure::Usage(format!(
                        "--output-frac {f}: the last layer's activation gives {} outputs",
                        qformat(last.out_frac)
                    )));
                }
                last.out_frac = f;
            }
            let blob = write_model(dims[0], input_frac, &layers);
            load(&output, &blob)?;
            write(&output, &blob)?;
        }
        Command::Inputs {
            seed,
            count,
            dim,
            frac,
        } => {
            let text = random_inputs(seed, count, dim, frac).map_err(Failure::Usage)?;
            out.write_all(text.as_bytes()).map_err(io)?;
        }
        Command::Status => admin::status(&fs, out)?,
        Command::Map { svg, width, ascii } => {
            admin::map(&fs, out, usize::from(width), ascii, svg.as_deref())?
        }
        Command::Stats { id, raw } => admin::stats(&fs, out, id, raw)?,
        Command::Config { id, commands, file } => {
            let commands = match file {
                Some(f) => Some(String::from_utf8_lossy(&read(&f)?).into_owned()),
                None if commands.is_empty() => None,
                None => Some(commands.join("\n")),
            };
            admin::config(&fs, out, id, commands.as_deref())?
        }
        Command::Load {
            model,
            policy,
            node,
            nodes,
            cpus,
        } => {
            let place = admin::Placement {
                policy,
                node,
                nodes,
                cpus,
            };
            admin::load(&fs, out, &model, &read(&model)?, &place)?
        }
        Command::Replace { id, model } => admin::replace(&fs, id, &model, &read(&model)?)?,
        Command::Predict { id, inputs } => {
            let name = inputs.unwrap_or_else(|| "-".into());
            admin::predict(&fs, out, id, &read(&name)?)?
        }
    }
    Ok(())
}

/// The clap error for a usage mistake found after parsing, as clap reports its own (with
/// the subcommand's usage line).
fn usage_error(args: &[String], msg: &str) -> clap::Error {
    let mut cmd = Cli::command();
    cmd.build();
    let sub = args
        .iter()
        .find_map(|a| cmd.find_subcommand(a).map(|c| c.get_name().to_string()));
    match sub.and_then(|s| cmd.find_subcommand_mut(&s).cloned()) {
        Some(mut c) => c.error(ErrorKind::ValueValidation, msg),
        None => cmd.error(ErrorKind::ValueValidation, msg),
    }
}

/// The program: `args` without the program's name; returns the exit status.
pub fn main_with(args: &[String]) -> i32 {
    let cli =
        match Cli::try_parse_from(std::iter::once("nnctl".to_string()).chain(args.iter().cloned()))
        {
            Ok(c) => c,
            Err(e) => {
                // --help and --version print to stdout and exit 0; mistakes exit 2.
                let _ = e.print();
                return e.exit_code();
            }
        };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let r = run(cli, &mut out, &mut err);
    let flushed = out.flush();
    match r {
        Ok(()) if flushed.is_ok() => 0,
        Ok(()) => {
            eprintln!("nnctl: output: write failed");
            1
        }
        Err(Failure::Usage(m)) => {
            let e = usage_error(args, &m);
            let _ = e.print();
            2
        }
        Err(Failure::Error(m)) => {
            eprintln!("nnctl: {m}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
