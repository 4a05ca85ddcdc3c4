# SPDX-License-Identifier: GPL-2.0
#
# neural_network: build the module out of tree, set up the toolchain and test kernel,
# run the tests and the demo. `make help` lists the targets. Kbuild (not this file)
# lists the objects when the kernel's build calls back in.

SHELL := /bin/bash
REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KFLAVOR ?= debug
# The kernel to build against: the project's cached test kernel unless given.
ifeq ($(origin KDIR),undefined)
KDIR := $(shell $(REPO)/tools/testing/setup --flavor $(KFLAVOR) --print-kdir)
endif
LLVM ?= -19
export PATH := $(HOME)/.cargo/bin:$(PATH)
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib

# OUTDIR=<dir>: build a copy of the module's sources in <dir> (Kbuild, rust/, include/,
# samples/, tools/testing/kmod/: what git tracks or does not ignore), not the tree, so that
# a build with other options leaves alone the module the guests load: tools/testing/check's
# builds, e.g. `make modules OUTDIR=build/variants/x CONFIG_NEURAL_NETWORK_NUMA=n`. (Kbuild's
# MO= cannot: it refuses a source directory that holds a build, whose objects it would
# take, through VPATH, for its own.)
MODSRC := $(if $(OUTDIR),$(abspath $(OUTDIR)),$(REPO))
KMAKE = $(MAKE) -C $(KDIR) M=$(MODSRC) LLVM=$(LLVM)
# samples/: in-kernel callers of the exported API, against the module's Module.symvers.
SAMPLES_MAKE = $(MAKE) -C $(KDIR) M=$(MODSRC)/samples LLVM=$(LLVM) \
	KBUILD_EXTRA_SYMBOLS=$(MODSRC)/Module.symvers
# tools/testing/kmod/: test modules that drive the exported API for the guest scripts.
KMOD_MAKE = $(MAKE) -C $(KDIR) M=$(MODSRC)/tools/testing/kmod LLVM=$(LLVM) \
	KBUILD_EXTRA_SYMBOLS=$(MODSRC)/Module.symvers

.PHONY: all modules guest check-kdir modsrc clean setup kernel check check-full demo iopredict help rustfmt rustfmtcheck clippy host-test nnctl bench bench-guest

all: modules

# What the guest of tools/testing/run-vm needs: the module with its KUnit suites (unless
# CONFIG_NEURAL_NETWORK_KUNIT_TEST is given), the samples and the test modules.
guest: check-kdir modsrc build/guest/nn-insmod build/guest/nn-failnth build/guest/nn-faultsweep \
		build/guest/nn-stress-predict build/guest/nn-unpriv build/guest/nn-fuzz \
		build/guest/nn-bpf-predict build/guest/nn_predict.bpf.o build/guest/nn-iopredict
	$(REPO)/tools/testing/guest-data
	$(KMAKE) CONFIG_NEURAL_NETWORK_KUNIT_TEST=$(or $(CONFIG_NEURAL_NETWORK_KUNIT_TEST),y) modules
	$(SAMPLES_MAKE) modules
	$(KMOD_MAKE) modules

# Helpers the guest runs: static, since the guest borrows only the host's /usr.
build/guest/%: tools/testing/guest/%.c
	@mkdir -p $(@D)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

