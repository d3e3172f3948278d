package server

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var snakeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestOpenAPISnakeCase walks every schema property and parameter name of
// docs/openapi.yaml: JSON is snake_case everywhere.
func TestOpenAPISnakeCase(t *testing.T) {
	f, err := os.Open("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keyRE := regexp.MustCompile(`^( *)([^ #:][^:]*):`)
	nameRE := regexp.MustCompile(`^ *- name: *(\S+)`)
	propsIndent := -1 // indentation of the open properties: block, -1 outside one
	var bad []string
	n := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if m := nameRE.FindStringSubmatch(text); m != nil {
			n++
			if !snakeRE.MatchString(strings.Trim(m[1], `"'`)) {
				bad = append(bad, lineRef(line, "parameter "+m[1]))
			}
			continue
		}
		m := keyRE.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		indent, key := len(m[1]), strings.Trim(m[2], `"'`)
		if propsIndent >= 0 && indent <= propsIndent {
			propsIndent = -1
		}
		if propsIndent >= 0 && indent == propsIndent+2 {
			n++
			if !snakeRE.MatchString(key) {
				bad = append(bad, lineRef(line, "property "+key))
			}
		}
		if key == "properties" && propsIndent < 0 {
			propsIndent = indent
		}
	}
	if n < 50 {
		t.Fatalf("found only %d property and parameter names: the scan is broken", n)
	}
	if len(bad) > 0 {
		t.Fatalf("openapi.yaml names that are not snake_case:\n%s", strings.Join(bad, "\n"))
	}
}

// TestJSONTagsSnakeCase checks the json tags of every Go struct in the
// module. Exempt are the packages that speak another program's camelCase
// wire format: extract/tfjs (TF.js model files) and weaviate (Weaviate's
// REST schema).
func TestJSONTagsSnakeCase(t *testing.T) {
	tagRE := regexp.MustCompile("json:\"([^\",]*)")
	var bad []string
	n := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "third_party", "tfjs", "weaviate", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range tagRE.FindAllStringSubmatch(string(src), -1) {
			n++
			if tag := m[1]; tag != "" && tag != "-" && !snakeRE.MatchString(tag) {
				bad = append(bad, path+": "+tag)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("found only %d json tags: the walk is broken", n)
	}
	if len(bad) > 0 {
		t.Fatalf("json tags that are not snake_case:\n%s", strings.Join(bad, "\n"))
	}
}

func lineRef(line int, what string) string {
	return fmt.Sprintf("  line %d: %s", line, what)
}
