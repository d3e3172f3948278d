package ingest

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running: every
// background job (snapshots, layouts, model sessions) must end with Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
