package engine

import (
	"os"
	"path/filepath"
)

// derivedDirs hold files derived from storage, one subdirectory per dataset
// UID: index snapshots, k-NN graphs and view layouts. All can be rebuilt.
var derivedDirs = [...]string{"index", "graphs", "layouts"}

// removeOrphanSnapshots deletes derived files of deleted datasets and temp
// files that a crash left behind mid-write.
func (e *Engine) removeOrphanSnapshots(keep map[string]bool) {
	for _, d := range derivedDirs {
		e.removeOrphansIn(filepath.Join(e.opts.DataDir, d), keep)
	}
}

func (e *Engine) removeOrphansIn(root string, keep map[string]bool) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, ent := range entries {
		dir := filepath.Join(root, ent.Name())
		if ent.IsDir() && !keep[ent.Name()] {
			if err := os.RemoveAll(dir); err != nil {
				e.log.Warn("cannot remove stale index snapshots", "dir", ent.Name(), "err", err)
			}
			continue
		}
		tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp*"))
		for _, t := range tmps {
			if err := os.Remove(t); err != nil {
				e.log.Warn("cannot remove an interrupted snapshot's temp file", "file", t, "err", err)
			}
		}
	}
}
