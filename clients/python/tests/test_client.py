import math
import socket
import struct
import zlib

import numpy as np
import pytest

import reef
from conftest import Server


def blobs(n_per, dim, centers, seed=0, scale=0.05):
    rng = np.random.default_rng(seed)
    parts = [c + scale * rng.standard_normal((n_per, dim)) for c in centers]
    return np.vstack(parts).astype(np.float32)


def test_upsert_export_round_trip(client, ds):
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((300, 16)).astype(np.float32)
    ids = [f"p{i:04d}" for i in range(300)]
    meta = [{"label": ["cat", "dog", "猫"][i % 3], "i": i, "big": 2**62 + i, "x": i / 7, "ok": i % 2 == 0,
             "tags": ["a", str(i)], "missing": float("nan") if i % 5 == 0 else None, "np": np.int16(i)} for i in range(300)]
    res = client.upsert(ds, "emb", ids, vecs, metadata=meta)
    assert res["upserted"] == 300 and res["seq"] > 0
    got_ids, got_vecs, got_meta = client.export(ds, "emb")
    assert got_ids == ids  # id order, which these ids already have
    assert got_vecs.dtype == np.float32 and np.array_equal(got_vecs, vecs)
    want = [{k: (int(v) if isinstance(v, np.integer) else v) for k, v in m.items() if v is not None and not
             (isinstance(v, float) and math.isnan(v))} for m in meta]
    assert got_meta == want
    info = client.dataset(ds)
    assert info["points"] == 300 and [s["name"] for s in info["spaces"]] == ["emb"]
    assert any(d["name"] == ds for d in client.datasets())


def test_upsert_in_many_batches_and_replace(client, ds):
    client.batch_bytes = 1000 * 8 * 4  # 1000 rows of 8 floats a batch
    vecs = np.random.default_rng(2).standard_normal((4500, 8))  # float64 in: sent as float32
    ids = np.arange(4500)
    res = client.upsert(ds, "v", ids, vecs, metadata=[{"n": int(i)} for i in ids])
    assert res["upserted"] == 4500
    assert client.dataset(ds)["points"] == 4500
    # Upserting again replaces vectors and metadata, and adds no points.
    client.upsert(ds, "v", ids[:10], -vecs[:10], metadata=[{"n": -1}] * 10)
    got_ids, got_vecs, got_meta = client.export(ds, "v")
    pos = {id_: i for i, id_ in enumerate(got_ids)}
    assert len(got_ids) == 4500
    assert np.array_equal(got_vecs[pos["3"]], (-vecs[3]).astype(np.float32)) and got_meta[pos["3"]] == {"n": -1}
    assert got_meta[pos["4000"]] == {"n": 4000}


def test_search_similar_feedback(client, ds):
    centers = np.eye(8)[:3] * 3
    vecs = blobs(50, 8, centers)
    ids = [f"{c}-{i}" for c in "abc" for i in range(50)]
    client.upsert(ds, "e", ids, vecs, metadata=[{"blob": i[0]} for i in ids], metric="l2")
    r = client.search(ds, "e", id="a-0", k=10)
    assert len(r) == 10 and "a-0" not in r.ids and all(h.id.startswith("a-") for h in r)
    assert all(h.metadata["blob"] == "a" for h in r) and r.hits == sorted(r.hits, key=lambda h: h.distance)
    r = client.search(ds, "e", vector=centers[1], k=5, filter={"metadata.blob": "b"})
    assert [h.id[0] for h in r] == ["b"] * 5
    r = client.search(ds, "e", vector=centers[1], k=5, filter={"metadata.blob": "c"})
    assert [h.id[0] for h in r] == ["c"] * 5
    r = client.similar(ds, "e", positives=["a-1", "b-1"], negatives=["c-1"], k=20)
    assert len(r) == 20 and not any(h.id.startswith("c-") for h in r)
    r = client.similar(ds, "e", positives=[centers[2]], feedback={"accept": ["c-3"], "reject": ["a-3"]}, k=10)
    assert all(h.id.startswith("c-") for h in r)
    with pytest.raises(reef.ReefError) as e:
        client.search(ds, "e", id="a-0", vector=centers[0])
    assert e.value.field == "vector" and e.value.status is None


