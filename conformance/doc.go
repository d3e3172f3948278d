// Package conformance is the store conformance suite: the same scenarios
// (create, upsert, merge-update metadata, filtered search, multi-target
// search, delete, outliers) run through the engine and a feature package on
// any engine.Store, so that stores cannot drift apart in what reef's API
// answers. A store's tests call Run with options that plug it in; the
// embedded store's run is this package's own test.
//
// Every scenario uses its own dataset, bounded sizes and no network of its
// own: whatever traffic there is, is the store's.
package conformance
