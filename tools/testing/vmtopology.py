# SPDX-License-Identifier: GPL-2.0
"""NUMA topologies for tools/testing/run-vm, and the QEMU arguments that build them.

A topology is a list of nodes (each with a set of CPU ids and an amount of memory) and a
distance matrix. It comes either from --nodes/--cpus/--mem-per-node/--distance or from a
topology file:

    # comments and blank lines are ignored
    node 0 cpus=0-1 mem=512     # CPUs as a cpulist, memory in MiB
    node 1 cpus=2,3 mem=256
    node 2 cpus=- mem=256       # '-' (or nothing after cpus=): a node without CPUs
    node 3 cpus=4 mem=0         # mem=0: a node without memory
    distance 10 20 30 30        # one row per node, in node order (optional: without
    distance 20 10 30 30        # rows, every remote distance is 20)
    distance 30 30 10 20
    distance 30 30 20 10

Rules, checked with a message that names the line: nodes are numbered 0..N-1 in order,
1 <= N <= 16; CPU ids are 0..C-1 with each on exactly one node, C <= 64; at least one node
has CPUs and node 0 has memory (Linux boots from it); distances are 10 on the diagonal and
11..254 elsewhere (ACPI SLIT values).
"""

import dataclasses

MAX_NODES = 16
MAX_CPUS = 64  # CONFIG_NR_CPUS of the test kernel
LOCAL_DISTANCE = 10
DEFAULT_REMOTE_DISTANCE = 20


class TopologyError(ValueError):
    """A topology that cannot be built, with the reason."""


@dataclasses.dataclass
class Node:
    cpus: list
    mem_mb: int


@dataclasses.dataclass
class Topology:
    nodes: list
    distances: list

    @property
    def ncpus(self):
        return sum(len(n.cpus) for n in self.nodes)

    @property
    def mem_mb(self):
        return sum(n.mem_mb for n in self.nodes)

    def validate(self):
        n = len(self.nodes)
        if not 1 <= n <= MAX_NODES:
            raise TopologyError(f"{n} nodes: between 1 and {MAX_NODES} are supported")
        cpus = sorted(c for node in self.nodes for c in node.cpus)
        if not cpus:
            raise TopologyError("no node has CPUs")
        if cpus != list(range(len(cpus))):
            raise TopologyError(
                f"CPU ids must be 0..{len(cpus) - 1}, each on exactly one node (got {cpus})")
        if len(cpus) > MAX_CPUS:
            raise TopologyError(f"{len(cpus)} CPUs: at most {MAX_CPUS} are supported")
        for i, node in enumerate(self.nodes):
            if node.mem_mb < 0:
                raise TopologyError(f"node {i}: negative memory")
        if self.nodes[0].mem_mb < 64:
            raise TopologyError("node 0 needs at least 64 MiB of memory: Linux boots from it")
        if len(self.distances) != n or any(len(row) != n for row in self.distances):
            raise TopologyError(f"the distance matrix must be {n}x{n}")
        for i, row in enumerate(self.distances):
            for j, d in enumerate(row):
                if i == j and d != LOCAL_DISTANCE:
                    raise TopologyError(f"distance {i}->{i} is {d}: it must be {LOCAL_DISTANCE}")
                if i != j and not LOCAL_DISTANCE < d <= 254:
                    raise TopologyError(f"distance {i}->{j} is {d}: it must be 11..254")
        return self

    def qemu_args(self):
        """The -smp, -m, -object, -numa arguments for this topology."""
        # One socket a CPU: CPUs that share a socket (and LLC) must share a node, or the
        # kernel WARNs in topology_sane(); with interleaved CPU ids no other layout works.
        n = self.ncpus
        args = ["-smp", f"{n},sockets={n},cores=1,threads=1", "-m", f"{self.mem_mb}M"]
        for i, node in enumerate(self.nodes):
            spec = f"node,nodeid={i}"
            for lo, hi in _ranges(node.cpus):
                spec += f",cpus={lo}" if lo == hi else f",cpus={lo}-{hi}"
            if node.mem_mb:
                args += ["-object", f"memory-backend-ram,id=mem{i},size={node.mem_mb}M"]
                spec += f",memdev=mem{i}"
            args += ["-numa", spec]
        for i, row in enumerate(self.distances):
            for j, d in enumerate(row):
                if i != j:
                    args += ["-numa", f"dist,src={i},dst={j},val={d}"]
        return args

    def describe(self):
        parts = []
        for i, node in enumerate(self.nodes):
            cpus = ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in _ranges(node.cpus))
            parts.append(f"node{i}[cpus={cpus or '-'} mem={node.mem_mb}M]")
        return " ".join(parts)


