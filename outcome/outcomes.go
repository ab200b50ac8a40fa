package outcome

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Outcome is one row of a PhysioNet 2012 outcomes file. -1 marks a missing
// integer field, as in the source.
type Outcome struct {
	RecordID     string
	SAPS1        int
	SOFA         int
	LengthOfStay int
	Survival     int
	Death        bool // In-hospital_death == 1
}

const outcomesHeader = "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death"

// ParseOutcomes reads an outcomes file (header
// "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death") into a
// map keyed by RecordID. A malformed line or a repeated RecordID is an error
// naming the line.
func ParseOutcomes(r io.Reader) (map[string]Outcome, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<16)
	out := map[string]Outcome{}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
			if text != outcomesHeader {
				return nil, fmt.Errorf("outcomes:1: header is not %q", outcomesHeader)
			}
			continue
		}
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 6 {
			return nil, fmt.Errorf("outcomes:%d: %d fields, want 6", line, len(f))
		}
		id := strings.TrimSpace(f[0])
		if !validID(id) {
			return nil, fmt.Errorf("outcomes:%d: bad RecordID", line)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("outcomes:%d: RecordID repeated", line)
		}
		var n [5]int
		for i := range n {
			v, err := strconv.Atoi(strings.TrimSpace(f[i+1]))
			if err != nil {
				return nil, fmt.Errorf("outcomes:%d: field %d is not an integer", line, i+2)
			}
			n[i] = v
		}
		if n[4] != 0 && n[4] != 1 {
			return nil, fmt.Errorf("outcomes:%d: In-hospital_death is %d, want 0 or 1", line, n[4])
		}
		out[id] = Outcome{RecordID: id, SAPS1: n[0], SOFA: n[1], LengthOfStay: n[2], Survival: n[3], Death: n[4] == 1}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("outcomes:%d: %w", line+1, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("outcomes: empty file")
	}
	return out, nil
}
