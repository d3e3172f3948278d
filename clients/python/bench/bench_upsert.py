"""Python client upsert with metadata vs the CLI's `reef import` of the same
.npy, on one fresh server, in one run.

    /usr/bin/python3 clients/python/bench/bench_upsert.py [--rows 60000] [--repeat 1]

Fashion-MNIST train (60,000 × 784 float32 pixels in [0, 1], from Debian's
dataset-fashion-mnist) into an l2 space: the CLI imports emb.npy + ids.json
(no metadata: it is the fast path the issue measures against); the client
upserts the same array with two metadata fields a row (label, split).
Prints seconds for each and their ratio (target: client ≤ 2× CLI)."""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import reef  # noqa: E402
from conftest import Server, reef_binary  # noqa: E402

FMNIST = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    X = (idx(f"{FMNIST}/train-images-idx3-ubyte.gz").reshape(-1, 784)[:args.rows] / 255.0).astype(np.float32)
    y = idx(f"{FMNIST}/train-labels-idx1-ubyte.gz")[:args.rows]
    ids = [f"train-{i}" for i in range(len(X))]
    meta = [{"label": CLASSES[c], "split": "train"} for c in y]
    tmp = tempfile.mkdtemp(prefix="reef-bench-")
    np.save(os.path.join(tmp, "emb.npy"), X)
    with open(os.path.join(tmp, "ids.json"), "w") as f:
        json.dump(ids, f)
    srv = Server(tmp)
    try:
        c = reef.Client(srv.url)
        cli, py = [], []
        for r in range(args.repeat):
            t = time.perf_counter()
            subprocess.run([reef_binary(), "import", os.path.join(tmp, "emb.npy"), "--ids", os.path.join(tmp, "ids.json"),
                            "--dataset", f"cli{r}", "--space", "px", "--create", "--metric", "l2", "--server", srv.url],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cli.append(time.perf_counter() - t)
            t = time.perf_counter()
            res = c.upsert(f"py{r}", "px", ids, X, metadata=meta, metric="l2")
            py.append(time.perf_counter() - t)
            assert res["upserted"] == len(X), res
            assert c.dataset(f"cli{r}")["points"] == c.dataset(f"py{r}")["points"] == len(X)
            print(f"run {r}: cli import {cli[-1]:.2f} s, python upsert with metadata {py[-1]:.2f} s, ratio {py[-1] / cli[-1]:.2f}")
        _, _, got = c.export("py0", "px")
        assert got[0] == meta[0], got[0]
        b, a = min(cli), min(py)
        print(f"{len(X)} x {X.shape[1]}: cli {b:.2f} s ({len(X) / b:.0f} rows/s), python {a:.2f} s "
              f"({len(X) / a:.0f} rows/s), ratio python/cli {a / b:.2f} (best of {args.repeat})")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
