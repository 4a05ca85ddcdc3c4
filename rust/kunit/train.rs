// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_train`: creating a network from a topology (Xavier
//! initialisation from a seed) and training it with fixed-point SGD, in the kernel
//! build. XOR trains as on the host, bit for bit: the steps and losses below are those
//! of the host test `kunit_xor_reference` (tools/pure/src/tests_train.rs).

#[kernel::macros::kunit_tests(neural_network_train)]
mod tests {
    use crate::pure::activation::Activation;
    use crate::pure::fixed::Requant;
    use crate::pure::rng::Rng;
    use crate::pure::train::{
        apply,
        forward,
        mse,
        output,
        step,
        TrainError,
        TrainLayer,
        LR_ONE, //
    };
    use crate::pure::xavier::{
        fill_xavier,
        init_layer,
        xavier_limit,
        LayerPlan,
        Plan,
        PlanError, //
    };
    use kernel::prelude::*;

    const XOR_IN: [[i16; 2]; 4] = [[0, 0], [0, 4096], [4096, 0], [4096, 4096]];
    const XOR_OUT: [i16; 4] = [0, 32767, 32767, 0];
    /// Seed 1, 500 epochs of 4 online steps at rate 1.0 (host: `kunit_xor_reference`).
    const XOR_SOLVED_AT: usize = 104;
    const XOR_FIRST_LOSS: u64 = 290_533_110;
    const XOR_LAST_LOSS: u64 = 869_062;

    /// One layer's training memory.
    struct Bufs {
        w: KVec<i16>,
        b: KVec<i32>,
        gw: KVec<i64>,
        gb: KVec<i64>,
        pre: KVec<i16>,
        out: KVec<i16>,
        delta: KVec<i64>,
    }

    impl Bufs {
        fn new(l: &LayerPlan) -> Result<Self> {
            let (n, nm) = (l.outputs, l.weight_count());
            Ok(Self {
                w: KVec::from_elem(0, nm, GFP_KERNEL)?,
                b: KVec::from_elem(0, n, GFP_KERNEL)?,
                gw: KVec::from_elem(0, nm, GFP_KERNEL)?,
                gb: KVec::from_elem(0, n, GFP_KERNEL)?,
                pre: KVec::from_elem(0, n, GFP_KERNEL)?,
                out: KVec::from_elem(0, n, GFP_KERNEL)?,
                delta: KVec::from_elem(0, n, GFP_KERNEL)?,
            })
        }

