package strictyaml

import (
	"fmt"

	"github.com/goccy/go-yaml/token"
)

// MaxNesting is how deeply collections may nest in a document: flow
// collections ([ ] and { }) and block levels (indentation, and each "- " or
// "? " of a compact nested entry) together. gameday's files need fewer
// than ten; the bound keeps the YAML parser, whose cost grows faster than
// the depth, from spending seconds and gigabytes on a hostile file.
const MaxNesting = 100

// nestingMsg is the message of a document nested too deeply.
var nestingMsg = fmt.Sprintf("yaml: nested more than %d levels deep", MaxNesting)

// scanNesting is a cheap pre-scan of the raw bytes, run before the
// tokenizer: it follows flow brackets and block indentation, skipping
// comments, quoted scalars and block scalars (| and >), and returns an
// error at the first place where the nesting exceeds MaxNesting. It uses
// constant memory. Its reading of YAML is close to the tokenizer's but not
// exact; it errs towards skipping text (no false alarms on brackets inside
// strings) and tokenNesting, which sees what the parser will see, is the
// exact check behind it.
func scanNesting(file string, data []byte) *Error {
	s := nestScanner{data: data, line: 1}
	return s.run(file)
}

type nestScanner struct {
	data []byte
	i    int // offset of the next byte
	line int // 1-based line of data[i]
	col  int // 0-based column (in runes) of data[i]

	flow  int   // open flow collections
	maps  int   // open flow mappings among them
	block []int // 0-based columns of the open block levels, increasing
	// start is true where a new token may begin: no plain scalar is in
	// progress (the tokenizer's buffer is empty).
	start bool
	// delim is the column of the last block delimiter: the key before a
	// ':' or a '-' / '?' entry. A line indented no deeper ends a plain
	// scalar, and a block scalar's lines must be indented deeper.
	delim int
	// tokCol is the column where the current scalar began (for delim).
	tokCol int
}

func (s *nestScanner) depth() int { return s.flow + len(s.block) }

func (s *nestScanner) peek(k int) byte {
	if s.i+k < len(s.data) {
		return s.data[s.i+k]
	}
	return 0
}

