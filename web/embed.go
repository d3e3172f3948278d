// Package web holds the embedding view, the page `reef serve` shows at /.
// Its sources (web/src, TypeScript) are built with Vite into web/dist, which
// is committed, so building reef needs no node; web/check-build.sh rebuilds
// and diffs against the committed files.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Assets returns the built page: index.html and assets/*.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
