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
    use crate::model::{
        crc32,
        Model, //
    };
    use crate::network::Network;
    use crate::node_mem::{
        NodeVec,
        Where, //
    };
    use crate::params::{
        NumaPolicy,
        Placement, //
    };
    use crate::topology::{
        self,
        NodeState, //
    };
    use kernel::prelude::*;
    use kernel::sync::Arc;

    const SAMPLE: &[u8] = include_bytes!("testdata/sample.nnm");
    const INPUT: [i16; 3] = [256, -128, 64];

    fn build(
        id: u32,
        policy: NumaPolicy,
        node: Option<crate::topology::NodeId>,
    ) -> Result<Arc<Network>> {
        let m = Model::parse(SAMPLE).map_err(|_| EINVAL)?;
        Network::from_model(id, &m, crc32(SAMPLE), &Placement { policy, node })
    }

    fn layer_nodes(net: &Network) -> Result<KVec<Option<u32>>> {
        let mut v = KVec::new();
        net.for_each_layer(|_, l| {
            v.push(l.node().map(|n| n.id()), GFP_KERNEL)?;
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn bind_places_every_layer_on_its_node() -> Result {
        for node in topology::nodes(NodeState::Memory) {
            let net = build(0, NumaPolicy::Bind, Some(node))?;
            for n in layer_nodes(&net)? {
                assert_eq!(n, Some(node.id()));
            }
        }
        Ok(())
    }

    #[test]
    fn interleave_spreads_layers_over_the_nodes() -> Result {
        let nodes = topology::nodes(NodeState::Memory).count();
        // Network id k starts at the k-th node with memory: layer 0 of networks 0..n
        // covers every node.
        for id in 0..nodes {
            let net = build(id as u32, NumaPolicy::Interleave, None)?;
            let got = layer_nodes(&net)?;
            let want0 = topology::nodes(NodeState::Memory).nth(id).map(|n| n.id());
            let want1 = topology::nodes(NodeState::Memory)
                .nth((id + 1) % nodes)
                .map(|n| n.id());
            assert_eq!(got[0], want0);
            assert_eq!(got[1], want1);
        }
        Ok(())
    }

    #[test]
    fn preferred_uses_its_node() -> Result {
        for node in topology::nodes(NodeState::Memory) {
            let net = build(0, NumaPolicy::Preferred, Some(node))?;
            for n in layer_nodes(&net)? {
                assert_eq!(n, Some(node.id()));
            }
        }
        Ok(())
    }

    #[test]
    fn memory_lands_where_asked() -> Result {
        for node in topology::nodes(NodeState::Memory) {
            // Small (slab) and large (vmalloc) arrays alike.
            for len in [8usize, 4096, 1 << 20] {
                let v = NodeVec::<i16>::zeroed(len, Where::Only(node))?;
                assert_eq!(v.node(), Some(node));
                assert!(v.iter().all(|&x| x == 0));
            }
        }
        Ok(())
    }

    #[test]
    fn predict_paths_agree_with_the_host() -> Result {
        let net = build(0, NumaPolicy::Local, None)?;
        let mut y = [0i16; 2];
        assert_eq!(net.predict_batch(&INPUT, &mut y)?, 1);
        assert_eq!(y, SAMPLE_OUTPUT);
        assert_eq!(crate::forward::argmax(&y), Some(SAMPLE_ARGMAX));

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
    fn wrong_shapes_are_refused_and_change_nothing() -> Result {
        let net = build(0, NumaPolicy::Local, None)?;
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

    include!("testdata/sample_output.rs");
}
