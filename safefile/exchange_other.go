//go:build !linux

package safefile

import "errors"

var errNoExchange = errors.New("atomic exchange not supported")

func exchange(a, b string) error { return errNoExchange }
