# SPDX-License-Identifier: GPL-2.0
# Host tests of tools/testing/vmtopology.py (run by tools/testing/check).

import pathlib
import unittest

import vmtopology as vt

HERE = pathlib.Path(__file__).resolve().parent


class UniformTests(unittest.TestCase):
    def test_two_nodes_default(self):
        t = vt.uniform(2)
        self.assertEqual([n.cpus for n in t.nodes], [[0], [1]])
        self.assertEqual(t.distances, [[10, 20], [20, 10]])
        self.assertEqual(t.mem_mb, 512)

    def test_cpus_spread_in_blocks_with_remainder_first(self):
        t = vt.uniform(3, cpus=7)
        self.assertEqual([n.cpus for n in t.nodes], [[0, 1, 2], [3, 4], [5, 6]])

    def test_fewer_cpus_than_nodes_leaves_cpuless_nodes(self):
        t = vt.uniform(16, cpus=8, mem_per_node=96)
        self.assertEqual(sum(1 for n in t.nodes if not n.cpus), 8)
        self.assertEqual(t.ncpus, 8)

    def test_node_count_limits(self):
        self.assertRaises(vt.TopologyError, vt.uniform, 0)
        self.assertRaises(vt.TopologyError, vt.uniform, 17)
        vt.uniform(16)
        vt.uniform(1)

    def test_distance_limits(self):
        self.assertRaises(vt.TopologyError, vt.uniform, 2, distance=10)
        self.assertRaises(vt.TopologyError, vt.uniform, 2, distance=255)
        vt.uniform(2, distance=254)


class ParseTests(unittest.TestCase):
    def test_asymmetric_example(self):
        t = vt.parse((HERE / "topologies" / "asymmetric.topo").read_text())
        self.assertEqual([n.cpus for n in t.nodes], [[0, 2], [], [1, 3], [4]])
        self.assertEqual([n.mem_mb for n in t.nodes], [320, 192, 256, 0])
        self.assertEqual(t.distances[0], [10, 16, 21, 31])

    def test_qemu_args_for_memoryless_and_cpuless_nodes(self):
        t = vt.parse("node 0 cpus=0-1 mem=256\nnode 1 cpus=- mem=128\nnode 2 cpus=2 mem=0\n")
        a = " ".join(t.qemu_args())
        self.assertIn("-smp 3,sockets=3,cores=1,threads=1 -m 384M", a)
        self.assertIn("-numa node,nodeid=0,cpus=0-1,memdev=mem0", a)
        self.assertIn("-numa node,nodeid=1,memdev=mem1", a)
        self.assertIn("-numa node,nodeid=2,cpus=2 ", a + " ")
        self.assertNotIn("mem2", a)
        self.assertIn("-numa dist,src=2,dst=1,val=20", a)

    def test_interleaved_cpus_become_separate_ranges(self):
        t = vt.parse("node 0 cpus=0,2 mem=256\nnode 1 cpus=1,3 mem=256\n")
        a = t.qemu_args()
        self.assertIn("node,nodeid=0,cpus=0,cpus=2,memdev=mem0", a)

    def test_missing_distances_default_to_20(self):
        t = vt.parse("node 0 cpus=0 mem=256\nnode 1 cpus=1 mem=256\n")
        self.assertEqual(t.distances, [[10, 20], [20, 10]])

    def test_errors_name_the_line(self):
        bad = {
            "node 1 cpus=0 mem=256\n": ":1: node 1 out of order",
            "node 0 cpus=0 mem=256\nnode 1 cpus=x mem=1\n": ":2: bad cpulist",
            "node 0 cpus=0 mem=256\nnodes 1\n": ":2: unknown keyword",
            "node 0 cpus=0 mem=256 color=red\n": ":1: unexpected 'color=red'",
            "node 0 cpus=0\n": ":1: missing mem",
        }
        for text, msg in bad.items():
            with self.assertRaises(vt.TopologyError) as cm:
                vt.parse(text, "t")
            self.assertIn(msg, str(cm.exception), text)

    def test_inconsistent_machines_are_refused(self):
        bad = {
            "node 0 cpus=- mem=256\n": "no node has CPUs",
            "node 0 cpus=0 mem=256\nnode 1 cpus=0 mem=256\n": "each on exactly one node",
            "node 0 cpus=1 mem=256\n": "CPU ids must be 0..0",
            "node 0 cpus=0 mem=0\nnode 1 cpus=1 mem=256\n": "node 0 needs",
            "node 0 cpus=0 mem=256\nnode 1 cpus=1 mem=256\ndistance 10 20\n": "2x2",
            "node 0 cpus=0 mem=256\nnode 1 cpus=1 mem=256\ndistance 10 20\ndistance 20 11\n":
                "distance 1->1 is 11",
            "node 0 cpus=0 mem=256\nnode 1 cpus=1 mem=256\ndistance 10 5\ndistance 20 10\n":
                "distance 0->1 is 5",
        }
        for text, msg in bad.items():
            with self.assertRaises(vt.TopologyError) as cm:
                vt.parse(text, "t")
            self.assertIn(msg, str(cm.exception), text)

    def test_sixteen_nodes_from_a_file(self):
        lines = [f"node {i} cpus={i} mem=64" for i in range(16)]
        t = vt.parse("\n".join(lines))
        self.assertEqual(len(t.nodes), 16)
        lines.append("node 16 cpus=16 mem=64")
        self.assertRaises(vt.TopologyError, vt.parse, "\n".join(lines))

    def test_cpulist(self):
        self.assertEqual(vt.parse_cpulist("0-2,5"), [0, 1, 2, 5])
        self.assertEqual(vt.parse_cpulist("-"), [])
        self.assertRaises(vt.TopologyError, vt.parse_cpulist, "3-1")
        self.assertRaises(vt.TopologyError, vt.parse_cpulist, "1,1")


if __name__ == "__main__":
    unittest.main()
