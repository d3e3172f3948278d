package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"

	"github.com/reef-ml/reef/safefile"
	"github.com/reef-ml/reef/storage"
)

// restoreLockTimeout is how long restore waits for the data directory's
// database lock before concluding a server holds it.
var restoreLockTimeout = 2 * time.Second

func restoreCmd() *cobra.Command {
	var (
		dataDir string
		force   bool
	)
	cmd := &cobra.Command{
		Use:   "restore BACKUP.db",
		Short: "Restore a data directory from a backup (GET /v1/backup)",
		Long: "restore validates BACKUP.db (bbolt page check, reef's format version, every record decodes), " +
			"refuses while a server holds the data directory or when it already has data (unless --force), " +
			"then installs the backup as DIR/reef.db atomically (temp file, fsync, rename) and removes the " +
			"index snapshots, which the next start rebuilds from the restored data.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := restore(args[0], dataDir, force)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s (%d bytes) into %s; indexes are rebuilt on the next start\n",
				args[0], n, filepath.Join(filepath.Clean(dataDir), "reef.db"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", envOr("REEF_DATA", "reef-data"), "data directory to restore into (env REEF_DATA)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the data directory's existing database")
	return cmd
}

// restore installs backup as dataDir/reef.db and returns its size.
func restore(backup, dataDir string, force bool) (int64, error) {
	if dataDir == "" {
		return 0, errors.New("--data is empty")
	}
	if err := storage.ValidateBackup(backup); err != nil {
		return 0, fmt.Errorf("backup rejected, nothing changed: %w", err)
	}
	// The database is a single bbolt file; the only paths written are
	// these, all inside the cleaned data directory.
	dir := filepath.Clean(dataDir)
	target := filepath.Join(dir, "reef.db")
	indexDir := filepath.Join(dir, "index")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if abs, err := filepath.Abs(backup); err == nil {
		if t, err := filepath.Abs(target); err == nil && t == abs {
			return 0, errors.New("the backup is the data directory's own database")
		}
	}
	hasData := false
	if st, err := os.Stat(target); err == nil {
		hasData = true
		if !st.Mode().IsRegular() {
			return 0, fmt.Errorf("%s is not a regular file", target)
		}
		// A running server holds bbolt's exclusive lock; a shared one
		// (read-only open) cannot be had until it stops.
		db, err := bolt.Open(target, 0o600, &bolt.Options{ReadOnly: true, Timeout: restoreLockTimeout})
		switch {
		case errors.Is(err, bolterr.ErrTimeout):
			return 0, fmt.Errorf("%s is in use (is `reef serve` running on %s?): stop it first", target, dir)
		case err == nil:
			db.Close()
		case !force:
			return 0, fmt.Errorf("%s exists and cannot be opened (%v); use --force to replace it", target, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	if _, err := os.Stat(indexDir); err == nil {
		hasData = true
	}
	if hasData && !force {
		return 0, fmt.Errorf("%s already holds data; use --force to replace it", dir)
	}

	src, err := os.Open(backup)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".reef.db.restore-*")
	if err != nil {
		return 0, err
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	n, err := io.Copy(tmp, src)
	if err != nil {
		return 0, fmt.Errorf("copy backup: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	// What is about to be installed is what was validated.
	if err := storage.ValidateBackup(tmpName); err != nil {
		return 0, fmt.Errorf("the copy of the backup does not validate: %w", err)
	}
	// Snapshots first: a snapshot newer than the restored data would
	// otherwise be trusted and replayed onto it. If we stop between the two
	// steps the old database simply rebuilds its indexes.
	if err := os.RemoveAll(indexDir); err != nil {
		return 0, fmt.Errorf("remove stale index snapshots: %w", err)
	}
	if err := safefile.SyncDir(dir); err != nil {
		return 0, err
	}
	if err := os.Rename(tmpName, target); err != nil {
		return 0, err
	}
	ok = true
	return n, safefile.SyncDir(dir)
}
