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
	resp, err := c.send(ctx, method, path, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// send sends a request and returns a successful response for the caller
// to read and close; an error status becomes an error with the server's
// message.
func (c *client) send(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w while waiting for %s %s", errInterrupted, method, path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot reach reef at %s (is `reef serve` running?): %w", c.base, err)
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
		// The status number is enough beside the message: the code
		// ("not_found") would only repeat the message's words.
		return nil, fmt.Errorf("%s (HTTP %d)", e.Error.Message, resp.StatusCode)
	}
	return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data))
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
