"""Python client for reef (https://github.com/reef-ml/reef).

    import reef
    c = reef.Client("http://127.0.0.1:7370")
    c.upsert("train", "emb", ids, vectors, metadata=df)
    c.compare("emb", "train", "test", group_by="label").verdict

Needs numpy; pandas only for .to_pandas() and DataFrame metadata.
"""

from .client import Client
from .errors import ReefError
from .results import (Cluster, ClusterResult, CompareResult, DuplicateGroup, DuplicateResult, Hit, Outlier,
                      OutlierResult, SearchResult, View)

__all__ = ["Client", "ReefError", "Hit", "SearchResult", "Outlier", "OutlierResult", "Cluster", "ClusterResult",
           "DuplicateGroup", "DuplicateResult", "CompareResult", "View"]
__version__ = "0.1.0"
