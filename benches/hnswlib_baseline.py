"""hnswlib baseline for `cargo bench -p webplus --bench vector_index` (driven by benches/vector_index/baseline.rs).

Reads the files the Rust benchmark wrote (raw little-endian f32 vectors, u32 ground truth ids),
builds an hnswlib index with the same M / ef_construction, then answers commands on stdin, one per
line, with one JSON object per line on stdout:

    search EF   -> {"ef": EF, "recall": r, "qps": per-call, "qps_batch": one batch call}
    quit

Queries run on one thread (`set_num_threads(1)`), one `knn_query` call per query like our
`VectorIndex::search`; "qps_batch" is one `knn_query` call with all queries (still one thread),
which leaves out Python's per-call overhead. Space "ip" is 1 - dot, our distance on unit vectors.
"""

import argparse
import importlib.metadata
import json
import sys
import time

import hnswlib
import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--dims", type=int, required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--m", type=int, required=True)
    p.add_argument("--ef-construction", type=int, required=True)
    p.add_argument("--build-threads", type=int, required=True)
    a = p.parse_args()

    base = np.fromfile(f"{a.dir}/base.f32", dtype="<f4").reshape(-1, a.dims)
    queries = np.fromfile(f"{a.dir}/queries.f32", dtype="<f4").reshape(-1, a.dims)
    truth = np.fromfile(f"{a.dir}/truth.u32", dtype="<u4").reshape(len(queries), -1)[:, : a.k]

    index = hnswlib.Index(space="ip", dim=a.dims)
    index.init_index(max_elements=len(base), ef_construction=a.ef_construction, M=a.m, random_seed=100)
    t = time.perf_counter()
    index.add_items(base, np.arange(len(base)), num_threads=a.build_threads)
    reply({"build_s": time.perf_counter() - t, "version": importlib.metadata.version("hnswlib")})

    index.set_num_threads(1)
    for line in sys.stdin:
        cmd = line.split()
        if cmd[:1] == ["quit"]:
            break
        ef = int(cmd[1])
        index.set_ef(ef)
        found = np.empty_like(truth)
        t = time.perf_counter()
        for i, q in enumerate(queries):
            labels, _ = index.knn_query(q, k=a.k)
            found[i] = labels[0]
        qps = len(queries) / (time.perf_counter() - t)
        t = time.perf_counter()
        index.knn_query(queries, k=a.k, num_threads=1)
        qps_batch = len(queries) / (time.perf_counter() - t)
        hits = sum(len(np.intersect1d(f, g)) for f, g in zip(found, truth))
        reply({"ef": ef, "recall": hits / truth.size, "qps": qps, "qps_batch": qps_batch})


def reply(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


if __name__ == "__main__":
    main()
