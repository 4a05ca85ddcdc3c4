// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_network`: networks in node-placed memory.
//!
//! Placement is checked against where the pages really are (`NodeVec::node`, read from
//! the page), on whatever topology the kernel booted with: bind puts every layer on the
//! node or fails, interleave spreads layers over every node with memory, and each CPU's
//! scratch lands on that CPU's node. The outputs are those of the host's copy of the
//! forward pass (`testdata/sample_output.rs`).

#[kernel::macros::kunit_tests(neural_network_network)]
mod tests {
    use crate::budget::Budget;
    use crate::network::{
        Network,
        Owner,
        Pools, //
    };
    use crate::numa::mem::{
        NodeVec,
        Where, //
    };
    use crate::numa::placement::{
        NumaPolicy,
        Placement, //
    };
    use crate::numa::topology::{
        self,
        NodeState, //
    };
    use crate::pure::activation::Activation;
    use crate::pure::format::Format;
    use crate::pure::model::Model;
    use crate::pure::xavier::Plan;
    use kernel::prelude::*;
    use kernel::sync::Arc;

    const SAMPLE: &[u8] = include_bytes!("testdata/sample.nnm");
    const INPUT: [i16; 3] = [256, -128, 64];
    /// What a network of the sample model asks of a node, with margin: its arrays are about
    /// the blob's size (`has_room` adds the allocator's spare on top).
    const NET_BYTES: usize = SAMPLE.len() * 4;

    fn build(
        id: u32,
        policy: NumaPolicy,
        node: Option<crate::numa::topology::NodeId>,
        pools: &Pools,
    ) -> Result<Arc<Network>> {
        let m = Model::parse(SAMPLE).map_err(|_| EINVAL)?;
        let budget = Budget::new()?;
        let bytes = Network::model_footprint(&m).ok_or(EINVAL)?;
        let charge = Budget::charge(&budget, bytes, u64::MAX).map_err(|_| EINVAL)?;
        let place = Placement::check(policy, node, None).map_err(|_| EINVAL)?;
        Network::from_model(id, &m, m.checksum(), &place, charge, pools, Owner::SELF)
    }

    /// Slab caches of their own: the module's exist while the suites run. A test that
    /// builds a network per node makes its caches once (a cache's creation and destruction
    /// cost about 0.2 s each in the debug guest: 10 s a test on 16 nodes).
    fn pools() -> Result<Pools> {
        Pools::named(
            c"neural_kunit_layer",
            c"neural_kunit_scratch",
            c"neural_kunit_replica",
        )
    }

    /// The module's default placement: `local` over every node with memory.
    fn local() -> Result<Placement> {
        Placement::check(NumaPolicy::Local, None, None).map_err(|_| EINVAL)
    }

    fn layer_nodes(net: &Network) -> Result<KVec<Option<u32>>> {
        let mut v = KVec::new();
        net.for_each_layer(|_, l| {
            v.push(l.node().map(|n| n.id()), GFP_KERNEL)?;
            Ok(())
        })?;
        Ok(v)
    }

    /// Without `CONFIG_NEURAL_NETWORK_NUMA` a policy is accepted and places nothing: the
    /// placement cases check instead that a network made under `policy` (with the first
    /// node with memory, where it names one) predicts as the host.
    fn without_numa_builds_and_predicts(policy: NumaPolicy) -> Result {
        let node = topology::nodes(NodeState::Memory).next();
        let net = build(0, policy, node, &pools()?)?;
        for n in layer_nodes(&net)? {
            assert!(n.is_some());
        }
        let mut y = [0i16; 2];
        assert_eq!(net.predict_batch(&INPUT, &mut y)?, 1);
        assert_eq!(y, SAMPLE_OUTPUT);
        Ok(())
    }

