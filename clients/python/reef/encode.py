"""Bodies for the import route, built in memory: vectors as .npy, ids as a
JSON array, metadata as JSON lines (one object a row, matched by position)."""

import io
import json
import math

import numpy as np

from .errors import invalid


def npy_bytes(a):
    """a as .npy bytes (little-endian float32, C order)."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(a, dtype="<f4"), allow_pickle=False)
    return buf.getvalue()


def as_matrix(vectors):
    try:
        a = np.asarray(vectors)
    except Exception as e:  # ragged lists and the like
        raise invalid("vectors", f"cannot make an array: {e}") from e
    if a.ndim == 1 and a.size:
        a = a.reshape(1, -1)
    if a.ndim != 2:
        raise invalid("vectors", f"must be a 2-D (N, D) array, got shape {a.shape}")
    if a.dtype.kind not in "fiu":
        raise invalid("vectors", f"must be numeric, got dtype {a.dtype}")
    return a


def as_ids(ids, n):
    if ids is None:
        raise invalid("ids", "are required, one per vector")
    if isinstance(ids, np.ndarray):
        ids = ids.tolist()
    out = [str(i) for i in ids]
    if len(out) != n:
        raise invalid("ids", f"has {len(out)} entries for {n} vectors")
    return out


def _plain(v):
    """v made JSON-ready; None means "leave the field out" (NaN, NaT, None)."""
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, np.generic):
        return _plain(v.item())
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "isoformat"):  # datetime, date, pandas Timestamp
        try:
            return v.isoformat()
        except ValueError:  # NaT
            return None
    return str(v)


def records(metadata, n):
    """metadata (list of dicts, or a DataFrame) as n dicts (None for none)."""
    if metadata is None:
        return None
    if hasattr(metadata, "to_dict") and hasattr(metadata, "columns"):  # a DataFrame
        metadata = metadata.to_dict("records")
    rows = list(metadata)
    if len(rows) != n:
        raise invalid("metadata", f"has {len(rows)} rows for {n} vectors")
    for i, r in enumerate(rows):
        if r is not None and not isinstance(r, dict):
            raise invalid(f"metadata[{i}]", f"must be a dict, got {type(r).__name__}")
    return rows


def jsonl(rows):
    """rows as JSON lines; a field whose value is missing is left out."""
    out = []
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
    for r in rows:
        if not r:
            out.append("{}")
            continue
        clean = {}
        for k, v in r.items():
            if k == "id":  # would key the rows by id on the server
                raise invalid("metadata", 'a field named "id" is reserved (it is the point id)')
            v = _plain(v)
            if v is not None:
                clean[str(k)] = v
        out.append(dumps(clean))
    return ("\n".join(out) + "\n").encode()