        fn layer(&mut self, plan: LayerPlan) -> TrainLayer<'_> {
            TrainLayer {
                plan,
                weights: &mut self.w,
                bias: &mut self.b,
                grad_w: &mut self.gw,
                grad_b: &mut self.gb,
                pre: &mut self.pre,
                out: &mut self.out,
                delta: &mut self.delta,
            }
        }
    }

    /// Mean loss over the four samples and how many are classified correctly.
    fn xor_eval(l: &mut [TrainLayer<'_>]) -> Result<(u64, usize)> {
        let mut loss = 0;
        let mut correct = 0;
        for (x, &t) in XOR_IN.iter().zip(&XOR_OUT) {
            forward(l, x).map_err(|_| EINVAL)?;
            let y = output(l).first().copied().ok_or(EINVAL)?;
            loss += mse(output(l), &[t], 15);
            correct += usize::from((y > 16384) == (t > 16384));
        }
        Ok((loss / 4, correct))
    }

    #[test]
    fn xor_trains_to_100_percent_and_the_loss_falls() -> Result {
        let mut rng = Rng::from_seed(1);
        let plan =
            Plan::new(&[2, 4, 1], &[Activation::Tanh, Activation::Sigmoid]).map_err(|_| EINVAL)?;
        let p = plan.layers();
        let (p0, p1) = (*p.first().ok_or(EINVAL)?, *p.get(1).ok_or(EINVAL)?);
        let mut b0 = Bufs::new(&p0)?;
        let mut b1 = Bufs::new(&p1)?;
        init_layer(&p0, &mut b0.w, &mut b0.b, &mut rng).map_err(|_| EINVAL)?;
        init_layer(&p1, &mut b1.w, &mut b1.b, &mut rng).map_err(|_| EINVAL)?;
        let mut l = [b0.layer(p0), b1.layer(p1)];

        let (first_loss, _) = xor_eval(&mut l)?;
        let mut solved_at = None;
        for epoch in 0..500 {
            if solved_at.is_none() && xor_eval(&mut l)?.1 == 4 {
                solved_at = Some(epoch * 4);
            }
            for _ in 0..4 {
                let i = rng.below(4) as usize;
                let (x, t) = (
                    XOR_IN.get(i).ok_or(EINVAL)?,
                    XOR_OUT.get(i..=i).ok_or(EINVAL)?,
                );
                step(&mut l, x, t).map_err(|_| EINVAL)?;
                apply(&mut l, LR_ONE, 1, Some(&mut rng)).map_err(|_| EINVAL)?;
            }
        }
        let (last_loss, correct) = xor_eval(&mut l)?;
        assert_eq!(correct, 4);
        assert!(last_loss < first_loss / 100);
        // Exactly what the host computes.
        assert_eq!(solved_at, Some(XOR_SOLVED_AT));
        assert_eq!(first_loss, XOR_FIRST_LOSS);
        assert_eq!(last_loss, XOR_LAST_LOSS);
        Ok(())
    }

    #[test]
    fn plan_for_4_8_2() -> Result {
        let plan =
            Plan::new(&[4, 8, 2], &[Activation::Relu, Activation::Sigmoid]).map_err(|_| EINVAL)?;
        assert_eq!(plan.n_layers(), 2);
        assert_eq!((plan.input_dim(), plan.output_dim()), (4, 2));
        assert_eq!((plan.input_frac(), plan.output_frac()), (12, 15));
        let p = plan.layers();
        let (l0, l1) = (p.first().ok_or(EINVAL)?, p.get(1).ok_or(EINVAL)?);
        assert_eq!((l0.inputs, l0.outputs, l0.out_frac), (4, 8, 12));
        assert_eq!((l1.inputs, l1.outputs, l1.out_frac), (8, 2, 15));
        assert_eq!((l0.weight_frac, l0.bias_frac()), (12, 24));
        assert_eq!(Some(l0.requant), Requant::new(1, 12));
        assert_eq!(Some(l1.requant), Requant::new(1, 12));
        assert_eq!(
            Plan::new(&[4, 0, 2], &[Activation::Relu, Activation::Relu]).err(),
            Some(PlanError::BadDim(1))
        );
        assert_eq!(
            Plan::new(&[4, 8, 2], &[Activation::Relu]).err(),
            Some(PlanError::ActivationCount)
        );
        Ok(())
    }

    #[test]
    fn xavier_values_in_range() -> Result {
        // sqrt(6 / (64 + 32)) = 1/4: 1024 in Q3.12.
        assert_eq!(xavier_limit(64, 32, 12), Ok(1024));
        let mut w = KVec::from_elem(0i16, 64 * 32, GFP_KERNEL)?;
        let mut rng = Rng::from_seed(42);
        fill_xavier(&mut w, 64, 32, 12, &mut rng).map_err(|_| EINVAL)?;
        assert!(w.iter().all(|&v| (-1024..=1024).contains(&v)));
        assert!(w.iter().any(|&v| v > 512) && w.iter().any(|&v| v < -512));
        let sum: i64 = w.iter().map(|&v| i64::from(v)).sum();
        // Mean within 4 standard errors of 0 (sd 591 / sqrt(2048) = 13).
        assert!(sum.abs() < 2048 * 52);
        assert_eq!(
            fill_xavier(&mut w, 64, 31, 12, &mut rng),
            Err(PlanError::Shape)
        );
        Ok(())
    }

    #[test]
    fn rng_reference_vector() -> Result {
        let mut r = Rng::from_state([1, 2, 3, 4]).ok_or(EINVAL)?;
        assert_eq!(r.next_u64(), 11520);
        assert_eq!(r.next_u64(), 0);
        assert_eq!(r.next_u64(), 1_509_978_240);
        assert_eq!(r.next_u64(), 1_215_971_899_390_074_240);
        Ok(())
    }

    #[test]
    fn wrong_lengths_are_errors() -> Result {
        let plan = Plan::new(&[3, 2], &[Activation::Linear]).map_err(|_| EINVAL)?;
        let p0 = *plan.layers().first().ok_or(EINVAL)?;
        let mut b = Bufs::new(&p0)?;
        let mut l = [b.layer(p0)];
        assert_eq!(step(&mut l, &[0; 2], &[0; 2]), Err(TrainError::InputLength));
        assert_eq!(
            step(&mut l, &[0; 3], &[0; 3]),
            Err(TrainError::TargetLength)
        );
        assert_eq!(apply(&mut l, LR_ONE, 0, None), Err(TrainError::BadBatch));
        assert_eq!(step(&mut l, &[0; 3], &[0; 2]).map(|_| ()), Ok(()));
        Ok(())
    }
}
