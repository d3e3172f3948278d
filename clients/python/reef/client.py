"""reef.Client: one object per server."""

import io
import json
import os
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import encode
from .errors import ReefError, invalid
from .results import (ClusterResult, CompareResult, DuplicateResult, OutlierResult, SearchResult, View)
from .transport import Transport


def _q(name):
    return urllib.parse.quote(str(name), safe="")


def _drop_none(d):
    return {k: v for k, v in d.items() if v is not None}


def _target(t):
    """A positive/negative/feedback entry: an id, a vector, or a dict as is."""
    if isinstance(t, dict):
        return t
    if isinstance(t, str):
        return {"id": t}
    if isinstance(t, (np.ndarray, list, tuple)):
        return {"vector": np.asarray(t, dtype=np.float64).ravel().tolist()}
    return {"id": str(t)}


class Client:
    """A reef server at url (e.g. "http://127.0.0.1:7370"); key is the admin
    or read API key when the server has keys.

    Every method raises ReefError when reef refuses the call (with the
    HTTP status, the error code and the field the server named)."""

    #: upsert sends batches of about this many bytes of vectors; the engine
    #: commits them in transactions of 4096 rows either way.
    batch_bytes = 16 << 20

    def __init__(self, url="http://127.0.0.1:7370", key=None, timeout=600.0):
        self._t = Transport(url, key=key, timeout=timeout)
        self.url = self._t.url

    def close(self):
        self._t.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def health(self):
        return self._t.json("GET", "/v1/health")

    # --- datasets and spaces ---

    def datasets(self):
        """Every dataset with its counts (list of dicts)."""
        r = self._t.json("GET", "/v1/datasets")
        return r.get("datasets", r) if isinstance(r, dict) else r

    def dataset(self, name):
        """One dataset with its spaces (dict)."""
        return self._t.json("GET", f"/v1/datasets/{_q(name)}")

    def create_dataset(self, name, exist_ok=True):
        try:
            return self._t.json("POST", "/v1/datasets", {"name": name})
        except ReefError as e:
            if exist_ok and e.code == "exists":
                return self.dataset(name)
            raise

    def delete_dataset(self, name):
        return self._t.json("DELETE", f"/v1/datasets/{_q(name)}")

    def spaces(self, dataset):
        return self.dataset(dataset).get("spaces") or []

    def create_space(self, dataset, name, dim, metric="cosine", index=None, exist_ok=True):
        spec = _drop_none({"name": name, "dim": int(dim), "metric": metric, "index": index})
        try:
            return self._t.json("POST", f"/v1/datasets/{_q(dataset)}/spaces", spec)
        except ReefError as e:
            if exist_ok and e.code == "exists":
                for s in self.spaces(dataset):
                    if s.get("name") == name:
                        if s.get("dim") != int(dim):
                            raise ReefError(f"space {name!r} exists with dim {s.get('dim')}, not {dim}",
                                            status=e.status, code="dimension_mismatch", field="vectors") from e
                        return s
            raise

    # --- writing ---

    def upsert(self, dataset, space, ids, vectors, metadata=None, metric="cosine", create=True):
        """Store vectors (an (N, D) array) under ids, with metadata (a list of N
        dicts, or a DataFrame of N rows; NaN and None mean "no field").

        Sends binary batches (.npy vectors, JSON ids, JSON-lines metadata)
        through the import route; each batch is validated whole before it is
        written. With create, the dataset and the space (dim from vectors,
        metric) are created when missing. Existing points keep their other
        spaces; their metadata is replaced by the row given, except that a
        row with no fields (or no metadata at all) keeps what is stored.
        Returns {"upserted": N, "seq": last sequence number}."""
        a = encode.as_matrix(vectors)
        n, dim = a.shape
        ids = encode.as_ids(ids, n)
        rows = encode.records(metadata, n)
        if n == 0:
            raise invalid("vectors", "no rows to upsert")
        if create:
            self.create_dataset(dataset)
            self.create_space(dataset, space, dim, metric=metric)
        step = max(1, self.batch_bytes // max(1, dim * 4))
        path = f"/v1/datasets/{_q(dataset)}/import"

        def body(lo):
            hi = min(lo + step, n)
            files = [("vectors", "vectors.npy", encode.npy_bytes(a[lo:hi]), "application/x-npy"),
                     ("ids", "ids.json", json.dumps(ids[lo:hi]).encode(), "application/json")]
            if rows is not None:
                files.append(("metadata", "metadata.jsonl", encode.jsonl(rows[lo:hi]), "application/x-ndjson"))
            return files

        total, seq = 0, None
        # Build the next batch while the server stores this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            nxt = pool.submit(body, 0)
            for lo in range(0, n, step):
                files = nxt.result()
                if lo + step < n:
                    nxt = pool.submit(body, lo + step)
                try:
                    r = self._t.multipart(path, {"space": space}, files)
                except ReefError as e:
                    if lo:
                        e.message = f"rows {lo}..{min(lo + step, n) - 1} (rows before {lo} are stored): {e.message}"
                        e.args = (e.message,)
                    raise
                total += r.get("upserted", 0)
                seq = r.get("seq", seq)
        return {"upserted": total, "seq": seq}

    def ingest_images(self, dataset, paths, metadata=None, ids=None, model=None, detect=False, batch=64):
        """Embed image files with a server-side model and store them.

        metadata: a list aligned with paths, or a dict path → dict; ids
        likewise (default: the path as given). Returns {"upserted", "space",
        "dim", "failed": [...]} summed over batches."""
        paths = [os.fspath(p) for p in paths]
        self.create_dataset(dataset)
        metadata = self._by_path(paths, metadata, "metadata")
        ids = self._by_path(paths, ids, "ids") or {}
        out = {"upserted": 0, "space": None, "dim": None, "seq": None, "failed": []}
        for lo in range(0, len(paths), batch):
            files, id_map, meta_map = [], {}, {}
            for i in range(lo, min(lo + batch, len(paths))):
                p = paths[i]
                # Unique part names: the server keys by base name only.
                name = f"{i}_{os.path.basename(p)}"
                with open(p, "rb") as f:
                    files.append(("images", name, f.read(), "application/octet-stream"))
                id_map[name] = str(ids.get(p, p))
                if metadata and metadata.get(p):
                    meta_map[name] = metadata[p]
            fields = {"model": model, "detect": "true" if detect else "false", "ids": json.dumps(id_map),
                      "metadata": json.dumps({k: json.loads(encode.jsonl([v])) for k, v in meta_map.items()}) if meta_map else None}
            r = self._t.multipart(f"/v1/datasets/{_q(dataset)}/images", fields, files)
            out["upserted"] += r.get("upserted", 0)
            out["failed"] += r.get("failed") or []
            for k in ("space", "dim", "seq"):
                out[k] = r.get(k, out[k])
        return out

    @staticmethod
    def _by_path(paths, values, field):
        if values is None:
            return None
        if isinstance(values, dict):
            return {os.fspath(k): v for k, v in values.items()}
        values = list(values)
        if len(values) != len(paths):
            raise invalid(field, f"has {len(values)} entries for {len(paths)} paths")
        return dict(zip(paths, values))

    # --- reading ---

    def search(self, dataset, space, vector=None, id=None, k=10, filter=None, level=None, ef=None, exact=None,
               radius=None, **extra):
        """Nearest neighbours of a vector or of a stored point (left out of its own results)."""
        if (vector is None) == (id is None):
            raise invalid("vector", "give exactly one of vector or id")
        req = _drop_none({"space": space, "id": id, "k": k, "filter": filter, "level": level, "ef": ef,
                          "exact": exact, "radius": radius, **extra})
        if vector is not None:
            req["vector"] = np.asarray(vector, dtype=np.float64).ravel().tolist()
        return SearchResult.from_json(self._t.json("POST", f"/v1/datasets/{_q(dataset)}/search", req))

    def similar(self, dataset, space, positives, negatives=None, feedback=None, strategy=None, k=10, filter=None,
                level=None, **extra):
        """More like positives, unlike negatives (ids, vectors or target dicts);
        feedback = {"accept": [...], "reject": [...]} joins the examples, and a model trained on them adds its ranking."""
        if not positives:
            raise invalid("positive", "give at least one positive example")
        req = _drop_none({"space": space, "positive": [_target(p) for p in positives],
                          "negative": [_target(n) for n in negatives] if negatives else None,
                          "strategy": strategy, "k": k, "filter": filter, "level": level, **extra})
        if feedback:
            req["feedback"] = {key: [_target(t) for t in feedback.get(key) or []] for key in ("accept", "reject")}
        return SearchResult.from_json(self._t.json("POST", f"/v1/datasets/{_q(dataset)}/search", req))

    def outliers(self, dataset, space, k=10, limit=50, method=None, reference=None, level=None, write_metadata=None):
        req = _drop_none({"space": space, "k": k, "limit": limit, "method": method, "reference": reference,
                          "level": level, "write_metadata": write_metadata})
        return OutlierResult.from_json(self._t.json("POST", f"/v1/datasets/{_q(dataset)}/outliers", req))

    def compare(self, space, a, b, group_by=None, k=None, permutations=None, level=None, seed=None, **extra):
        """Whether datasets a and b differ (k-NN two-sample test), and where."""
        req = _drop_none({"space": space, "a": a, "b": b, "group_by": group_by, "k": k,
                          "permutations": permutations, "level": level, "seed": seed, **extra})
        return CompareResult.from_json(self._t.json("POST", "/v1/compare", req))

    def clusters(self, dataset, space, k=10, method=None, summary_fields=None, level=None, seed=None,
                 write_metadata=None, **extra):
        req = _drop_none({"space": space, "k": k, "method": method, "summary_fields": summary_fields,
                          "level": level, "seed": seed, "write_metadata": write_metadata, **extra})
        return ClusterResult.from_json(self._t.json("POST", f"/v1/datasets/{_q(dataset)}/clusters", req))

    def duplicates(self, dataset, space, threshold=None, relative=None, other=None, k=None, limit=None, level=None):
        req = _drop_none({"space": space, "threshold": threshold, "relative": relative, "other": other,
                          "k": k, "limit": limit, "level": level})
        return DuplicateResult.from_json(self._t.json("POST", f"/v1/datasets/{_q(dataset)}/duplicates", req))

    def export(self, dataset, space):
        """(ids, vectors, metadata): a list of ids, an (N, D) float32 array and
        a list of N dicts, in id order."""
        data = self._t.request("GET", f"/v1/datasets/{_q(dataset)}/export",
                               query={"space": space, "format": "npz"}, raw=True)
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            ids = z["ids"].tolist()
            vecs = z["embeddings"]
            meta = [json.loads(s) for s in z["metadata"].tolist()] if "metadata" in z.files else [{} for _ in ids]
        return ids, vecs, meta

    def view(self, dataset, space, with_=None, color=None, level=None):
        """The embedding view: computes (or reuses) the 2-D layout and returns
        its page URL (open it in a browser) with the layout's summary."""
        q = _drop_none({"space": space, "with": with_, "level": level})
        r = self._t.json("GET", f"/v1/datasets/{_q(dataset)}/view", query=q)
        frag = urllib.parse.urlencode(_drop_none({"ds": dataset, "space": space, "level": level or "point",
                                                  "with": with_, "color": color}))
        return View(url=f"{self.url}/#{frag}", count=r.get("count", 0), layout=r.get("layout") or {},
                    fields=[f.get("name") for f in r.get("fields") or []], raw=r)
