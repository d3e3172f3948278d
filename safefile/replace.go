package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TempDir creates an empty directory next to dir (same file system, so
// Replace can rename it) for the caller to fill. The caller removes it if
// it does not call Replace.
func TempDir(dir string) (string, error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("safefile: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("safefile: %w", err)
	}
	return tmp, nil
}

// Replace makes the fully written directory tmp appear at dir, replacing
// any directory there, in one step. tmp's files should already be synced
// (Write does that). On success tmp no longer exists; on failure dir is
// unchanged and tmp is left for the caller to remove.
func Replace(tmp, dir string) error {
	if err := SyncDir(tmp); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("safefile: %w", err)
		}
		return SyncDir(parent)
	}
	if err := exchange(tmp, dir); err == nil {
		// tmp now holds the old tree.
		if err := SyncDir(parent); err != nil {
			return err
		}
		return removeOld(tmp)
	} else if !errors.Is(err, errNoExchange) {
		return fmt.Errorf("safefile: %w", err)
	}
	return moveAside(tmp, dir)
}

// moveAside is Replace without an atomic exchange: the old tree is moved to
// dir+".old" first and put back if the second rename fails.
func moveAside(tmp, dir string) error {
	parent := filepath.Dir(dir)
	old := dir + ".old"
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("safefile: %w (and restoring the old directory: %v)", err, rerr)
		}
		return fmt.Errorf("safefile: %w", err)
	}
	if err := SyncDir(parent); err != nil {
		return err
	}
	return removeOld(old)
}

func removeOld(path string) error {
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("safefile: replaced, but removing the old directory: %w", err)
	}
	return nil
}
