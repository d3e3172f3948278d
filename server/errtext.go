package server

import "strings"

// plainMessage drops each segment of an error message that repeats the one
// before it. Layers that each prefix their sentinel ("not found: not found:
// point \"x\"") are honest in Go but read badly; the rendering is the one
// place that sees the whole chain, so it trims there.
func plainMessage(msg string) string {
	parts := strings.Split(msg, ": ")
	out := parts[:1]
	for _, p := range parts[1:] {
		if p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return strings.Join(out, ": ")
}
