package server

import (
	"os"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestOpenAPIIsValidYAML: the spec parses as YAML (the route check reads it
// line by line and would not notice, e.g., an unquoted "summary: a: b").
func TestOpenAPIIsValidYAML(t *testing.T) {
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if doc["paths"] == nil || doc["components"] == nil {
		t.Fatal("docs/openapi.yaml has no paths or components")
	}
}
