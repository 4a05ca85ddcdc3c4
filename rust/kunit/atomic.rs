// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_atomic`: predictions that never sleep, and the prediction
//! cache.
//!
//! An atomic prediction runs here with bottom halves and preemption disabled (the
//! context of a softirq's caller; the debug kernel's `DEBUG_ATOMIC_SLEEP` and lockdep
//! report any sleeping lock or allocation taken there), and must give the very bits of
//! a sleeping prediction. While a training call holds the weights it gets `EAGAIN`.
//! The cache returns what a miss computed, expires, keeps its bound and is emptied by
//! training and by a re-placement.

#[kernel::macros::kunit_tests(neural_network_atomic)]
mod tests {
    use crate::budget::Budget;
    use crate::kunit::check;
    use crate::network::{
        Network,
        Origin,
        Owner,
        Pools, //
    };
    use crate::numa::placement::{
        NumaPolicy,
        Placement, //
    };
    use crate::numa::topology::{
        self,
        NodeId,
        NodeState, //
    };
    use crate::pure::activation::Activation;
    use crate::pure::cache::{
        entries_for,
        MAX_BYTES, //
    };
    use crate::pure::model::Model;
    use crate::pure::rng::Rng;
    use crate::pure::xavier::Plan;
    use core::sync::atomic::Ordering::Relaxed;
    use kernel::prelude::*;
    use kernel::sync::Arc;

    const SAMPLE: &[u8] = include_bytes!("testdata/sample.nnm");
    /// The sample's widths and formats (3 inputs Q7.8, 2 outputs Q0.15), another hidden
    /// shape: `nnctl random --seed 9 --dims 3,6,5,2 --activations relu,tanh,sigmoid
    /// --input-frac 8`. Its answer to `[256, -128, 64]` is `nnctl eval`'s `0.220001220703125
    /// 0.474334716796875`, the sample's `[11, 32757]`.
    const OTHER: &[u8] = include_bytes!("testdata/other.nnm");
    const OTHER_OUTPUT: [i16; 2] = [7209, 15543];
    const SAMPLE_OUTPUT: [i16; 2] = [11, 32757];
    /// Four inputs: `nnctl random --seed 4 --dims 4,3,2 --activations relu,sigmoid
    /// --input-frac 8`.
    const WIDER: &[u8] = include_bytes!("testdata/wider.nnm");

    extern "C" {
        fn nn_kunit_atomic_begin();
        fn nn_kunit_atomic_end();
    }

    /// Runs `f` with bottom halves and preemption disabled.
    fn atomically<R>(f: impl FnOnce() -> R) -> R {
        // SAFETY: undone below, in the same context; `f` does not sleep (what is tested).
        unsafe { nn_kunit_atomic_begin() };
        let r = f();
        // SAFETY: pairs with the call above.
        unsafe { nn_kunit_atomic_end() };
        r
    }

    fn pools() -> Result<Pools> {
        Pools::named(
            c"neural_kunit_atomic_layer",
            c"neural_kunit_atomic_scratch",
            c"neural_kunit_atomic_replica",
        )
    }

    fn local() -> Result<Placement> {
        Placement::check(NumaPolicy::Local, None, None).map_err(|_| EINVAL)
    }

    /// `bind` to `node` alone: every array of the network exactly there, or `ENOMEM`.
    fn bound(node: NodeId) -> Result<Placement> {
        Placement::check(NumaPolicy::Bind, Some(node), None).map_err(|_| EINVAL)
    }

    /// The checksum field of `blob` (what `origin` shows of a loaded model); 0 for a blob
    /// that does not parse.
    fn checksum(blob: &[u8]) -> u32 {
        Model::parse(blob).map_or(0, |m| m.checksum())
    }

    fn loaded(pools: &Pools) -> Result<Arc<Network>> {
        let m = Model::parse(SAMPLE).map_err(|_| EINVAL)?;
        let budget = Budget::new()?;
        let bytes = Network::model_footprint(&m).ok_or(EINVAL)?;
        let charge = Budget::charge(&budget, bytes, u64::MAX).map_err(|_| EINVAL)?;
        Network::from_model(0, &m, m.checksum(), &local()?, charge, pools, Owner::SELF)
    }

