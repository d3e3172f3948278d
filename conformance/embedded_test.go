package conformance

import (
	"testing"

	"github.com/reef-ml/reef/engine"
)

func TestEmbeddedStore(t *testing.T) {
	Run(t, func(t *testing.T) engine.Options {
		o := engine.DefaultOptions()
		o.DataDir, o.NoSync, o.SnapshotInterval = t.TempDir(), true, 0
		return o
	})
}