// advance moves past one byte, keeping line and column.
func (s *nestScanner) advance() {
	c := s.data[s.i]
	s.i++
	switch {
	case c == '\n':
		s.line++
		s.col = 0
	case c&0xC0 != 0x80: // not a UTF-8 continuation byte
		s.col++
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 }

func (s *nestScanner) tooDeep(file string) *Error {
	return &Error{File: file, Line: s.line, Col: s.col + 1, Msg: nestingMsg}
}

// pushBlock opens a block level at column c unless one is open there.
func (s *nestScanner) pushBlock(c int) {
	for len(s.block) > 0 && s.block[len(s.block)-1] > c {
		s.block = s.block[:len(s.block)-1]
	}
	if len(s.block) == 0 || s.block[len(s.block)-1] < c {
		s.block = append(s.block, c)
	}
}

func (s *nestScanner) run(file string) *Error {
	s.start = true
	for s.i < len(s.data) {
		// At the start of a line: its indentation.
		for s.peek(0) == ' ' {
			s.advance()
		}
		c := s.peek(0)
		if c == '\n' || c == '\r' || c == '#' || s.i >= len(s.data) {
			if c == '#' {
				s.start = true // a comment ends a plain scalar
			}
			s.skipLine()
			continue
		}
		if s.col == 0 && (s.hasPrefix("---") || s.hasPrefix("...")) && isBlank(s.peek(3)) {
			s.block = s.block[:0] // a new document
			s.flow, s.maps = 0, 0
			s.start = true
			s.delim = 0
			for range 3 {
				s.advance()
			}
		} else if s.flow == 0 {
			if s.col <= s.delim {
				s.start = true // a plain scalar ends when a line is not indented past its key
			}
			s.pushBlock(s.col)
			if s.depth() > MaxNesting {
				return s.tooDeep(file)
			}
		}
		if err := s.scanLine(file); err != nil {
			return err
		}
	}
	return nil
}

func (s *nestScanner) hasPrefix(p string) bool {
	return len(s.data)-s.i >= len(p) && string(s.data[s.i:s.i+len(p)]) == p
}

// skipLine moves past the rest of the line and its line break.
func (s *nestScanner) skipLine() {
	for s.i < len(s.data) && s.data[s.i] != '\n' {
		s.advance()
	}
	if s.i < len(s.data) {
		s.advance()
	}
}

// scanLine scans from the current position to the end of the line (or,
// for a quoted scalar running over several lines, to the end of the line
// it closes on).
func (s *nestScanner) scanLine(file string) *Error {
	space := true // the previous byte was white space (or the line start)
	for s.i < len(s.data) {
		c := s.data[s.i]
		next := s.peek(1)
		switch {
		case c == '\n':
			s.advance()
			return nil
		case c == ' ' || c == '\t' || c == '\r':
			s.advance()
			space = true
			continue
		case c == '#' && (space || s.start):
			s.start = true
			s.skipLine()
			return nil
		case (c == '\'' || c == '"') && s.start:
			s.tokCol = s.col
			s.skipQuoted(c)
			s.start = false
		case (c == '[' || c == '{') && (s.start || s.flow > 0):
			s.flow++
			if c == '{' {
				s.maps++
			}
			if s.depth() > MaxNesting {
				return s.tooDeep(file)
			}
			s.advance()
			s.start = true
		case (c == ']' || c == '}') && s.flow > 0:
			s.flow--
			if c == '}' && s.maps > 0 {
				s.maps--
			}
			s.advance()
			s.start = false
		case c == ',' && s.flow > 0:
			s.advance()
			s.start = true
		case (c == '-' || c == '?') && s.start && s.flow == 0 && isBlank(next):
			// A block entry; its content is one level deeper.
			s.delim = s.col
			s.pushBlock(s.col + 1)
			if s.depth() > MaxNesting {
				return s.tooDeep(file)
			}
			s.advance()
		case c == ':' && (isBlank(next) || (s.maps > 0 && next != '/')):
			if s.flow == 0 {
				s.delim = s.tokCol
			}
			s.advance()
			s.start = true
		case (c == '|' || c == '>') && s.start && s.flow == 0:
			s.skipLine()
			s.skipBlockScalar()
			s.start = true
			return nil
		case (c == '&' || c == '!' || c == '*') && s.start:
			// An anchor, tag or alias: a token of its own up to white space.
			for s.i < len(s.data) && !isBlank(s.data[s.i]) && (s.flow == 0 || (s.data[s.i] != ',' && s.data[s.i] != ']' && s.data[s.i] != '}')) {
				s.advance()
			}
			s.start = c != '*'
		default:
			if s.start {
				s.tokCol = s.col
			}
			s.advance()
			s.start = false
		}
		space = false
	}
	return nil
}

// skipQuoted moves past a quoted scalar that starts at the current byte,
// over as many lines as it takes.
func (s *nestScanner) skipQuoted(q byte) {
	s.advance()
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case q == '"' && c == '\\':
			s.advance()
			if s.i < len(s.data) {
				s.advance()
			}
		case c == q && q == '\'' && s.peek(1) == '\'':
			s.advance()
			s.advance()
		case c == q:
			s.advance()
			return
		default:
			s.advance()
		}
	}
}

// skipBlockScalar moves past the lines of a block scalar whose header
// line was just skipped: the lines indented deeper than its key (or entry),
// as deep as its first line, and the blank lines among them.
func (s *nestScanner) skipBlockScalar() {
	indent := -1
	for s.i < len(s.data) {
		lineStart, line, col := s.i, s.line, s.col
		n := 0
		for s.i+n < len(s.data) && s.data[s.i+n] == ' ' {
			n++
		}
		c := byte(0)
		if s.i+n < len(s.data) {
			c = s.data[s.i+n]
		}
		blank := c == '\n' || c == '\r' || c == 0
		switch {
		case blank:
		case indent < 0 && n > s.delim:
			indent = n
		case indent >= 0 && n >= indent:
		default:
			s.i, s.line, s.col = lineStart, line, col
			return
		}
		s.skipLine()
	}
}

// tokenNesting checks the tokens the parser is about to read: the exact
// flow depth, and the block levels from the columns of entries ('-', '?')
// and of the first token of each line. It backs scanNesting, which may
// misread unusual quoting; it costs one pass over the tokens.
func tokenNesting(file string, tokens token.Tokens) *Error {
	flow := 0
	var block []int
	line := 0
	for _, tk := range tokens {
		if tk == nil || tk.Position == nil {
			continue
		}
		first := tk.Position.Line != line
		line = tk.Position.Line
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(0, flow-1)
			continue
		case token.CommentType:
			continue
		}
		if flow == 0 && (first || tk.Type == token.SequenceEntryType || tk.Type == token.MappingKeyType) {
			c := tk.Position.Column
			for len(block) > 0 && block[len(block)-1] > c {
				block = block[:len(block)-1]
			}
			if len(block) == 0 || block[len(block)-1] < c {
				block = append(block, c)
			}
		}
		if flow+len(block) > MaxNesting {
			return &Error{File: file, Line: tk.Position.Line, Col: tk.Position.Column, Msg: nestingMsg}
		}
	}
	return nil
}
