// SPDX-License-Identifier: GPL-2.0

//! neural_network_rust: an in-kernel Rust caller of neural_network's API, through the
//! Rust binding (`include/rust/neural_network.rs`), as a Rust driver would use it.
//!
//! At load it reads the topology, requests the sample model with `request_firmware()`
//! (`neural_network/sample.nnm`, for its own faux device) and checks the loaded
//! network's answer against the host's, replaces its model (`neural_network_replace()`)
//! and checks it again, creates a network on the best node for its
//! CPU, batch-predicts on that node's CPUs and checks each row alone, predicts under a
//! spinlock (`predict_atomic`), migrates the network to another node with memory (the
//! answers stay), re-places it under interleave and a node mask, sets and clears a CPU
//! mask, trains it (the loss falls), reads its stats, and tries each function's error
//! paths, NULL pointers through the raw [`ffi`](neural_network::ffi) too. Each check
//! logs "neural_network_rust: ok NAME" or "neural_network_rust: FAIL NAME: WHY", then
//! "neural_network_rust: N checks, F failed" (tools/testing/guest/tests/83-rust-sample.sh
//! reads them). The network and a batch of it are held until the sample is unloaded:
//! meanwhile `rmmod neural_network` fails. A failed check fails the load (`EINVAL`).

use core::fmt;
use core::ptr::{null, null_mut};

use kernel::bindings;
use kernel::cpu::CpuId;
use kernel::cpumask::CpumaskVar;
use kernel::device::{Bound, Device};
use kernel::faux;
use kernel::new_spinlock;
use kernel::prelude::*;

#[path = "../include/rust/neural_network.rs"]
mod neural_network;

use neural_network::{self as nn, ffi, Batch, Network, NodeMask, Policy, NUMA_NO_NODE};

// SAMPLE_OUTPUT and SAMPLE_ARGMAX: the host's answer for the sample model's input.
include!("../rust/kunit/testdata/sample_output.rs");
/// The model `neural_network/sample.nnm` should be (the guest's firmware directory has a
/// copy of it).
const SAMPLE_MODEL: &[u8] = include_bytes!("../rust/kunit/testdata/sample.nnm");

module! {
    type: RustSample,
    name: "neural_network_rust",
    authors: ["neural_network developers"],
    description: "A Rust caller of neural_network's exported API",
    license: "GPL",
}

const OWNER: &CStr = c"neural_network_rust";
const INPUTS: usize = 4;
const HIDDEN: u32 = 8;
const OUTPUTS: usize = 2;
const ROWS: usize = 32;

/// What the sample holds while loaded.
struct RustSample {
    _batch: Batch,
    _net: Network,
}

/// The checks' tally; each check logs its line.
#[derive(Default)]
struct Checks {
    n: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, ok: bool, name: &str, why: fmt::Arguments<'_>) {
        self.n += 1;
        if ok {
            pr_info!("ok {name}\n");
        } else {
            self.failed += 1;
            pr_err!("FAIL {name}: {why}\n");
        }
    }

    /// A check that `r` is the error `want`.
    fn errno<T>(&mut self, r: Result<T>, want: Error, name: &str) {
        let got = r.err().map_or(0, |e| e.to_errno());
        self.check(
            got == want.to_errno(),
            name,
            format_args!("got {got}, expected {}", want.to_errno()),
        );
    }
}

/// A spread of Q3.12 inputs in (-8, 8), as the C sample's.
fn fill(input: &mut [i16]) {
    for (i, v) in input.iter_mut().enumerate() {
        *v = ((i as u32).wrapping_mul(2654435761) >> 16) as u16 as i16 / 8;
    }
}

/// The nodes of `mask` in order.
fn nodes(mask: &NodeMask) -> impl Iterator<Item = i32> + '_ {
    (0..nn::MAX_NUMNODES as i32).filter(|&n| mask.test(n))
}

/// The batch's answers, and whether each row alone gives the same.
fn batch_agrees(c: &mut Checks, batch: &Batch, input: &[i16], want: &[i16], name: &str) {
    let mut out = [0i16; ROWS * OUTPUTS];
    let r = batch.process(input, &mut out);
    c.check(
        r.is_ok() && out[..] == *want,
        name,
        format_args!(
            "{r:?}, first outputs {:?}, expected {:?}",
            &out[..2],
            &want[..2]
        ),
    );
}

