/* SPDX-License-Identifier: GPL-2.0 */
/* What iopredict.bpf.c and its loader, iopredict.c, share. */
#ifndef IOPREDICT_H
#define IOPREDICT_H

/* LinnOS's features (OSDI'20, section 4): the I/Os pending at an I/O's arrival, and the
 * latencies of the last HISTORY completions with the I/Os pending when each arrived. */
#define HISTORY 4
/* The network's input: each feature as decimal digits, LinnOS's encoding: 3 for a
 * count (up to 999), 4 for a latency in microseconds (up to 9999). */
#define IOP_INPUTS (3 + HISTORY * 4 + HISTORY * 3)
#define IOP_OUTPUTS 2

/* One completed I/O, as the ring buffer carries it to user space. */
struct iop_record {
	__u64 latency_ns;	/* arrival (block_bio_queue) to completion */
	__u32 pending;		/* I/Os of the device in flight at its arrival */
	__u32 lat_us[HISTORY];	/* the last completions' latencies, newest first */
	__u32 pend[HISTORY];	/* the I/Os pending when each of them arrived */
	__s32 ret;		/* the prediction's status: 0, or a negative errno */
	__u32 predicted;	/* 1: slow, 0: fast (when ret is 0) */
	__u32 write;		/* 1 for a write */
	__u32 bytes;		/* its size */
	__s16 out[IOP_OUTPUTS];	/* the network's outputs, raw fixed point (when ret is 0) */
	__u64 arrival_ns;	/* when it arrived (bpf_ktime_get_ns: CLOCK_MONOTONIC) */
};

#endif /* IOPREDICT_H */
