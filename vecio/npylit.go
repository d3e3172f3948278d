package vecio

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// maxInt is the largest int on this platform.
const maxInt = int(^uint(0) >> 1)

// litSeq is a Python tuple or list.
type litSeq []any

// describeLit renders a structured descr briefly for error messages.
func describeLit(s litSeq) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, x := range s {
		if i > 0 {
			sb.WriteString(", ")
		}
		if sb.Len() > 200 {
			sb.WriteString("...")
			break
		}
		switch v := x.(type) {
		case litSeq:
			sb.WriteString(describeLit(v))
		case string:
			sb.WriteString(strconv.Quote(v))
		default:
			fmt.Fprintf(&sb, "%v", v)
		}
	}
	sb.WriteByte(']')
	return sb.String()
}

type litParser struct {
	s string
	i int
}

func (p *litParser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) fail(msg string) error {
	return errorf(ErrFormat, "npy header: %s at offset %d", msg, p.i)
}

// value parses one literal: dict, tuple, list, string, int, True/False/None.
func (p *litParser) value(depth int) (any, error) {
	if depth > maxLiteralDepth {
		return nil, p.fail("literal nested too deeply")
	}
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, p.fail("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		d := map[string]any{}
		for {
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return d, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, p.fail("dict key is not a string")
			}
			p.skipSpace()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, p.fail("expected ':'")
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, dup := d[key]; dup {
				return nil, p.fail("duplicate key " + strconv.Quote(key))
			}
			d[key] = v
			if err := p.sep('}'); err != nil {
				return nil, err
			}
		}
	case c == '(' || c == '[':
		closer := byte(')')
		if c == '[' {
			closer = ']'
		}
		p.i++
		seq := litSeq{}
		for {
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == closer {
				p.i++
				return seq, nil
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			seq = append(seq, v)
			if err := p.sep(closer); err != nil {
				return nil, err
			}
		}
	case c == '\'' || c == '"':
		return p.str(c)
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil {
			return nil, p.fail("bad integer")
		}
		// Python 2 era numpy wrote longs as 3L.
		if p.i < len(p.s) && p.s[p.i] == 'L' {
			p.i++
		}
		return n, nil
	default:
		for _, kw := range [...]struct {
			word string
			val  any
		}{{"True", true}, {"False", false}, {"None", nil}} {
			if strings.HasPrefix(p.s[p.i:], kw.word) {
				p.i += len(kw.word)
				return kw.val, nil
			}
		}
		return nil, p.fail("unexpected character")
	}
}

// sep consumes a ',' (trailing commas are legal Python) or peeks the closer.
func (p *litParser) sep(closer byte) error {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ',' {
		p.i++
		return nil
	}
	if p.i < len(p.s) && p.s[p.i] == closer {
		return nil
	}
	return p.fail("expected ',' or '" + string(closer) + "'")
}

// str parses a quoted string with the simple escapes repr() produces.
func (p *litParser) str(q byte) (string, error) {
	p.i++
	var b bytes.Buffer
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\\' && p.i+1 < len(p.s):
			p.i += 2
			switch e := p.s[p.i-1]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.fail("unterminated string")
}
