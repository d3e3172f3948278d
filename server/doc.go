// Package server is reef's REST API over package engine, built on gin.
//
// Guarantees:
//   - Every error is JSON {"error":{"code","message","field"}} with a 4xx
//     status for the caller's mistakes and 5xx for reef's; the mapping from
//     engine errors to statuses lives in errors.go alone.
//   - Request bodies are size-limited before they are read; requests have
//     timeouts; a concurrency limit answers 429 when full.
//   - When API keys are configured, every route but /v1/health needs one,
//     checked (in constant time) before the body is read. Read keys may only
//     call routes marked read-only.
//
// Which package answers each route (the handler holds *engine.Engine,
// *ingest.Ingester, *understand.Analyzer and *view.Viewer, built in New):
//   - engine: datasets, spaces, points (upsert, get, delete, metadata),
//     search, import/export, check, backup;
//   - ingest: images, audio and playable audio, models, points/missing,
//     point thumbnails and object crops (PUT/GET .../thumbnail);
//   - understand: outliers, clusters, duplicates, compare, spaces/…/tune
//     and bench;
//   - view: /v1/datasets/{ds}/view/… (layouts, points, colours, rows,
//     neighbours, similar, tags), and the page itself (web).
package server
