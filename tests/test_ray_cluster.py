"""Batches on a two-node Ray cluster (ray.cluster_utils.Cluster: two nodes of one CPU each, one
batch worker on each): the rows are the local executor's, byte for byte."""

from __future__ import annotations

import pytest

from .test_ray_executor import _generate, _rows_hash

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def two_nodes():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_two_nodes_make_the_rows_one_process_makes(tmp_path, scripted_server, two_nodes, monkeypatch):
    import synthloom.generate.ray_executor as executor

    nodes = []
    original = executor.RayRunner.__init__

    def remember(self, local, cache, workers):  # where the run's workers were placed
        nodes.extend(ray.get([w.node.remote() for w in workers]))
        original(self, local, cache, workers)

    monkeypatch.setattr(executor.RayRunner, "__init__", remember)
    server = scripted_server(latency_s=0.01)
    local = _generate(server, tmp_path, "local", 28, 4, "local")
    on_two = _generate(server, tmp_path, "two", 28, 4, "ray", workers=2)
    assert len(nodes) == 2 and len(set(nodes)) == 2  # one worker on each node
    assert _rows_hash(on_two) == _rows_hash(local)
