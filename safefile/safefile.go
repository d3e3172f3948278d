package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write atomically replaces path with what write produces. The parent
// directory is created if needed.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the error does not matter then
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	return SyncDir(dir)
}

// WriteBytes is Write for a buffer already in memory.
func WriteBytes(path string, perm os.FileMode, b []byte) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// SyncDir fsyncs a directory so that renames and creations in it are
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	return errors.Join(d.Sync(), d.Close())
}
