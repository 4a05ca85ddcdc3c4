// SPDX-License-Identifier: GPL-2.0
/*
 * A LinnOS-style latency predictor on a stock kernel: on every I/O to one block device,
 * ask a neural_network network (through its BPF kfuncs) whether the I/O will be slow,
 * and report the prediction with the real latency.
 *
 * - tp_btf/block_bio_queue, as a bio reaches the device's queue (before it waits for a
 *   tag: the device's queueing counts in its latency): its features from the device's
 *   state (pending I/Os, the last completions), encoded as LinnOS does (decimal digits),
 *   run through the network on the atomic path, kept with the arrival time by bio.
 * - tp_btf/block_rq_complete: the latency of the request's first bio (merges are turned
 *   off by the loader, so a request is one bio), the device's history updated, and a
 *   record for user space in the ring buffer.
 *
 * The network is looked up by id on every I/O: a model swapped in with `nnctl replace`
 * (same id) is used from the next I/O on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "../../samples/bpf/neural_network.bpf.h"
#include "iopredict.h"

#define ENOENT 2

/* Set by the loader before the program loads. */
const volatile __u32 target_dev;	/* the device, as the kernel's dev_t */
const volatile __u32 network_id;	/* the network to ask */
const volatile __u32 input_frac;	/* its input format's fractional bits */
const volatile bool predict_on = true;	/* false: the hook without the prediction */

/* The device's state: what every I/O's features come from. */
struct device_state {
	struct bpf_spin_lock lock;
	__u32 pending;
	__u32 head;			/* the newest entry of the history */
	__u32 lat_us[HISTORY];
	__u32 pend[HISTORY];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct device_state);
} state SEC(".maps");

/* An I/O in flight, by its bio. */
struct inflight {
	struct iop_record rec;		/* all but the latency, filled at arrival */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} records SEC(".maps");

/* Counters for the loader: I/Os seen, records lost to a full ring or map. */
__u64 seen, lost_ring, lost_map;
/* The device of the last bio queued (any device): what the loader reports when it saw
 * none of its own. */
__u32 last_dev;

/* `n` (capped at 10^digits - 1) as `digits` decimal digits into in[*at...]. */
static __always_inline void put_digits(__s16 *in, int *at, __u32 n, int digits, __u32 one)
{
	__u32 cap = digits == 3 ? 999 : 9999;
	int d;

	if (n > cap)
		n = cap;
	for (d = digits - 1; d >= 0; d--) {
		in[*at + d] = (__s16)((n % 10) * one);
		n /= 10;
	}
	*at += digits;
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(on_queue, struct bio *bio)
{
	struct device_state *s;
	struct inflight f = {};
	__s16 in[IOP_INPUTS], out[IOP_OUTPUTS];
	__u32 zero = 0, one = 1u << input_frac;
	__u64 key = (__u64)bio;
	int at = 0, k;

	last_dev = bio->bi_bdev->bd_dev;
	if (last_dev != target_dev)
		return 0;
	__sync_fetch_and_add(&seen, 1);
	s = bpf_map_lookup_elem(&state, &zero);
	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	f.rec.pending = s->pending++;
	for (k = 0; k < HISTORY; k++) {
		__u32 i = (s->head + HISTORY - k) % HISTORY;

		f.rec.lat_us[k] = s->lat_us[i];
		f.rec.pend[k] = s->pend[i];
	}
	bpf_spin_unlock(&s->lock);
	f.rec.write = (bio->bi_opf & 1) != 0;	/* REQ_OP_WRITE is 1, reads 0 */
	f.rec.bytes = bio->bi_iter.bi_size;

	f.rec.ret = -ENOENT;
	if (predict_on) {
		struct bpf_neural_network *nn = bpf_neural_network_acquire(network_id);

		if (nn) {
			put_digits(in, &at, f.rec.pending, 3, one);
			for (k = 0; k < HISTORY; k++)
				put_digits(in, &at, f.rec.lat_us[k], 4, one);
			for (k = 0; k < HISTORY; k++)
				put_digits(in, &at, f.rec.pend[k], 3, one);
			f.rec.ret = bpf_neural_network_predict(nn, in, sizeof(in), out, sizeof(out));
			if (f.rec.ret == 0) {
				f.rec.out[0] = out[0];
				f.rec.out[1] = out[1];
				f.rec.predicted = out[1] > out[0];
			}
			bpf_neural_network_release(nn);
		}
	}
	f.rec.arrival_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&inflight, &key, &f, BPF_ANY))
		__sync_fetch_and_add(&lost_map, 1);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	struct device_state *s;
	struct iop_record *r;
	struct inflight *f;
	__u32 zero = 0, lat_us;
	__u64 key = (__u64)rq->bio, lat;

	if (!key)
		return 0;
	f = bpf_map_lookup_elem(&inflight, &key);
	if (!f)
		return 0;
	lat = bpf_ktime_get_ns() - f->rec.arrival_ns;
	lat_us = lat / 1000 > 0xffffffff ? 0xffffffff : lat / 1000;
	s = bpf_map_lookup_elem(&state, &zero);
	if (s) {
		bpf_spin_lock(&s->lock);
		if (s->pending)
			s->pending--;
		s->head = (s->head + 1) % HISTORY;
		s->lat_us[s->head % HISTORY] = lat_us;
		s->pend[s->head % HISTORY] = f->rec.pending;
		bpf_spin_unlock(&s->lock);
	}
	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (r) {
		*r = f->rec;
		r->latency_ns = lat;
		bpf_ringbuf_submit(r, 0);
	} else {
		__sync_fetch_and_add(&lost_ring, 1);
	}
	bpf_map_delete_elem(&inflight, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
