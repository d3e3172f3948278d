"""Typed results. Each keeps the server's full answer in .raw and turns its
rows into a DataFrame with .to_pandas() (pandas is imported only then)."""

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


def _pandas():
    try:
        import pandas
    except ImportError as e:
        raise ImportError("to_pandas() needs pandas (Debian: apt-get install python3-pandas)") from e
    return pandas


def _snake(key):
    """Go field names (CountA, PValue) as the API's snake_case (count_a, p_value)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", key).lower()


def _snake_keys(d):
    return {_snake(k): v for k, v in d.items()} if isinstance(d, dict) else d


def _meta(m):
    if m is None:
        return {}
    return json.loads(m) if isinstance(m, (str, bytes)) else dict(m)


def _flat(row, meta_key="metadata"):
    """A row dict with its metadata spread into metadata.<field> columns."""
    out = {k: v for k, v in row.items() if k != meta_key and not isinstance(v, (list, dict))}
    for k, v in _meta(row.get(meta_key)).items():
        out["metadata." + k] = v
    return out


@dataclass
class Hit:
    id: str
    distance: float
    metadata: Dict[str, Any] = field(default_factory=dict)
    object_id: Optional[str] = None
    uri: Optional[str] = None
    kind: Optional[str] = None
    cls: Optional[str] = None
    bbox: Optional[List[float]] = None
    score: Optional[float] = None
    matched: Optional[int] = None

    @classmethod
    def from_json(cls, h):
        return cls(id=h["id"], distance=h.get("distance"), metadata=_meta(h.get("metadata")),
                   object_id=h.get("object_id"), uri=h.get("uri"), kind=h.get("kind"), cls=h.get("class"),
                   bbox=h.get("bbox"), score=h.get("score"), matched=h.get("matched"))


class _Rows:
    """Shared behaviour: len, iteration and indexing over the main rows."""

    _rows_attr = ""

    def _rows(self):
        return getattr(self, self._rows_attr)

    def __len__(self):
        return len(self._rows())

    def __iter__(self):
        return iter(self._rows())

    def __getitem__(self, i):
        return self._rows()[i]


@dataclass
class SearchResult(_Rows):
    hits: List[Hit]
    took_ms: float
    count: Optional[int] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)
    _rows_attr = "hits"

    @classmethod
    def from_json(cls, r):
        return cls(hits=[Hit.from_json(h) for h in r.get("hits") or []], took_ms=r.get("took_ms", 0.0),
                   count=r.get("count"), raw=r)

    @property
    def ids(self):
        return [h.id for h in self.hits]

    def to_pandas(self):
        return _pandas().DataFrame([_flat(h) for h in self.raw.get("hits") or []])


@dataclass
class Outlier:
    id: str
    score: float
    percentile: float
    metadata: Dict[str, Any]
    object_id: Optional[str] = None
    neighbors: List[str] = field(default_factory=list)


@dataclass
class OutlierResult(_Rows):
    outliers: List[Outlier]
    points: int
    k: int
    method: str
    took_ms: float
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)
    _rows_attr = "outliers"

    @classmethod
    def from_json(cls, r):
        rows = [Outlier(id=o["id"], score=o.get("score"), percentile=o.get("percentile"), metadata=_meta(o.get("metadata")),
                        object_id=o.get("object_id"), neighbors=[n["id"] for n in o.get("neighbors") or []])
                for o in r.get("outliers") or []]
        return cls(outliers=rows, points=r.get("points", 0), k=r.get("k", 0), method=r.get("method", ""),
                   took_ms=r.get("took_ms", 0.0), raw=r)

    def to_pandas(self):
        return _pandas().DataFrame([_flat(o) for o in self.raw.get("outliers") or []])


@dataclass
class Cluster:
    id: int
    size: int
    medoid: Optional[str]
    summary: Dict[str, Dict[str, int]]


@dataclass
class ClusterResult(_Rows):
    clusters: List[Cluster]
    method: str
    points: int
    noise: int
    took_ms: float
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)
    _rows_attr = "clusters"

    @classmethod
    def from_json(cls, r):
        rows = [Cluster(id=c["id"], size=c["size"], medoid=(c.get("medoid") or {}).get("id"), summary=c.get("summary") or {})
                for c in r.get("clusters") or []]
        return cls(clusters=rows, method=r.get("method", ""), points=r.get("points", 0), noise=r.get("noise", 0),
                   took_ms=r.get("took_ms", 0.0), raw=r)

    def to_pandas(self):
        """One row per cluster; summary fields as columns of value counts."""
        rows = []
        for c in self.clusters:
            row = {"cluster": c.id, "size": c.size, "medoid": c.medoid}
            for f, counts in c.summary.items():
                row["summary." + f] = counts
            rows.append(row)
        return _pandas().DataFrame(rows)


@dataclass
class DuplicateGroup:
    members: List[str]
    max_distance: float
    datasets: List[Optional[str]] = field(default_factory=list)


@dataclass
class DuplicateResult(_Rows):
    groups: List[DuplicateGroup]
    threshold: float
    pairs: int
    took_ms: float
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)
    _rows_attr = "groups"

    @classmethod
    def from_json(cls, r):
        rows = [DuplicateGroup(members=[m["id"] for m in g.get("members") or []], max_distance=g.get("max_distance"),
                               datasets=[m.get("dataset") for m in g.get("members") or []])
                for g in r.get("groups") or []]
        return cls(groups=rows, threshold=r.get("threshold", 0.0), pairs=r.get("pairs", 0), took_ms=r.get("took_ms", 0.0), raw=r)

    def to_pandas(self):
        """One row per group member, with its group number."""
        rows = []
        for gi, g in enumerate(self.raw.get("groups") or []):
            for m in g.get("members") or []:
                rows.append({"group": gi, "max_distance": g.get("max_distance"), **_flat(m)})
        return _pandas().DataFrame(rows)


@dataclass
class CompareResult:
    size_a: int
    size_b: int
    significant: bool
    verdict: str
    p_value: float
    effect_size: float
    statistic: float
    expected: float
    groups: List[Dict[str, Any]]
    took_ms: float
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, r):
        return cls(size_a=r.get("size_a", 0), size_b=r.get("size_b", 0), significant=bool(r.get("significant")),
                   verdict=r.get("verdict", ""), p_value=r.get("p_value"), effect_size=r.get("effect_size"),
                   statistic=r.get("statistic"), expected=r.get("expected"),
                   groups=[_snake_keys(g) for g in r.get("groups") or []], took_ms=r.get("took_ms", 0.0), raw=r)

    def to_pandas(self):
        """The per-group differences (group_by), one row per group."""
        return _pandas().DataFrame([{k: v for k, v in g.items() if not isinstance(v, (list, dict))} for g in self.groups])


@dataclass
class View:
    """The embedding view of a space: open url in a browser."""
    url: str
    count: int
    layout: Dict[str, Any]
    fields: List[str]
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def _repr_html_(self):  # a link in notebooks
        return f'<a href="{self.url}" target="_blank">reef embedding view ({self.count} points)</a>'