    /// A trainable [3, 16, 2] network.
    fn created(pools: &Pools) -> Result<Arc<Network>> {
        let plan =
            Plan::new(&[3, 16, 2], &[Activation::Relu, Activation::Linear]).map_err(|_| EINVAL)?;
        let budget = Budget::new()?;
        let bytes = Network::plan_footprint(&plan).ok_or(EINVAL)?;
        let charge = Budget::charge(&budget, bytes, u64::MAX).map_err(|_| EINVAL)?;
        Network::create(0, &plan, Some(7), &local()?, charge, pools, Owner::SELF)
    }

    fn input(rng: &mut Rng) -> [i16; 3] {
        [0; 3].map(|_: i16| (rng.next_u32() >> 20) as i16 - 2048)
    }

    fn stat(a: &core::sync::atomic::AtomicU64) -> u64 {
        a.load(Relaxed)
    }

    #[test]
    fn atomic_predictions_with_bottom_halves_off_equal_the_sleeping_ones() -> Result {
        let pools = pools()?;
        for net in [loaded(&pools)?, created(&pools)?] {
            // The cache off first (every prediction runs), then on (repeats are hits).
            for ms in [0, 60_000] {
                net.set_cache_timeout(Some(ms));
                let mut rng = Rng::from_seed(11);
                for _ in 0..64 {
                    let x = input(&mut rng);
                    let mut want = [0i16; 2];
                    net.predict_batch(&x, &mut want)?;
                    let mut got = [0x5a5a_i16; 2];
                    atomically(|| net.predict_atomic(&x, &mut got))?;
                    assert_eq!(got, want);
                }
            }
            assert_eq!(stat(&net.stats.atomic), 128);
            // With the cache on, every atomic prediction found the sleeping one's entry.
            assert_eq!(stat(&net.stats.cache.hits), 64);
            // Wrong lengths are refused, and nothing is written.
            let mut y = [9i16; 2];
            assert_eq!(
                atomically(|| net.predict_atomic(&[1, 2], &mut y)),
                Err(EINVAL)
            );
            assert_eq!(
                atomically(|| net.predict_atomic(&[1, 2, 3], &mut y[..1])),
                Err(EINVAL)
            );
            assert_eq!(y, [9, 9]);
        }
        Ok(())
    }

    #[test]
    fn atomic_predictions_get_eagain_while_training_holds_the_weights() -> Result {
        let pools = pools()?;
        let net = created(&pools)?;
        net.set_cache_timeout(Some(60_000));
        let x = [100i16, -200, 300];
        let mut y = [0i16; 2];
        net.predict_atomic(&x, &mut y)?;
        let r = net.with_weights_held(|| {
            let mut z = [0i16; 2];
            atomically(|| net.predict_atomic(&[1, 2, 3], &mut z))
        });
        assert_eq!(r, Err(EAGAIN));
        assert_eq!(stat(&net.stats.atomic_again), 1);
        // Held no longer: it answers again, as before.
        let mut z = [0i16; 2];
        atomically(|| net.predict_atomic(&x, &mut z))?;
        assert_eq!(z, y);
        Ok(())
    }

    #[test]
    fn the_cache_returns_what_a_miss_computed_and_keeps_its_bound() -> Result {
        let pools = pools()?;
        let net = loaded(&pools)?;
        net.set_cache_timeout(Some(60_000));
        let c = &net.stats.cache;
        let x = [256i16, -128, 64];
        let (mut a, mut b) = ([0i16; 2], [0i16; 2]);
        net.predict_batch(&x, &mut a)?;
        net.predict_batch(&x, &mut b)?;
        assert_eq!((stat(&c.misses), stat(&c.hits)), (1, 1));
        assert_eq!(a, b);
        // A batch of two is computed, not cached.
        let mut two = [0i16; 4];
        net.predict_batch(&[256, -128, 64, 256, -128, 64], &mut two)?;
        assert_eq!((stat(&c.misses), stat(&c.hits)), (1, 1));
        assert_eq!(two, [a[0], a[1], a[0], a[1]]);
        // More distinct inputs than it has room for: the least recently used go.
        let cap = entries_for(3, 2);
        let extra = 40;
        for i in 0..cap + extra {
            let x = [i as i16, (i >> 8) as i16, 1];
            let mut y = [0i16; 2];
            net.predict_batch(&x, &mut y)?;
        }
        let usage = net.cache_usage();
        assert_eq!(usage.capacity, cap);
        assert_eq!(usage.used, cap);
        assert!(usage.bytes <= MAX_BYTES + cap * 24);
        // The first entry was used least recently of all: evicted first, with 40 more.
        assert_eq!(stat(&c.evictions), extra as u64 + 1);
        Ok(())
    }