# samples/bpf/: a BPF program that calls the module's kfuncs (clang's BPF target; the
# UAPI headers of the machine's multiarch directory) and its loader (libbpf, static).
BPF_CFLAGS := -O2 -g -Wall -Werror -I/usr/include/$(shell $(CC) -dumpmachine)
build/guest/%.bpf.o: samples/bpf/%.bpf.c samples/bpf/*.h
	@mkdir -p $(@D)
	clang$(LLVM) -target bpf $(BPF_CFLAGS) -c -o $@ $<
build/guest/nn-bpf-predict: samples/bpf/nn_bpf_predict.c samples/bpf/nn_predict.h
	@mkdir -p $(@D)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $< -lbpf -lelf -lz

# tools/iopredict/: the I/O latency predictor's BPF program, on the kernel's own types
# (vmlinux.h from the test kernel's BTF; bookworm's bpftool prints anonymous members that
# need clang's -fms-extensions), its skeleton and its loader.
build/guest/vmlinux.h: $(KDIR)/vmlinux
	@mkdir -p $(@D)
	bpftool btf dump file $< format c >$@
build/guest/iopredict.bpf.o: tools/iopredict/iopredict.bpf.c tools/iopredict/iopredict.h \
		samples/bpf/neural_network.bpf.h build/guest/vmlinux.h
	clang$(LLVM) -target bpf $(BPF_CFLAGS) -fms-extensions -Wno-microsoft-anon-tag \
		-Wno-missing-declarations -Ibuild/guest -c -o $@ $<
build/guest/iopredict.skel.h: build/guest/iopredict.bpf.o
	bpftool gen skeleton $< name iopredict >$@
build/guest/nn-iopredict: tools/iopredict/iopredict.c tools/iopredict/iopredict.h \
		build/guest/iopredict.skel.h
	$(CC) -static -O2 -Wall -Wextra -Werror -Ibuild/guest -o $@ $< -lbpf -lelf -lz

modules: check-kdir modsrc
	$(KMAKE) modules
	$(SAMPLES_MAKE) modules

# With OUTDIR: the sources copied there, as the working tree has them (a file deleted but
# still in git's index left out); unchanged files keep their times, so that Kbuild rebuilds
# only what changed.
modsrc:
ifneq ($(OUTDIR),)
	@mkdir -p $(MODSRC)
	set -o pipefail; cd $(REPO) && \
	git ls-files -z --cached --others --exclude-standard -- \
		Kbuild rust include samples tools/testing/kmod | \
	while IFS= read -r -d '' f; do [ ! -e "$$f" ] || printf '%s\0' "$$f"; done | \
	tar --null -T - -cf - | tar -C $(MODSRC) -xf -
endif

check-kdir:
	@test -f $(KDIR)/Module.symvers || { \
		echo "No built kernel at KDIR=$(KDIR): run 'make setup', or pass KDIR=<your kernel build>"; \
		exit 1; }

clean:
	$(KMAKE) clean 2>/dev/null || true
	$(SAMPLES_MAKE) clean 2>/dev/null || true
	$(KMOD_MAKE) clean 2>/dev/null || true
	rm -rf target

# Packages, toolchain, kernel source and the cached test kernel (idempotent).
setup:
	$(REPO)/tools/testing/setup --flavor $(KFLAVOR)

kernel: setup

# check: what CI runs, within 30 minutes on 2 cores (testing.rst, "The time budget").
# check-full: every script on every topology and the long loops, before resolving an
# issue that touches placement or module lifetime.
check: setup
	$(REPO)/tools/testing/check

check-full: setup
	$(REPO)/tools/testing/check --full

# demo: the debug kernel if it is built, else the perf one (tools/testing/demo runs setup).
demo:
	$(REPO)/tools/testing/demo

# The I/O latency experiment (tools/iopredict; Documentation/neural_network/iopredict.rst):
# a guest with a null_blk device and fio, the BPF predictor asking the module about every
# I/O, models trained here (scikit-learn, the venv of make setup, or NN_PYTHON) and
# swapped in while the I/O runs; prints the table of accuracy and cost.
# IOPREDICT_ARGS: e.g. "--rounds 6 --seconds 30 --icount".
iopredict: setup nnctl
	$(or $(NN_PYTHON),$(or $(NN_CACHE_DIR),$(HOME)/.cache/neural_network)/venv/bin/python) \
		$(REPO)/tools/iopredict/experiment.py $(IOPREDICT_ARGS)

host-test:
	cargo test --manifest-path $(REPO)/Cargo.toml --workspace

# Fuzz the model parser, the decimal reader and the debugfs command grammars (tools/fuzz:
# cargo fuzz on stable Rust), each target FUZZ_SECONDS (default 600) from the committed
# corpus; testing.rst, "Fuzzing".
.PHONY: fuzz
fuzz:
	$(REPO)/tools/fuzz/run --seconds $(or $(FUZZ_SECONDS),600)

# The host tool (Documentation/neural_network/nnctl.rst): target/release/nnctl.
nnctl:
	cargo build --release --manifest-path $(REPO)/Cargo.toml -p nnctl

# The module's inference kernels timed on the host (tools/bench; performance.rst): a
# Markdown table on stdout and in build/bench/bench.md, the chart in build/bench/simd.svg;
# beside them onnxruntime on one thread (tools/bench/peer.py, in the venv of make setup,
# or NN_PYTHON), or a line saying why it is left out.
# Prints numbers, asserts nothing; not part of make check.
bench:
	cargo build --release --manifest-path $(REPO)/Cargo.toml -p nn-bench
	@mkdir -p $(REPO)/build/bench
	$(REPO)/target/release/nn-bench --table $(REPO)/build/bench/bench.md --svg $(REPO)/build/bench/simd.svg

# The in-guest benchmark (tools/testing/bench-guest; performance.rst): the perf kernel
# under qemu -icount, the module's debugfs bench file, instructions per prediction.
bench-guest:
	$(REPO)/tools/testing/bench-guest

rustfmt:
	rustfmt --edition 2021 $$(find $(REPO)/rust $(REPO)/samples $(REPO)/include -name '*.rs' -not -path '*/testdata/*' 2>/dev/null)
	cargo fmt --manifest-path $(REPO)/Cargo.toml --all
	cargo fmt --manifest-path $(REPO)/tools/fuzz/Cargo.toml --all

rustfmtcheck:
	rustfmt --check --edition 2021 $$(find $(REPO)/rust $(REPO)/samples $(REPO)/include -name '*.rs' -not -path '*/testdata/*' 2>/dev/null)
	cargo fmt --manifest-path $(REPO)/Cargo.toml --all -- --check
	cargo fmt --manifest-path $(REPO)/tools/fuzz/Cargo.toml --all -- --check

clippy: modsrc
	$(KMAKE) CLIPPY=1 modules
	$(SAMPLES_MAKE) CLIPPY=1 modules

help:
	@echo "make [KDIR=...]    build neural_network.ko (default KDIR: the cached test kernel)"
	@echo "make setup         install packages and toolchain, build the test kernel (cached)"
	@echo "make check         the tests CI runs (30 min): host, builds of the other options, clippy,"
	@echo "                   rustfmt, KUnit, guest on 1/2/16 nodes + asymmetric"
	@echo "make check-full    every guest script on every topology, 100 load cycles (over an hour)"
	@echo "make demo          the story in a 2-node guest: digits model, map, stats, migrate, C sample"
	@echo "make iopredict     the I/O latency experiment: BPF on the block layer, models trained and swapped in"
	@echo "make clippy        build with clippy; make rustfmt / rustfmtcheck"
	@echo "make nnctl         build the host tool target/release/nnctl"
	@echo "make bench         time the inference kernels on the host beside onnxruntime (tables + SVG in build/bench/)"
	@echo "make bench-guest   the module's debugfs bench in a perf-kernel guest under -icount"
	@echo "KFLAVOR=debug|perf the test kernel flavour (debug has KASAN, kmemleak, lockdep)"
	@echo "CONFIG_NEURAL_NETWORK_NUMA=y|n CONFIG_NEURAL_NETWORK_NUMA_DEBUG=y|n"
	@echo "CONFIG_NEURAL_NETWORK_KUNIT_TEST=y|n   the Kconfig options, for out-of-tree builds"
	@echo "OUTDIR=dir         build a copy of the sources in dir, leaving the tree's build alone"