    #[test]
    fn bind_places_every_layer_on_its_node() -> Result {
        if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            return without_numa_builds_and_predicts(NumaPolicy::Bind);
        }
        let pools = pools()?;
        let mut placed = 0;
        for node in topology::nodes(NodeState::Memory) {
            match build(0, NumaPolicy::Bind, Some(node), &pools) {
                Ok(net) => {
                    for n in layer_nodes(&net)? {
                        assert_eq!(n, Some(node.id()));
                    }
                    placed += 1;
                }
                // Bind never falls back: a full node is an error, never another node.
                Err(e) => {
                    assert_eq!(e, ENOMEM);
                    assert!(!crate::kunit::has_room(node, NET_BYTES));
                }
            }
        }
        assert!(placed > 0);
        Ok(())
    }

    #[test]
    fn interleave_spreads_layers_over_the_nodes() -> Result {
        if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            return without_numa_builds_and_predicts(NumaPolicy::Interleave);
        }
        let pools = pools()?;
        let nodes = topology::nodes(NodeState::Memory).count();
        let mut checked = 0;
        // Network id k starts at the k-th node with memory: layer 0 of networks 0..n
        // covers every node.
        for id in 0..nodes {
            let net = build(id as u32, NumaPolicy::Interleave, None, &pools)?;
            let got = layer_nodes(&net)?;
            let nth = |k: usize| topology::nodes(NodeState::Memory).nth(k % nodes);
            // Interleave prefers its node and falls back when it is full, as preferred
            // does: each layer is checked where its node has room.
            for (layer, want) in [(0, nth(id)), (1, nth(id + 1))] {
                if let Some(want) = want.filter(|&n| crate::kunit::has_room(n, NET_BYTES)) {
                    assert_eq!(got[layer], Some(want.id()));
                    checked += 1;
                }
            }
        }
        assert!(checked > 0);
        Ok(())
    }

    #[test]
    fn preferred_uses_its_node() -> Result {
        if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            return without_numa_builds_and_predicts(NumaPolicy::Preferred);
        }
        let pools = pools()?;
        let mut checked = 0;
        for node in topology::nodes(NodeState::Memory) {
            // Preferred falls back to another node when its own is full, so the node is
            // only checked where it has room; the network is made either way.
            let room = crate::kunit::has_room(node, NET_BYTES);
            let net = build(0, NumaPolicy::Preferred, Some(node), &pools)?;
            for n in layer_nodes(&net)? {
                assert!(n.is_some());
                if room {
                    assert_eq!(n, Some(node.id()));
                }
            }
            checked += usize::from(room);
        }
        assert!(checked > 0);
        Ok(())
    }

    #[test]
    fn memory_lands_where_asked() -> Result {
        let mut placed = [false; 3];
        for node in topology::nodes(NodeState::Memory) {
            // Small (slab) and large (vmalloc) arrays alike.
            for (i, len) in [8usize, 4096, 1 << 20].into_iter().enumerate() {
                let bytes = len * core::mem::size_of::<i16>();
                match NodeVec::<i16>::zeroed(len, Where::Only(node)) {
                    Ok(v) => {
                        assert_eq!(v.node(), Some(node));
                        assert!(v.iter().all(|&x| x == 0));
                        placed[i] = true;
                    }
                    // Only a node without the room may refuse, and then with ENOMEM:
                    // `Only` never takes another node's memory.
                    Err(e) => {
                        assert_eq!(e, ENOMEM);
                        assert!(!crate::kunit::has_room(node, bytes));
                    }
                }
            }
        }
        // Every size was placed on at least one node.
        assert!(placed.iter().all(|&p| p));
        Ok(())
    }

    #[test]
    fn predict_paths_agree_with_the_host() -> Result {
        let net = build(0, NumaPolicy::Local, None, &pools()?)?;
        let mut y = [0i16; 2];
        assert_eq!(net.predict_batch(&INPUT, &mut y)?, 1);
        assert_eq!(y, SAMPLE_OUTPUT);
        assert_eq!(crate::pure::forward::argmax(&y), Some(SAMPLE_ARGMAX));

        let mut scratch = KVec::from_elem(0i16, net.scratch_len(), GFP_KERNEL)?;
        let mut y2 = [0i16; 2];
        net.predict_with(&INPUT, &mut y2, &mut scratch)?;
        assert_eq!(y2, SAMPLE_OUTPUT);

        // A batch of three copies gives three copies.
        let mut xs = KVec::new();
        for _ in 0..3 {
            xs.extend_from_slice(&INPUT, GFP_KERNEL)?;
        }
        let mut ys = [0i16; 6];
        assert_eq!(net.predict_batch(&xs, &mut ys)?, 3);
        for y in ys.chunks(2) {
            assert_eq!(y, &SAMPLE_OUTPUT[..]);
        }
        Ok(())
    }

    #[test]
    fn replace_moves_every_layer_and_keeps_the_outputs() -> Result {
        if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            return without_numa_builds_and_predicts(NumaPolicy::Replicate);
        }
        let net = build(0, NumaPolicy::Local, None, &pools()?)?;
        let mut moved = 0;
        for node in topology::nodes(NodeState::Memory) {
            let bind = Placement::check(NumaPolicy::Bind, Some(node), None).map_err(|_| EINVAL)?;
            match net.replace(bind, "kunit") {
                Ok(r) => {
                    assert!(r.bytes > 0);
                    for n in layer_nodes(&net)? {
                        assert_eq!(n, Some(node.id()));
                    }
                    assert_eq!(net.placement(), bind);
                    moved += 1;
                }
                // A full node refuses, and the old layers serve on.
                Err(e) => {
                    assert_eq!(e, ENOMEM);
                    assert!(!crate::kunit::has_room(node, NET_BYTES));
                }
            }
            let mut y = [0i16; 2];
            assert_eq!(net.predict_batch(&INPUT, &mut y)?, 1);
            assert_eq!(y, SAMPLE_OUTPUT);
        }
        assert!(moved > 0);
        let s = &net.stats;
        assert_eq!(
            s.migrations.load(kernel::sync::atomic::Relaxed),
            moved as u64
        );
        Ok(())
    }

    /// The default CPU mask of a network bound to a node with CPUs is exactly that node's
    /// CPUs, and follows the network to another node.
    #[test]
    fn default_cpu_mask_is_the_cpus_of_the_weights_node() -> Result {
        if !cfg!(CONFIG_NEURAL_NETWORK_NUMA) {
            return without_numa_builds_and_predicts(NumaPolicy::Local);
        }
        let net = build(0, NumaPolicy::Local, None, &pools()?)?;
        let mut checked = 0;
        for node in topology::nodes(NodeState::Memory) {
            if topology::node_cpus(node).next().is_none()
                || !crate::kunit::has_room(node, NET_BYTES)
            {
                continue;
            }
            let bind = Placement::check(NumaPolicy::Bind, Some(node), None).map_err(|_| EINVAL)?;
            net.replace(bind, "kunit")?;
            let (mask, explicit) = net.cpu_mask()?;
            assert!(!explicit);
            assert!(mask.iter().eq(topology::node_cpus(node)));
            checked += 1;
        }
        assert!(checked > 0);
        Ok(())
    }

    /// Work queued on each online CPU runs there, and the caller sees all of it done.
    #[test]
    fn run_on_cpus_runs_each_job_on_its_cpu() -> Result {
        let mut jobs = KVec::new();
        for cpu in (0..topology::nr_cpu_ids()).filter(|&c| topology::cpu_online(c)) {
            jobs.push((cpu, u32::MAX), GFP_KERNEL)?;
        }
        let n = jobs.len();
        assert!(n > 0);
        crate::sched::run_on_cpus(&mut jobs, &|ran: &mut u32| {
            *ran = kernel::cpu::CpuId::current().as_u32();
        })?;
        for &(cpu, ran) in jobs.iter() {
            assert_eq!(ran, cpu);
        }
        Ok(())
    }

    #[test]
    fn wrong_shapes_are_refused_and_change_nothing() -> Result {
        let net = build(0, NumaPolicy::Local, None, &pools()?)?;
        let mut y = [7i16; 2];
        assert!(net.predict_batch(&INPUT[..2], &mut y).is_err());
        assert!(net.predict_batch(&[], &mut []).is_err());
        let mut y3 = [7i16; 3];
        assert!(net.predict_batch(&INPUT, &mut y3).is_err());
        let mut small = [0i16; 1];
        assert!(net.predict_with(&INPUT, &mut y, &mut small).is_err());
        assert_eq!(y, [7, 7]);
        assert_eq!(net.stats.predictions.load(kernel::sync::atomic::Relaxed), 0);
        Ok(())
    }

    /// A network of `predicted` bytes ([`Network::footprint`]) made by `build` allocates
    /// exactly that, charged to the budget and held in the NUMA counters (page by page,
    /// as measured), every array on a cache line; all of it goes back when it is freed.
    fn check_footprint(
        predicted: u64,
        build: impl FnOnce(crate::budget::Charge, &Pools) -> Result<Arc<Network>>,
    ) -> Result {
        let budget = Budget::new()?;
        let pools = pools()?;
        let numa = &pools.numa;
        let charge = Budget::charge(&budget, predicted, u64::MAX).map_err(|_| EINVAL)?;
        let net = build(charge, &pools)?;
        assert_eq!(net.bytes() as u64, predicted);
        assert_eq!(budget.used(), predicted);
        let (mut bytes, mut pages) = (0u64, 0u64);
        net.for_each_buffer(|b| {
            assert_eq!(b.addr % crate::numa::mem::cache_line(), 0);
            let page = topology::page_size();
            let spans = (b.addr % page + b.bytes).div_ceil(page);
            assert_eq!(b.pages.pages() as usize, spans);
            bytes += b.bytes as u64;
            pages += u64::from(b.pages.pages());
            Ok(())
        })?;
        assert_eq!(bytes, predicted);
        assert_eq!(numa.held(), (predicted, pages));
        // The bytes go back when the network is freed.
        drop(net);
        assert_eq!(budget.used(), 0);
        assert_eq!(numa.held(), (0, 0));
        Ok(())
    }

    #[test]
    fn footprint_is_what_a_loaded_network_allocates() -> Result {
        let m = Model::parse(SAMPLE).map_err(|_| EINVAL)?;
        let place = local()?;
        check_footprint(
            Network::model_footprint(&m).ok_or(EINVAL)?,
            |charge, numa| {
                Network::from_model(0, &m, m.checksum(), &place, charge, numa, Owner::SELF)
            },
        )
    }

    #[test]
    fn footprint_is_what_a_created_network_allocates() -> Result {
        let acts = [Activation::Tanh, Activation::Relu, Activation::Sigmoid];
        let plan = Plan::new(&[3, 17, 5, 2], &acts).map_err(|_| EINVAL)?;
        let place = local()?;
        check_footprint(
            Network::plan_footprint(&plan).ok_or(EINVAL)?,
            |charge, numa| Network::create(0, &plan, Some(1), &place, charge, numa, Owner::SELF),
        )
    }

    #[test]
    fn footprint_of_the_largest_topology_is_counted_not_wrapped() {
        // 17 sizes of 4096 with training memory: about 2.5 GiB, the case limits exist for.
        let dims = core::iter::repeat_n((4096usize, 4096usize, Format::F16x16), 16);
        let bytes = Network::footprint(dims, true);
        let per_layer = 4096u64 * 4096 * 10 + 4096 * 24;
        // Per CPU: a block of four inputs, two buffers of the widest outputs each, and
        // their split (two values per input value), 16 bytes per value of a layer's
        // width and inputs; and an atomic prediction's scratch (one input) for each of 3
        // context levels, 4 bytes each.
        let scratch = u64::from(topology::nr_cpu_ids()) * 28 * (4096 + 4096);
        assert_eq!(bytes, Some(16 * per_layer + scratch));
        // A sum that overflows is None, never a small number.
        let huge = core::iter::repeat_n((usize::MAX / 2, 3usize, Format::F16x16), 2);
        assert_eq!(Network::footprint(huge, false), None);
    }

    include!("testdata/sample_output.rs");
}