/// Each row of `input` alone, into `out`.
fn rows_alone(net: &Network, input: &[i16], out: &mut [i16]) -> Result {
    for (i, o) in input.chunks(INPUTS).zip(out.chunks_mut(OUTPUTS)) {
        net.predict(i, o)?;
    }
    Ok(())
}

/// The topology; returns the best node and the nodes with memory.
fn topology(c: &mut Checks) -> Result<(i32, NodeMask)> {
    let info = nn::numa_info()?;
    let count = nn::node_count();
    c.check(
        u32::try_from(count) == Ok(info.nr_online_nodes),
        "node_count_is_numa_infos",
        format_args!("{count} vs {}", info.nr_online_nodes),
    );
    let online = NodeMask::from(&info.online);
    let memory = NodeMask::from(&info.with_memory);
    let (mut far, mut wrong_mem, mut mem) = (0, 0, 0);
    for n in nodes(&online) {
        far += u32::from(nn::distance(n, n) != Ok(10));
        let has = nn::node_has_memory(n);
        wrong_mem += u32::from(has != Ok(memory.test(n)));
        mem += u32::from(has == Ok(true));
    }
    c.check(
        far == 0,
        "distance_to_itself_is_10",
        format_args!("{far} nodes differ"),
    );
    c.check(
        wrong_mem == 0 && mem == info.nr_nodes_with_memory,
        "has_memory_agrees_with_numa_info",
        format_args!("{wrong_mem} disagree, {mem} with memory"),
    );
    let best = nn::find_best_node();
    c.check(
        best.is_ok_and(|b| memory.test(b)),
        "best_node_has_memory",
        format_args!("{best:?}"),
    );
    let best = best?;
    pr_info!(
        "topology: {} node(s), {} with memory, best node for CPU {}: {}\n",
        count,
        mem,
        CpuId::current().as_u32(),
        best
    );
    Ok((best, memory))
}

/// The model from `request_firmware()`: the host's answer; not trainable.
fn firmware_model(c: &mut Checks) {
    let dev = match faux::Registration::new(c"neural_network_rust", None) {
        Ok(dev) => dev,
        Err(e) => {
            return c.check(
                false,
                "request_the_model",
                format_args!("faux device: {e:?}"),
            )
        }
    };
    let mut fw: *const bindings::firmware = null();
    let faux: &faux::Device<Bound> = dev.as_ref();
    let device: &Device<Bound> = faux.as_ref();
    // `Device` is `#[repr(transparent)]` over `struct device` (rust/kernel/device.rs).
    let raw = core::ptr::from_ref(device)
        .cast::<bindings::device>()
        .cast_mut();
    // SAFETY: `fw` is a valid out-pointer, the name a C string, `raw` the live device.
    let ret = unsafe {
        bindings::request_firmware(&mut fw, c"neural_network/sample.nnm".as_char_ptr(), raw)
    };
    c.check(
        ret == 0,
        "request_the_model",
        format_args!("request_firmware: {ret}"),
    );
    if ret != 0 {
        return;
    }
    // SAFETY: a successful request gives `size` bytes at `data`, until released below.
    let blob = unsafe { core::slice::from_raw_parts((*fw).data, (*fw).size) };
    c.check(
        blob == SAMPLE_MODEL,
        "firmware_is_the_sample_model",
        format_args!("{} bytes, expected {}", blob.len(), SAMPLE_MODEL.len()),
    );
    let net = Network::load(blob, OWNER);
    // SAFETY: requested above; `blob` is not used after this (the network copied it).
    unsafe { bindings::release_firmware(fw) };
    let net = match net {
        Ok(net) => net,
        Err(e) => return c.check(false, "load_the_firmware_model", format_args!("{e:?}")),
    };
    c.check(true, "load_the_firmware_model", format_args!(""));
    let dims = net.dims();
    c.check(
        dims.is_ok_and(|d| d.inputs == 3 && d.outputs == 2),
        "loaded_dims_are_the_models",
        format_args!("{dims:?}"),
    );
    let mut out = [0x5a5a_i16; 2];
    let r = net.predict(&[256, -128, 64], &mut out);
    c.check(
        r.is_ok() && out == SAMPLE_OUTPUT,
        "loaded_model_gives_the_hosts_answer",
        format_args!("{r:?} {out:?}, expected {SAMPLE_OUTPUT:?}"),
    );
    let class = (0..out.len()).max_by_key(|&i| out[i]);
    c.check(
        class == Some(SAMPLE_ARGMAX),
        "loaded_model_picks_the_hosts_class",
        format_args!("{class:?}, expected {SAMPLE_ARGMAX}"),
    );
    c.errno(
        net.train(&[256, -128, 64], &out, 1, nn::LR_ONE, 1),
        EINVAL,
        "train_loaded_network_einval",
    );
    // The same model again, by neural_network_replace(): the same answer, from the new
    // layers; a blob that is no model changes nothing.
    let mut again = [0x5a5a_i16; 2];
    let r = net
        .replace(SAMPLE_MODEL)
        .and_then(|()| net.predict(&[256, -128, 64], &mut again));
    c.check(
        r.is_ok() && again == SAMPLE_OUTPUT,
        "replaced_model_gives_the_hosts_answer",
        format_args!("{r:?} {again:?}, expected {SAMPLE_OUTPUT:?}"),
    );
    c.errno(
        net.replace(b"not a model at all"),
        EINVAL,
        "replace_junk_einval",
    );
}