def _ranges(ids):
    ids = sorted(ids)
    out = []
    for c in ids:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return [tuple(r) for r in out]


def parse_cpulist(text):
    """'0-2,5' -> [0, 1, 2, 5]; '' or '-' -> []."""
    text = text.strip()
    if text in ("", "-"):
        return []
    cpus = []
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        try:
            lo = int(lo)
            hi = int(hi) if sep else lo
        except ValueError:
            raise TopologyError(f"bad cpulist '{text}'") from None
        if lo < 0 or hi < lo:
            raise TopologyError(f"bad cpulist '{text}'")
        cpus.extend(range(lo, hi + 1))
    if len(set(cpus)) != len(cpus):
        raise TopologyError(f"cpulist '{text}' names a CPU twice")
    return cpus


def uniform(nodes, cpus=None, mem_per_node=None, distance=DEFAULT_REMOTE_DISTANCE):
    """N nodes, C CPUs in contiguous blocks (the first C nodes get one each if C < N)."""
    if not 1 <= nodes <= MAX_NODES:
        raise TopologyError(f"--nodes {nodes}: between 1 and {MAX_NODES} are supported")
    if cpus is None:
        cpus = max(2, min(nodes, 8))
    if mem_per_node is None:
        mem_per_node = 256 if nodes <= 4 else 128
    if cpus < 1:
        raise TopologyError("--cpus must be at least 1")
    per, extra = divmod(cpus, nodes)
    node_list, next_cpu = [], 0
    for i in range(nodes):
        k = per + (1 if i < extra else 0)
        node_list.append(Node(list(range(next_cpu, next_cpu + k)), mem_per_node))
        next_cpu += k
    dist = [[LOCAL_DISTANCE if i == j else distance for j in range(nodes)] for i in range(nodes)]
    return Topology(node_list, dist).validate()


def parse(text, name="<topology>"):
    """Parses a topology file (format in the module docstring)."""
    nodes, rows = [], []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{name}:{lineno}"
        words = line.split()
        if words[0] == "node":
            if len(words) < 2 or not words[1].isdigit():
                raise TopologyError(f"{where}: expected 'node <id> cpus=<list> mem=<MiB>'")
            if int(words[1]) != len(nodes):
                raise TopologyError(f"{where}: node {words[1]} out of order (expected {len(nodes)})")
            fields = {}
            for w in words[2:]:
                key, sep, value = w.partition("=")
                if not sep or key not in ("cpus", "mem") or key in fields:
                    raise TopologyError(f"{where}: unexpected '{w}'")
                fields[key] = value
            if "mem" not in fields:
                raise TopologyError(f"{where}: missing mem=<MiB>")
            try:
                mem = int(fields["mem"])
            except ValueError:
                raise TopologyError(f"{where}: bad mem '{fields['mem']}'") from None
            try:
                cpus = parse_cpulist(fields.get("cpus", ""))
            except TopologyError as e:
                raise TopologyError(f"{where}: {e}") from None
            nodes.append(Node(cpus, mem))
        elif words[0] == "distance":
            try:
                rows.append([int(w) for w in words[1:]])
            except ValueError:
                raise TopologyError(f"{where}: distances must be integers") from None
        else:
            raise TopologyError(f"{where}: unknown keyword '{words[0]}'")
    if not nodes:
        raise TopologyError(f"{name}: no nodes")
    if not rows:
        n = len(nodes)
        rows = [[LOCAL_DISTANCE if i == j else DEFAULT_REMOTE_DISTANCE for j in range(n)]
                for i in range(n)]
    try:
        return Topology(nodes, rows).validate()
    except TopologyError as e:
        raise TopologyError(f"{name}: {e}") from None
