package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// client talks to a running reef server.
type client struct {
	base string
	key  string
	http *http.Client
}

func addClientFlags(cmd *cobra.Command, c *client) {
	cmd.Flags().StringVar(&c.base, "server", envOr("REEF_SERVER", "http://127.0.0.1:7370"), "reef server URL (env REEF_SERVER)")
	cmd.Flags().StringVar(&c.key, "key", envOr("REEF_API_KEY", envOr("REEF_ADMIN_KEY", "")), "API key (env REEF_API_KEY or REEF_ADMIN_KEY)")
	c.http = &http.Client{Timeout: 0}
}

// do sends a request and decodes a JSON answer into out (if non-nil).
// Errors carry the server's message and field.
func (c *client) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach reef at %s (is `reef serve` running?): %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (HTTP %d %s)", e.Error.Message, resp.StatusCode, e.Error.Code)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *client) postJSON(ctx context.Context, path string, in, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, path, "application/json", bytes.NewReader(data), out)
}

// waitReady polls /v1/health until the server answers or ctx ends.
func (c *client) waitReady(ctx context.Context) error {
	for {
		if err := c.do(ctx, http.MethodGet, "/v1/health", "", nil, nil); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