/// Bad arguments: each refused with `EINVAL`, changing nothing.
fn bad_arguments(c: &mut Checks, net: &Network, batch: &Batch) {
    let before = net
        .numa_stats()
        .map(|s| (s.predictions, s.batches, s.migrations, s.node));
    let (input, mut out) = ([0i16; INPUTS], [0i16; OUTPUTS]);
    c.errno(
        Network::new(0, HIDDEN, OUTPUTS as u32, OWNER),
        EINVAL,
        "init_zero_inputs_einval",
    );
    c.errno(
        Network::new(4, 5000, 2, OWNER),
        EINVAL,
        "init_too_wide_einval",
    );
    c.errno(
        Network::new_on(4, HIDDEN, 2, nn::MAX_NUMNODES as i32, OWNER),
        EINVAL,
        "init_node_out_of_range_einval",
    );
    c.errno(Network::load(&[], OWNER), EINVAL, "load_empty_einval");
    // The sample model has 3 inputs, this network 4.
    c.errno(
        net.replace(SAMPLE_MODEL),
        EINVAL,
        "replace_other_widths_einval",
    );
    c.errno(
        Network::load(b"not a model at all", OWNER),
        EINVAL,
        "load_junk_einval",
    );
    c.errno(
        net.predict(&input[..INPUTS - 1], &mut out),
        EINVAL,
        "predict_short_input_einval",
    );
    c.errno(
        net.predict(&input, &mut [0i16; OUTPUTS + 1]),
        EINVAL,
        "predict_wrong_output_length_einval",
    );
    c.errno(
        net.predict_atomic(&[0i16; 2 * INPUTS], &mut [0i16; 2 * OUTPUTS]),
        EINVAL,
        "predict_atomic_two_vectors_einval",
    );
    c.errno(
        net.migrate(nn::MAX_NUMNODES as i32),
        EINVAL,
        "migrate_node_out_of_range_einval",
    );
    c.errno(net.set_numa_node(-5), EINVAL, "set_node_negative_einval");
    c.errno(nn::distance(-1, 0), EINVAL, "distance_bad_node_einval");
    c.errno(
        nn::node_has_memory(nn::MAX_NUMNODES as i32),
        EINVAL,
        "has_memory_bad_node_einval",
    );
    c.errno(
        Batch::new(net, 0, NUMA_NO_NODE),
        EINVAL,
        "batch_zero_inputs_einval",
    );
    c.errno(
        Batch::new(net, nn::BATCH_MAX_INPUTS + 1, NUMA_NO_NODE),
        EINVAL,
        "batch_over_the_bound_einval",
    );
    c.errno(
        Batch::new(net, 4, nn::MAX_NUMNODES as i32),
        EINVAL,
        "batch_bad_node_einval",
    );
    c.errno(
        batch.process(
            &[0i16; (ROWS + 1) * INPUTS],
            &mut [0i16; (ROWS + 1) * OUTPUTS],
        ),
        EINVAL,
        "batch_over_max_inputs_einval",
    );
    c.errno(
        net.set_nodes(&NodeMask::new()),
        EINVAL,
        "nodemask_empty_einval",
    );
    c.errno(
        NodeMask::new().set(nn::MAX_NUMNODES as i32),
        EINVAL,
        "nodemask_out_of_range_einval",
    );
    match CpumaskVar::new_zero(GFP_KERNEL) {
        Ok(empty) => c.errno(
            net.set_cpu_affinity(Some(&empty)),
            EINVAL,
            "affinity_empty_mask_einval",
        ),
        Err(e) => c.check(false, "affinity_empty_mask_einval", format_args!("{e:?}")),
    }
    let xs = [0i16; INPUTS];
    let ys = [0i16; OUTPUTS];
    c.errno(
        net.train(&xs, &ys, 0, nn::LR_ONE, 1),
        EINVAL,
        "train_zero_epochs_einval",
    );
    c.errno(
        net.train(&xs, &ys, 1, 0, 1),
        EINVAL,
        "train_zero_rate_einval",
    );
    c.errno(
        net.train(&xs, &ys, 1, nn::LR_MAX + 1, 1),
        EINVAL,
        "train_rate_over_max_einval",
    );
    c.errno(
        net.train(&xs, &ys, 1, nn::LR_ONE, 0),
        EINVAL,
        "train_zero_batch_einval",
    );
    c.errno(
        net.train(&xs, &ys[..1], 1, nn::LR_ONE, 1),
        EINVAL,
        "train_short_targets_einval",
    );

    // NULL pointers, which the safe types cannot pass, through the raw functions.
    let null_calls = [
        (
            "predict_null_network_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe {
                ffi::neural_network_predict(
                    null_mut(),
                    input.as_ptr(),
                    INPUTS,
                    out.as_mut_ptr(),
                    OUTPUTS,
                )
            },
        ),
        (
            "predict_null_input_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe {
                ffi::neural_network_predict(net.as_ptr(), null(), INPUTS, out.as_mut_ptr(), OUTPUTS)
            },
        ),
        (
            "predict_atomic_null_output_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe {
                ffi::neural_network_predict_atomic(
                    net.as_ptr(),
                    input.as_ptr(),
                    INPUTS,
                    null_mut(),
                    OUTPUTS,
                )
            },
        ),
        (
            "get_node_null_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe { ffi::neural_get_numa_node(null_mut()) },
        ),
        (
            "numa_info_null_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe { ffi::neural_get_numa_info(null_mut()) },
        ),
        (
            "numa_stats_null_stats_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe { ffi::neural_get_numa_stats(net.as_ptr(), null_mut()) },
        ),
        (
            "batch_process_null_batch_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe {
                ffi::neural_batch_process(
                    null_mut(),
                    input.as_ptr(),
                    INPUTS,
                    out.as_mut_ptr(),
                    OUTPUTS,
                )
            },
        ),
        (
            "nodemask_null_mask_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe { ffi::neural_set_numa_nodemask(net.as_ptr(), null()) },
        ),
        (
            "init_null_owner_einval",
            // SAFETY: the API checks its pointers: NULL is refused (EINVAL) before any use.
            unsafe {
                let p = ffi::__neural_network_init(4, HIDDEN, 2, NUMA_NO_NODE, null());
                kernel::error::from_err_ptr(p)
                    .err()
                    .map_or(0, |e| e.to_errno())
            },
        ),
    ];
    for (name, ret) in null_calls {
        c.check(ret == EINVAL.to_errno(), name, format_args!("got {ret}"));
    }
    // SAFETY: NULL does nothing (the header's contract).
    unsafe {
        ffi::neural_network_destroy(null_mut());
        ffi::neural_batch_destroy(null_mut());
    }
    let after = net
        .numa_stats()
        .map(|s| (s.predictions, s.batches, s.migrations, s.node));
    c.check(
        before.is_ok() && before == after,
        "refused_calls_change_nothing",
        format_args!("{before:?} -> {after:?}"),
    );
}

