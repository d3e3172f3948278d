package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// listing is what a source holds: the files to upload and, by extension,
// the files left out.
type listing struct {
	items   []ingestItem
	skipped map[string]int // extension ("" for none) → files
}

// listImages reads a directory or a manifest. In a directory the id is the
// path relative to it and the folder classLevel levels up names the class
// (1: the immediate parent; 0: no class; folders above the top are none).
func listImages(src string, classLevel int) (listing, error) {
	st, err := os.Stat(src)
	if err != nil {
		return listing{}, err
	}
	l := listing{skipped: map[string]int{}}
	switch {
	case st.IsDir():
		err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") {
				return nil // hidden files (.DS_Store) are no one's data
			}
			ext := strings.ToLower(filepath.Ext(p))
			if !imageExts[ext] && !audioExts[ext] {
				l.skipped[ext]++
				return nil
			}
			rel, _ := filepath.Rel(src, p)
			rel = filepath.ToSlash(rel)
			meta := map[string]string{"file": rel}
			if class := classOf(rel, classLevel); class != "" {
				meta["folder"] = class
			}
			m, _ := json.Marshal(meta)
			l.items = append(l.items, ingestItem{ID: rel, Path: p, Metadata: m})
			return nil
		})
		sort.Slice(l.items, func(i, j int) bool { return l.items[i].ID < l.items[j].ID })
	case strings.HasSuffix(src, ".jsonl"):
		l.items, err = readJSONL(src)
	case strings.HasSuffix(src, ".csv"):
		l.items, err = readCSV(src)
	default:
		err = fmt.Errorf("%s: want a directory, a .jsonl or a .csv manifest", src)
	}
	return l, err
}

// classOf returns the folder level levels above the file in rel, or "".
func classOf(rel string, level int) string {
	dirs := strings.Split(rel, "/")
	dirs = dirs[:len(dirs)-1]
	if level < 1 || level > len(dirs) {
		return ""
	}
	return dirs[len(dirs)-level]
}

// manifestID keys a manifest row without an id by its path as written,
// relative to the manifest: unique where base names repeat (train/a.jpg,
// test/a.jpg).
func manifestID(p string) string {
	return filepath.ToSlash(filepath.Clean(p))
}

func readJSONL(path string) ([]ingestItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var items []ingestItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var it ingestItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if it.Path == "" {
			return nil, fmt.Errorf("%s:%d: path is required", path, line)
		}
		if it.ID == "" {
			it.ID = manifestID(it.Path)
		}
		it.Path = resolveBeside(path, it.Path)
		items = append(items, it)
	}
	return items, sc.Err()
}

func readCSV(path string) ([]ingestItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	pi, ok := col["path"]
	if !ok {
		return nil, fmt.Errorf("%s: the header needs a path column", path)
	}
	var items []ingestItem
	for _, row := range rows[1:] {
		it := ingestItem{Path: resolveBeside(path, row[pi])}
		meta := map[string]string{}
		for name, i := range col {
			switch name {
			case "path":
			case "id":
				it.ID = row[i]
			case "uri":
				it.URI = row[i]
			default:
				meta[name] = row[i]
			}
		}
		if it.ID == "" {
			it.ID = manifestID(row[pi])
		}
		it.Metadata, _ = json.Marshal(meta)
		items = append(items, it)
	}
	return items, nil
}

func resolveBeside(manifest, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(manifest), p)
}