def test_outliers_clusters_duplicates(client, ds):
    centers = np.eye(6)[:3] * 4
    vecs = blobs(60, 6, centers, seed=3)
    vecs = np.vstack([vecs, np.full((1, 6), 20, np.float32), vecs[:1]])  # a far point and a copy of row 0
    ids = [f"r{i}" for i in range(len(vecs) - 2)] + ["far", "copy"]
    labels = [["x", "y", "z"][i // 60] if i < 180 else "odd" for i in range(len(vecs))]
    client.upsert(ds, "e", ids, vecs, metadata=[{"label": l} for l in labels], metric="l2")
    o = client.outliers(ds, "e", k=5, limit=3)
    assert o.outliers[0].id == "far" and o.outliers[0].percentile >= 99 and o.points == 182
    c = client.clusters(ds, "e", k=4, summary_fields=["label"], seed=1)
    sizes = sorted(cl.size for cl in c.clusters)
    assert len(c) == 4 and sizes == [1, 60, 60, 61]  # the far point alone; the copy joins its original's blob
    for cl in c:  # each cluster is one label (plus "odd" for the copy), as its summary says
        top = max(cl.summary["label"].items(), key=lambda kv: kv[1])
        assert top[1] == (1 if cl.size == 1 else 60)
    d = client.duplicates(ds, "e", threshold=1e-6)
    assert [sorted(g.members) for g in d.groups] == [["copy", "r0"]]


def test_compare_and_view(client, ds):
    rng = np.random.default_rng(4)
    a, b, same = ds + "-a", ds + "-b", ds + "-same"
    train = rng.standard_normal((300, 8)).astype(np.float32)
    test = (rng.standard_normal((200, 8)) + np.r_[2.0, np.zeros(7)]).astype(np.float32)
    twin = rng.standard_normal((200, 8)).astype(np.float32)
    lab = lambda n: [{"label": "p" if i % 2 else "q"} for i in range(n)]
    client.upsert(a, "e", [f"a{i}" for i in range(300)], train, metadata=lab(300))
    client.upsert(b, "e", [f"b{i}" for i in range(200)], test, metadata=lab(200))
    client.upsert(same, "e", [f"s{i}" for i in range(200)], twin, metadata=lab(200))
    diff = client.compare("e", a, b, group_by="label", seed=1)
    assert diff.significant and diff.p_value < 0.01 and diff.size_a == 300 and diff.size_b == 200
    assert {g.get("group") for g in diff.groups} == {"p", "q"}
    alike = client.compare("e", a, same, seed=1)
    assert not alike.significant and alike.effect_size < diff.effect_size
    v = client.view(a, "e", with_=b, color="label")  # the overlay counts both datasets
    assert v.count == 500 and v.url.startswith(client.url + "/#ds=") and "with=" in v.url and "label" in v.fields


def test_errors_carry_status_code_field(client, ds):
    client.upsert(ds, "e", ["a", "b"], np.ones((2, 4)))
    with pytest.raises(reef.ReefError) as e:
        client.upsert(ds, "e", ["c"], np.ones((1, 5)), create=False)
    assert (e.value.status, e.value.code, e.value.field) == (400, "dimension_mismatch", "vectors")
    with pytest.raises(reef.ReefError) as e:
        client.search(ds + "-nope", "e", id="a")
    assert (e.value.status, e.value.code) == (404, "not_found")
    with pytest.raises(reef.ReefError) as e:
        client.upsert(ds, "e", ["a", "a"], np.ones((2, 4)))
    assert e.value.status == 400 and e.value.field == "ids[1]"
    with pytest.raises(reef.ReefError) as e:
        client.upsert(ds, "e", ["z"], np.zeros((1, 4)))  # zero vector under cosine
    assert e.value.status == 400 and e.value.field.startswith("vectors[0]")
    with pytest.raises(reef.ReefError) as e:
        client.upsert(ds, "e", ["a", "b", "c"], np.ones((2, 4)))
    assert (e.value.status, e.value.field) == (None, "ids")
    with pytest.raises(reef.ReefError) as e:
        client.upsert(ds, "e", ["a"], np.ones((1, 4)), metadata=[{"id": 3}])
    assert e.value.field == "metadata"


def test_keys(keyed_server):
    with pytest.raises(reef.ReefError) as e:
        reef.Client(keyed_server.url).datasets()
    assert (e.value.status, e.value.code) == (401, "unauthorized")
    admin, read = reef.Client(keyed_server.url, key="admin-secret"), reef.Client(keyed_server.url, key="read-secret")
    admin.upsert("k", "e", ["a", "b"], np.eye(2, 3))
    assert read.search("k", "e", id="a", k=1).ids == ["b"]
    with pytest.raises(reef.ReefError) as e:
        read.upsert("k", "e", ["c"], np.ones((1, 3)), create=False)
    assert (e.value.status, e.value.code) == (403, "forbidden")


def test_too_large_is_413_naming_the_limit(tmp_path):
    s = Server(str(tmp_path), "--max-upload", str(1 << 20))
    try:
        c = reef.Client(s.url)
        c.batch_bytes = 8 << 20
        with pytest.raises(reef.ReefError) as e:
            c.upsert("big", "e", np.arange(4000), np.ones((4000, 512)))
        assert (e.value.status, e.value.code, e.value.field) == (413, "body_too_large", "body")
        assert "1.0 MiB" in e.value.message
        c.batch_bytes = 512 << 10  # under the limit: the same call works
        assert c.upsert("big", "e", np.arange(4000), np.ones((4000, 512)))["upserted"] == 4000
    finally:
        s.stop()


def test_to_pandas_and_dataframe_metadata(client, ds):
    pd = pytest.importorskip("pandas", reason="python3-pandas is not installed: .to_pandas() and DataFrame metadata untested")
    df = pd.DataFrame({"label": ["a", "b", None], "score": [0.5, float("nan"), 2.0], "n": [1, 2, 3]})
    client.upsert(ds, "e", ["x", "y", "z"], np.eye(3), metadata=df)
    _, _, meta = client.export(ds, "e")
    assert meta == [{"label": "a", "score": 0.5, "n": 1}, {"label": "b", "n": 2}, {"score": 2.0, "n": 3}]
    hits = client.search(ds, "e", id="x", k=2).to_pandas()
    assert list(hits["id"]) and "metadata.n" in hits.columns and "distance" in hits.columns
    assert len(client.outliers(ds, "e", k=1, limit=3).to_pandas()) == 3
    clusters = client.clusters(ds, "e", k=3, summary_fields=["label"], seed=1).to_pandas()
    assert sorted(clusters["size"]) == [1, 1, 1] and "summary.label" in clusters.columns
    client.upsert(ds, "e", ["x2"], np.eye(3)[:1], metadata=[{"label": "a"}])  # a duplicate of x
    dups = client.duplicates(ds, "e", threshold=1e-6).to_pandas()
    assert sorted(dups["id"]) == ["x", "x2"] and set(dups["group"]) == {0}
    other = ds + "-other"
    client.upsert(other, "e", ["u", "v", "w"], np.eye(3) + 0.01, metadata=[{"label": "a"}, {"label": "b"}, {"label": "b"}])
    groups = client.compare("e", ds, other, group_by="label", permutations=50, k=1).to_pandas()
    assert {"group", "count_a", "count_b"} <= set(groups.columns) and set(groups["group"]) >= {"a", "b"}


def _png(path, rgb):
    """A 64×64 solid-colour PNG, written with zlib alone."""
    raw = b"".join(b"\x00" + bytes(rgb) * 64 for _ in range(64))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def test_ingest_images(client, ds, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    paths = [_png(tmp_path / "a" / "x.png", (250, 10, 10)), _png(tmp_path / "b" / "x.png", (10, 10, 250)),
             tmp_path / "broken.png"]
    paths[2].write_bytes(b"not a png")
    try:
        r = client.ingest_images(ds, paths, metadata=[{"colour": "red"}, {"colour": "blue"}, {}])
    except reef.ReefError as e:
        if e.status != 503:
            raise
        pytest.skip(f"the server cannot embed images ({e}); make setup builds the model, or set REEF_MODELS and REEF_ORT_LIB")
    assert r["upserted"] == 2 and len(r["failed"]) == 1 and r["dim"] > 0
    hit = client.search(ds, r["space"], id=str(paths[0]), k=1).hits[0]
    assert hit.id == str(paths[1]) and hit.metadata == {"colour": "blue"}


def test_cli_import_with_metadata_file(server, client, ds, tmp_path):
    """`reef import x.npy --ids --metadata meta.csv|meta.jsonl`, keyed by id or by row."""
    import json
    import subprocess

    from conftest import reef_binary

    vecs = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    np.save(tmp_path / "emb.npy", vecs)
    (tmp_path / "ids.json").write_text(json.dumps(["a", "b", "c", "d"]))
    (tmp_path / "meta.csv").write_text("id,label,score\nd,dog,0.5\na,cat,1\n")
    (tmp_path / "meta.jsonl").write_text('{"tags":["x"]}\n{}\n{"n":3}\n{"n":4}\n')
    want = {"meta.csv": [{"label": "cat", "score": 1}, {}, {}, {"label": "dog", "score": 0.5}],
            # the same points again: given metadata replaces what is stored, an empty row keeps it
            "meta.jsonl": [{"tags": ["x"]}, {}, {"n": 3}, {"n": 4}]}
    for name, space in (("meta.csv", "e"), ("meta.jsonl", "f")):
        subprocess.run([reef_binary(), "import", str(tmp_path / "emb.npy"), "--ids", str(tmp_path / "ids.json"),
                        "--metadata", str(tmp_path / name), "--dataset", ds, "--space", space, "--create",
                        "--server", server.url], check=True, capture_output=True)
        ids, got, meta = client.export(ds, space)
        assert ids == ["a", "b", "c", "d"] and np.array_equal(got, vecs)
        assert meta == want[name], name
    bad = subprocess.run([reef_binary(), "import", str(tmp_path / "emb.npy"), "--ids", str(tmp_path / "ids.json"),
                          "--metadata", str(tmp_path / "ids.json"), "--dataset", ds, "--space", "e",
                          "--server", server.url], capture_output=True, text=True)
    assert bad.returncode != 0 and "metadata" in bad.stderr


def test_stale_keepalive_connection_is_retried(client, ds):
    client.upsert(ds, "e", ["a", "b"], np.eye(2, 3))
    client._t._conn().sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed the idle connection
    assert client.upsert(ds, "e", ["c"], np.ones((1, 3)))["upserted"] == 1
    client._t._conn().sock.shutdown(socket.SHUT_RDWR)
    assert client.search(ds, "e", id="a", k=2).ids


def test_unreachable_server_is_a_reef_error():
    with pytest.raises(reef.ReefError) as e:
        reef.Client("http://127.0.0.1:9").datasets()
    assert e.value.status is None and "cannot reach reef" in e.value.message