/// The network's life: batches on its node, atomic predictions, migration, policies, a
/// CPU mask, training, stats.
fn exercise(c: &mut Checks, net: &Network, batch: &Batch, best: i32, memory: &NodeMask) -> Result {
    let mut input = [0i16; ROWS * INPUTS];
    fill(&mut input);
    let mut want = [0i16; ROWS * OUTPUTS];
    rows_alone(net, &input, &mut want)?;
    batch_agrees(c, batch, &input, &want, "batch_of_32_is_each_row_alone");
    // A batch of its own on each node with memory (neural_batch_create_numa()).
    let mut differ = 0;
    for node in nodes(memory) {
        let mut out = [0i16; ROWS * OUTPUTS];
        let r = Batch::new(net, ROWS as u32, node).and_then(|b| b.process(&input, &mut out));
        differ += u32::from(r.is_err() || out != want);
    }
    c.check(
        differ == 0,
        "batch_on_each_node_same_answers",
        format_args!("{differ} nodes differ"),
    );

    // Under a spinlock (preemption off; a sleep would splat under DEBUG_ATOMIC_SLEEP).
    let lock = KBox::pin_init(new_spinlock!(()), GFP_KERNEL)?;
    let mut one = [0i16; OUTPUTS];
    let r = {
        let _guard = lock.lock();
        net.predict_atomic(&input[..INPUTS], &mut one)
    };
    c.check(
        r.is_ok() && one[..] == want[..OUTPUTS],
        "predict_atomic_under_a_spinlock_is_the_same",
        format_args!("{r:?} {one:?}"),
    );

    // Migrate to another node with memory, if there is one that takes it: a full node
    // refuses with ENOMEM and changes nothing (a booted machine can have one: its boot
    // allocations filled it), so each is tried in turn.
    let mut other = None;
    let mut r = Err(ENODEV);
    for n in nodes(memory).filter(|&n| n != best) {
        r = net.migrate(n);
        if r != Err(ENOMEM) {
            other = Some(n);
            break;
        }
    }
    let target = other.unwrap_or(best);
    if other.is_none() {
        r = net.migrate(target);
    }
    let node = net.numa_node();
    c.check(
        r.is_ok() && node == Ok(target),
        if other.is_some() {
            "migrate_to_another_node"
        } else {
            "migrate_to_its_own_node"
        },
        format_args!("{r:?}, node {node:?}, expected {target}"),
    );
    batch_agrees(c, batch, &input, &want, "same_answers_after_migration");
    let stats = net.numa_stats()?;
    c.check(
        stats.migrations == 1 && stats.node == target && stats.node_bytes[target as usize] > 0,
        "stats_count_the_migration",
        format_args!("{} migrations, node {}", stats.migrations, stats.node),
    );
    pr_info!(
        "migrated: node {} -> {}, {} bytes copied\n",
        best,
        target,
        stats.migrated_bytes
    );

    // Interleave over every node with memory, then back to one node.
    let r = net
        .set_numa_policy(Policy::Interleave)
        .and_then(|()| net.set_nodes(memory));
    c.check(
        r.is_ok(),
        "interleave_over_the_nodes_with_memory",
        format_args!("{r:?}"),
    );
    batch_agrees(c, batch, &input, &want, "same_answers_under_interleave");
    let r = net.set_numa_policy(Policy::Local);
    c.check(r.is_ok(), "policy_local", format_args!("{r:?}"));
    batch_agrees(c, batch, &input, &want, "same_answers_under_policy_local");
    let r = net.migrate(best);
    let node = net.numa_node();
    c.check(
        r.is_ok() && node == Ok(best),
        "migrate_back_to_the_best_node",
        format_args!("{r:?}, node {node:?}"),
    );

    // Batches on this CPU only, then the default mask again.
    let cpu = CpuId::current();
    let mut mask = CpumaskVar::new_zero(GFP_KERNEL)?;
    mask.set(cpu);
    let r = net.set_cpu_affinity(Some(&mask));
    let stats = net.numa_stats()?;
    // SAFETY: `stats.cpus` is a valid cpumask, only read.
    let set =
        unsafe { bindings::cpumask_test_cpu(i32::from(cpu), (&raw const stats.cpus).cast_mut()) };
    c.check(
        r.is_ok() && stats.cpus_explicit == 1 && set,
        "affinity_sets_the_mask",
        format_args!("{r:?}, explicit {}", stats.cpus_explicit),
    );
    batch_agrees(c, batch, &input, &want, "batch_on_the_cpu_set_same_answers");
    let r = net.set_cpu_affinity(None);
    let explicit = net.numa_stats()?.cpus_explicit;
    c.check(
        r.is_ok() && explicit == 0,
        "affinity_none_is_the_default",
        format_args!("{r:?}, explicit {explicit}"),
    );

    // Training on 8 samples (targets: half the first input, the second input) lowers
    // the loss, counts its steps and changes the answers.
    let xs = &input[..8 * INPUTS];
    let mut ys = [0i16; 8 * OUTPUTS];
    for (x, y) in xs.chunks(INPUTS).zip(ys.chunks_mut(OUTPUTS)) {
        y[0] = x[0] / 2;
        y[1] = x[1];
    }
    let steps = net.numa_stats()?.train_steps;
    let report = net.train(xs, &ys, 20, nn::LR_ONE / 64, 1);
    c.check(
        report.is_ok_and(|r| r.epochs == 20 && r.samples == 8 && r.last_loss < r.first_loss),
        "train_lowers_the_loss",
        format_args!("{report:?}"),
    );
    let after = net.numa_stats()?.train_steps;
    c.check(
        after == steps + 160,
        "train_counts_its_steps",
        format_args!("{steps} -> {after}"),
    );
    let mut now = [0i16; ROWS * OUTPUTS];
    let r = batch.process(&input, &mut now);
    c.check(
        r.is_ok() && now != want,
        "train_changes_the_answers",
        format_args!("{r:?}"),
    );

    let stats = net.numa_stats()?;
    let on: u64 = stats.node_bytes.iter().sum();
    c.check(
        stats.predictions > 0 && stats.batches > 0 && stats.bytes > 0 && on == stats.bytes,
        "numa_stats_add_up",
        format_args!(
            "{} predictions, {} bytes, {} by node",
            stats.predictions, stats.bytes, on
        ),
    );
    pr_info!(
        "stats: {} predictions in {} batches, {} local, {} cross-node, {} migrations, {} bytes\n",
        stats.predictions,
        stats.batches,
        stats.local,
        stats.cross_node,
        stats.migrations,
        stats.bytes
    );
    Ok(())
}

