package vecio

import (
	"errors"
	"strings"
	"testing"
)

func TestReadIDsJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		lim  Limits
		want string
		err  error
	}{
		{`["a", "b", "日本"]`, Limits{}, "a|b|日本", nil},
		{`[1, -2, 12345678901234567890, "x"]`, Limits{}, "1|-2|12345678901234567890|x", nil},
		{` [ ] `, Limits{}, "", nil},
		{`[1.5]`, Limits{}, "", ErrFormat},
		{`[1e3]`, Limits{}, "", ErrFormat},
		{`[null]`, Limits{}, "", ErrFormat},
		{`[["a"]]`, Limits{}, "", ErrFormat},
		{`[{"a":1}]`, Limits{}, "", ErrFormat},
		{`{"ids": []}`, Limits{}, "", ErrFormat},
		{`["a"] ["b"]`, Limits{}, "", ErrFormat},
		{`["a"`, Limits{}, "", ErrFormat},
		{``, Limits{}, "", ErrFormat},
		{`["a","b","c"]`, Limits{MaxRows: 2}, "", ErrTooLarge},
		{`["` + strings.Repeat("a", 100) + `"]`, Limits{MaxBytes: 50}, "", ErrTooLarge},
	} {
		got, err := ReadIDsJSON(strings.NewReader(tc.in), tc.lim)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%q: err = %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != tc.want || got == nil {
			t.Errorf("%q: got %q, %v", tc.in, got, err)
		}
	}
}

func TestReadIDsText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		lim  Limits
		want string
		err  error
	}{
		{"a\nb\nc\n", Limits{}, "a|b|c", nil},
		{"\ufeffa\r\nb", Limits{}, "a|b", nil},
		{"", Limits{}, "", nil},
		{"a\n\nb\n", Limits{}, "", ErrFormat},
		{"a\xff\n", Limits{}, "", ErrFormat},
		{"a\nb\nc\n", Limits{MaxRows: 2}, "", ErrTooLarge},
		{strings.Repeat("x", maxIDBytes+10), Limits{}, "", ErrTooLarge},
		{"aaaa\nbbbb\n", Limits{MaxBytes: 5}, "", ErrTooLarge},
	} {
		got, err := ReadIDsText(strings.NewReader(tc.in), tc.lim)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%.20q: err = %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != tc.want {
			t.Errorf("%q: got %q, %v", tc.in, got, err)
		}
	}
}
