// Package weaviatestore is an engine.Store on a Weaviate cluster (package
// weaviate): the cluster is the source of truth and a reef node holds no
// point data, so any number of reef nodes can serve one cluster.
//
// Mapping: a catalog collection (ReefCatalog) holds one object per dataset
// (UID, spaces with their provenance, change sequences); a dataset's points
// are one collection (weaviate.CollectionName(dataset, "point")) made at its
// first space, each space a named vector; the reef id is the object id, the
// IID is derived from it (IIDOf), metadata is kept verbatim (reef_meta) and
// each top-level scalar key k is also a filterable property m_k, so reef
// filters on top-level keys are pushed down. Writes are acknowledged only
// after Weaviate acknowledged every point at the client's write consistency;
// a batch with any point not acknowledged is an error naming those points.
//
// Caveats (this is the first cut): one space per dataset (named vectors are
// fixed when the collection is made); no object (box) level; filters on
// nested keys or stored lists are refused, not evaluated; a batch is not
// atomic (a failed batch may leave some points written: rerun it, writes
// are upserts); change sequences are read-modify-write on the catalog
// object, exact for one reef node and best effort between several.
package weaviatestore