impl kernel::Module for RustSample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut c = Checks::default();
        let (best, memory) = topology(&mut c)?;
        firmware_model(&mut c);
        let net = Network::new_on(INPUTS as u32, HIDDEN, OUTPUTS as u32, best, OWNER);
        c.check(
            net.is_ok(),
            "init_numa_on_the_best_node",
            format_args!("{:?}", net.as_ref().err()),
        );
        let net = net?;
        let node = net.numa_node();
        c.check(
            node == Ok(best),
            "network_is_on_the_node_asked_for",
            format_args!("{node:?}"),
        );
        let dims = net.dims();
        c.check(
            dims.is_ok_and(|d| {
                d == nn::Dims {
                    inputs: INPUTS as u32,
                    outputs: OUTPUTS as u32,
                    in_frac: 12,
                    out_frac: 12,
                }
            }),
            "dims_as_created",
            format_args!("{dims:?}"),
        );
        let batch = Batch::new(&net, ROWS as u32, NUMA_NO_NODE);
        c.check(
            batch.is_ok(),
            "batch_on_the_networks_node",
            format_args!("{:?}", batch.as_ref().err()),
        );
        let batch = batch?;
        if let Err(e) = exercise(&mut c, &net, &batch, best, &memory) {
            c.check(false, "exercise_ran_to_the_end", format_args!("{e:?}"));
        }
        bad_arguments(&mut c, &net, &batch);
        pr_info!("{} checks, {} failed\n", c.n, c.failed);
        if c.failed > 0 {
            return Err(EINVAL);
        }
        Ok(Self {
            _batch: batch,
            _net: net,
        })
    }
}

impl Drop for RustSample {
    fn drop(&mut self) {
        pr_info!("unloading: the batch and the network go\n");
    }
}
