package deid

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Record is one note of an input file: its patient, its record id and
// its text.
type Record struct {
	Patient string `json:"patient"`
	Record  string `json:"record"`
	Text    string `json:"text"`
}

const (
	startPrefix = "START_OF_RECORD="
	endLine     = "||||END_OF_RECORD"
)

// maxRecordBytes bounds one record (and one JSON line) read from outside.
const maxRecordBytes = 8 << 20

// ReadPhysioNet reads the PhysioNet deid format: records, each a line
// `START_OF_RECORD=<patient>||||<record>||||`, the note, and a line
// `||||END_OF_RECORD`. A record's text starts at the first character after
// the START_OF_RECORD line and ends with the newline before the END line.
// Blank lines between records are allowed; anything else outside a record
// is an error naming its line.
func ReadPhysioNet(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	var (
		out  []Record
		cur  *Record
		text strings.Builder
		line int
	)
	for {
		s, err := br.ReadString('\n')
		if s == "" && err != nil {
			if err != io.EOF {
				return nil, fmt.Errorf("line %d: %w", line+1, err)
			}
			break
		}
		line++
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("line %d: not valid UTF-8", line)
		}
		body := strings.TrimRight(s, "\r\n")
		switch {
		case strings.HasPrefix(body, startPrefix):
			if cur != nil {
				return nil, fmt.Errorf("line %d: START_OF_RECORD inside record %s||||%s (no END_OF_RECORD before it)", line, cur.Patient, cur.Record)
			}
			f := strings.Split(strings.TrimPrefix(body, startPrefix), "||||")
			if len(f) != 3 || f[0] == "" || f[1] == "" || f[2] != "" {
				return nil, fmt.Errorf("line %d: want START_OF_RECORD=<patient>||||<record>||||", line)
			}
			cur = &Record{Patient: f[0], Record: f[1]}
			text.Reset()
		case body == endLine:
			if cur == nil {
				return nil, fmt.Errorf("line %d: END_OF_RECORD outside a record", line)
			}
			cur.Text = text.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			if text.Len()+len(s) > maxRecordBytes {
				return nil, fmt.Errorf("line %d: record %s||||%s longer than %d bytes", line, cur.Patient, cur.Record, maxRecordBytes)
			}
			text.WriteString(s)
		case strings.TrimSpace(body) != "":
			return nil, fmt.Errorf("line %d: text outside a record (want START_OF_RECORD=...)", line)
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: record %s||||%s has no END_OF_RECORD", line, cur.Patient, cur.Record)
	}
	return out, nil
}

// WritePhysioNet writes records in the PhysioNet deid format. A text that
// does not end with a newline gets one, so the END line stands alone.
func WritePhysioNet(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	for _, r := range recs {
		fmt.Fprintf(bw, "%s%s||||%s||||\n", startPrefix, r.Patient, r.Record)
		bw.WriteString(r.Text)
		if !strings.HasSuffix(r.Text, "\n") {
			bw.WriteByte('\n')
		}
		bw.WriteString(endLine + "\n")
	}
	return bw.Flush()
}

// ReadJSONL reads one {"patient", "record", "text"} object per line; a
// missing record id is the line number, a missing text an error.
func ReadJSONL(r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxRecordBytes)
	var out []Record
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var rec struct {
			Patient *string `json:"patient"`
			Record  *string `json:"record"`
			Text    *string `json:"text"`
		}
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("line %d: more than one JSON value", line)
		}
		if rec.Text == nil {
			return nil, fmt.Errorf("line %d: no \"text\"", line)
		}
		r := Record{Text: *rec.Text, Record: strconv.Itoa(line)}
		if rec.Patient != nil {
			r.Patient = *rec.Patient
		}
		if rec.Record != nil {
			r.Record = *rec.Record
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("jsonl: %w", err)
	}
	return out, nil
}

// GoldSpan is one line of a gold file.
type GoldSpan struct {
	Patient, Record string
	Span
}

// ReadGold reads a gold file of lines `<patient> <record> <start> <end>
// <type> <text>` (text may hold spaces and may be empty; blank lines and
// lines starting with # are skipped). Unknown types are kept as they are
// and score as IDs.
func ReadGold(r io.Reader) ([]GoldSpan, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []GoldSpan
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.SplitN(s, " ", 6)
		if len(f) < 5 {
			return nil, fmt.Errorf("line %d: want <patient> <record> <start> <end> <type> <text>", line)
		}
		st, err1 := strconv.Atoi(f[2])
		en, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || st < 0 || en < st {
			return nil, fmt.Errorf("line %d: start %q and end %q must be numbers with 0 <= start <= end", line, f[2], f[3])
		}
		typ, ok := ParseType(strings.ToUpper(f[4]))
		if !ok {
			typ = Type(strings.ToUpper(f[4]))
		}
		g := GoldSpan{Patient: f[0], Record: f[1], Span: Span{Start: st, End: en, Type: typ}}
		if len(f) == 6 {
			g.Text = f[5]
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gold: %w", err)
	}
	return out, nil
}

// WriteGold writes spans as gold lines. Newlines inside a span's text are
// written as spaces, so that each span stays on one line.
func WriteGold(w io.Writer, spans []GoldSpan) error {
	bw := bufio.NewWriter(w)
	for _, g := range spans {
		t := strings.NewReplacer("\n", " ", "\r", " ").Replace(g.Text)
		fmt.Fprintf(bw, "%s %s %d %d %s %s\n", g.Patient, g.Record, g.Start, g.End, g.Type, t)
	}
	return bw.Flush()
}