    #[test]
    fn entries_expire_after_the_timeout() -> Result {
        let pools = pools()?;
        let net = loaded(&pools)?;
        net.set_cache_timeout(Some(1));
        let x = [1i16, 2, 3];
        let mut y = [0i16; 2];
        net.predict_batch(&x, &mut y)?;
        kernel::time::delay::fsleep(kernel::time::Delta::from_millis(5));
        net.predict_batch(&x, &mut y)?;
        assert_eq!(stat(&net.stats.cache.hits), 0);
        assert_eq!(stat(&net.stats.cache.misses), 2);
        // Timeout 0: off, and the table freed.
        net.set_cache_timeout(Some(0));
        net.predict_batch(&x, &mut y)?;
        assert_eq!(stat(&net.stats.cache.misses), 2);
        assert_eq!(net.cache_usage().capacity, 0);
        Ok(())
    }

    #[test]
    fn training_and_replacement_empty_the_cache() -> Result {
        // Checked with `check!`: a failed check still frees the network on the way out.
        let pools = pools()?;
        let net = created(&pools)?;
        net.set_cache_timeout(Some(60_000));
        let c = &net.stats.cache;
        let x = [512i16, 256, -512];
        let mut y = [0i16; 2];
        net.predict_batch(&x, &mut y)?;
        net.predict_batch(&x, &mut y)?;
        check!((stat(&c.misses), stat(&c.hits)) == (1, 1));
        net.train(&x, &[4096, -4096], 1, 1 << 22, 1)?;
        check!(stat(&c.invalidated) == 1);
        let mut after = [0i16; 2];
        net.predict_batch(&x, &mut after)?;
        check!((stat(&c.misses), stat(&c.hits)) == (2, 1));
        net.predict_batch(&x, &mut after)?;
        check!(stat(&c.hits) == 2);
        // A re-placement makes new layers with an empty cache, on their node. The cache
        // goes where the first layer's weights were asked to go: under `local` that is
        // only a preference, which a node that boot filled (on 16 nodes of 96 MiB) turns
        // into another node for one array and not for the other, as the test thread's CPU
        // happens to pick it. `bind` to one node with room is exact: the layers and the
        // table land on that node, every run. The last node with room is taken, so that
        // on a machine of several nodes the layers move away from where they were made.
        let Some(node) = topology::nodes(NodeState::Memory)
            .filter(|&n| crate::kunit::has_room(n, 1 << 20))
            .last()
        else {
            // Not one node with a MiB to spare: the machine cannot run the case.
            return Err(ENOMEM);
        };
        net.replace(bound(node)?, "kunit")?;
        net.predict_batch(&x, &mut after)?;
        check!((stat(&c.misses), stat(&c.hits)) == (3, 2));
        let usage = net.cache_usage();
        let mut first = None;
        net.for_each_layer(|i, l| {
            if i == 0 {
                first = l.node();
            }
            Ok(())
        })?;
        if cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            check!(first == Some(node));
            check!(usage.node == Some(node));
        } else {
            check!(usage.node.is_some() && first.is_some());
        }
        Ok(())
    }

    /// A model replaced by another of the same widths (hidden shape free): the network
    /// keeps its id, owner, placement, CPU mask and counters, counts the replacement,
    /// loses its cache entries and answers, atomically too, exactly as the new model; a
    /// model of other widths, a corrupt blob and another owner are refused and change
    /// nothing. `check!`, not `assert!`: the network is freed whatever fails.
    #[test]
    fn replace_model_swaps_the_answers_and_keeps_the_network() -> Result {
        let pools = pools()?;
        let net = loaded(&pools)?;
        net.set_cache_timeout(Some(60_000));
        let x = [256i16, -128, 64];
        let mut y = [0x5a5ai16; 2];
        net.predict_batch(&x, &mut y)?;
        check!(y == SAMPLE_OUTPUT);
        check!(net.cache_usage().used > 0);
        let placement = net.placement();
        // A mask set with `cpus` stays; a default one follows the weights, which the new
        // model's placement may put on another node (a full node 0 on 16 nodes does).
        let (default, _) = net.cpu_mask()?;
        net.set_affinity(Some(Some(default)), None)?;
        let (mask, explicit) = net.cpu_mask()?;
        check!(explicit);
        let predictions = net.stats.predictions.load(kernel::sync::atomic::Relaxed);
        let owner = *net.owner();

        check!(net.replace_model(OTHER, "kunit", Owner::SELF).is_ok());
        check!(net.id() == 0 && *net.owner() == owner);
        check!(net.placement() == placement);
        let (mask2, explicit2) = net.cpu_mask()?;
        check!(explicit2 == explicit && mask2.iter().eq(mask.iter()));
        check!(net.stats.predictions.load(kernel::sync::atomic::Relaxed) == predictions);
        check!(net.stats.replacements.load(kernel::sync::atomic::Relaxed) == 1);
        check!(net.cache_usage().used == 0);
        check!(matches!(net.origin(), Origin::Loaded { crc } if crc == checksum(OTHER)));
        let m = Model::parse(OTHER).map_err(|_| EINVAL)?;
        check!(Some(net.bytes() as u64) == Network::model_footprint(&m));
        let mut y = [0x5a5ai16; 2];
        net.predict_batch(&x, &mut y)?;
        check!(y == OTHER_OUTPUT);
        let mut y = [0x5a5ai16; 2];
        check!(atomically(|| net.predict_atomic(&x, &mut y)).is_ok());
        check!(y == OTHER_OUTPUT);
        let mut scratch = KVec::from_elem(0i16, net.scratch_len(), GFP_KERNEL)?;
        let mut y = [0x5a5ai16; 2];
        net.predict_with(&x, &mut y, &mut scratch)?;
        check!(y == OTHER_OUTPUT);

        // Refusals: nothing changes.
        let bytes = net.bytes();
        check!(net.replace_model(WIDER, "kunit", Owner::SELF) == Err(EINVAL));
        let mut corrupt = KVec::new();
        corrupt.extend_from_slice(SAMPLE, GFP_KERNEL)?;
        if let Some(b) = corrupt.last_mut() {
            *b ^= 0x40;
        }
        check!(net.replace_model(&corrupt, "kunit", Owner::SELF) == Err(EINVAL));
        check!(net.replace_model(&SAMPLE[..40], "kunit", Owner::SELF) == Err(EINVAL));
        let other = Owner::module(b"kunit_other").ok_or(EINVAL)?;
        check!(net.replace_model(SAMPLE, "kunit", other) == Err(EBUSY));
        check!(net.stats.replacements.load(kernel::sync::atomic::Relaxed) == 1);
        check!(net.bytes() == bytes);
        check!(matches!(net.origin(), Origin::Loaded { crc } if crc == checksum(OTHER)));
        let mut y = [0x5a5ai16; 2];
        net.predict_batch(&x, &mut y)?;
        check!(y == OTHER_OUTPUT);

        // And back: the first model's answers again.
        check!(net.replace_model(SAMPLE, "kunit", Owner::SELF).is_ok());
        let mut y = [0x5a5ai16; 2];
        check!(atomically(|| net.predict_atomic(&x, &mut y)).is_ok());
        check!(y == SAMPLE_OUTPUT);
        check!(net.stats.replacements.load(kernel::sync::atomic::Relaxed) == 2);
        Ok(())
    }

    /// A training call's network (created) given a model of other formats is refused;
    /// the created network stays trainable.
    #[test]
    fn replace_model_of_other_formats_is_refused() -> Result {
        let pools = pools()?;
        let net = created(&pools)?;
        // The sample has 3 inputs and 2 outputs, as this network, but Q7.8 and Q0.15.
        check!(net.replace_model(SAMPLE, "kunit", Owner::SELF) == Err(EINVAL));
        check!(net.trainable());
        check!(net.stats.replacements.load(kernel::sync::atomic::Relaxed) == 0);
        Ok(())
    }
}
