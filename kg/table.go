package kg

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// table reads a CSV or TSV file with a header row strictly: the columns a
// reader needs must be in the header, and every row must have as many
// fields as the header. Rows that break this are reported, with their line,
// and skipped; reading goes on.
type table struct {
	r      *csv.Reader
	file   string
	cols   map[string]int
	header []string
}

// row is one data row of a table.
type row struct {
	t      *table
	fields []string
	Line   int
}

// newTable reads the header of r (file names it in reports) and checks that
// it has every column in need. comma is ',' or '\t'.
func newTable(r io.Reader, file string, comma rune, need ...string) (*table, error) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file, want a header row", file)
		}
		return nil, fmt.Errorf("%s:1: header: %w", file, err)
	}
	t := &table{r: cr, file: file, cols: map[string]int{}, header: header}
	for i, h := range header {
		h = strings.TrimPrefix(h, "\ufeff")
		if _, dup := t.cols[h]; !dup {
			t.cols[h] = i
		}
	}
	var missing []string
	for _, n := range need {
		if _, ok := t.cols[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s:1: missing column(s) %s (header has %s)", file, strings.Join(missing, ", "), strings.Join(header, ", "))
	}
	return t, nil
}

// next returns the next row. A malformed row comes back with a non-nil
// *rowError, which the caller drops; io.EOF ends the table.
func (t *table) next() (row, error) {
	rec, err := t.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return row{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				return row{Line: pe.StartLine}, &rowError{line: pe.StartLine, reason: fmt.Sprintf("%d fields, want %d", len(rec), len(t.header))}
			}
			return row{Line: pe.StartLine}, &rowError{line: pe.StartLine, reason: "malformed row: " + pe.Err.Error()}
		}
		return row{}, fmt.Errorf("%s: %w", t.file, err)
	}
	line, _ := t.r.FieldPos(0)
	return row{t: t, fields: rec, Line: line}, nil
}

// rowError is one malformed row: it is dropped and reading goes on.
type rowError struct {
	line   int
	reason string
}

func (e *rowError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// get returns the field in column name, trimmed ("" for an unknown column).
func (r row) get(name string) string {
	i, ok := r.t.cols[name]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return cleanField(strings.TrimSpace(r.fields[i]))
}

// forEachRow reads every row of t into fn, reporting malformed rows in rep.
func forEachRow(t *table, rep *Report, fn func(row) error) error {
	for {
		r, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		rep.RowsRead++
		var re *rowError
		if errors.As(err, &re) {
			rep.drop(t.file, re.line, re.reason)
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}
