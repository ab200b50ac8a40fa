package outcome

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ReadReport counts what a reader saw and skipped. It holds parameter names
// and counts only, never patient values.
type ReadReport struct {
	Files        int
	Observations int
	Unknown      map[string]int // unknown parameter name -> lines dropped
}

func (r *ReadReport) add(s *Stay, unknown map[string]int) {
	r.Files++
	r.Observations += len(s.Observations)
	for k, n := range unknown {
		if r.Unknown == nil {
			r.Unknown = map[string]int{}
		}
		r.Unknown[k] += n
	}
}

// ReadRecords reads every record file (*.txt) of a directory, or of a .tar.gz
// (.tgz) archive, sorted by file name.
func ReadRecords(ctx context.Context, p string) ([]*Stay, ReadReport, error) {
	var rep ReadReport
	fi, err := os.Stat(p)
	if err != nil {
		return nil, rep, fmt.Errorf("read records: %w", err)
	}
	var stays []*Stay
	if fi.IsDir() {
		names, err := filepath.Glob(filepath.Join(p, "*.txt"))
		if err != nil {
			return nil, rep, fmt.Errorf("read records: %w", err)
		}
		sort.Strings(names)
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return nil, rep, err
			}
			f, err := os.Open(name)
			if err != nil {
				return nil, rep, fmt.Errorf("read records: %w", err)
			}
			s, unk, err := ParseRecord(filepath.Base(name), f)
			f.Close()
			if err != nil {
				return nil, rep, err
			}
			rep.add(s, unk)
			stays = append(stays, s)
		}
	} else {
		f, err := os.Open(p)
		if err != nil {
			return nil, rep, fmt.Errorf("read records: %w", err)
		}
		defer f.Close()
		stays, rep, err = readTarGz(ctx, f)
		if err != nil {
			return nil, rep, fmt.Errorf("read records %s: %w", filepath.Base(p), err)
		}
	}
	if len(stays) == 0 {
		return nil, rep, fmt.Errorf("read records: no *.txt record files in %s", filepath.Base(p))
	}
	seen := map[string]bool{}
	for _, s := range stays {
		if seen[s.RecordID] {
			return nil, rep, fmt.Errorf("read records: a RecordID occurs in two files")
		}
		seen[s.RecordID] = true
	}
	return stays, rep, nil
}

func readTarGz(ctx context.Context, r io.Reader) ([]*Stay, ReadReport, error) {
	var rep ReadReport
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, rep, fmt.Errorf("not a gzip file: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	type named struct {
		name string
		s    *Stay
	}
	var all []named
	for {
		if err := ctx.Err(); err != nil {
			return nil, rep, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, rep, err
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".txt") {
			continue
		}
		base := path.Base(h.Name)
		if strings.HasPrefix(base, "._") { // macOS resource forks
			continue
		}
		s, unk, err := ParseRecord(base, tr)
		if err != nil {
			return nil, rep, err
		}
		rep.add(s, unk)
		all = append(all, named{h.Name, s})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	stays := make([]*Stay, len(all))
	for i, n := range all {
		stays[i] = n.s
	}
	return stays, rep, nil
}

// Dataset is a set of stays with their in-hospital death labels.
type Dataset struct {
	Stays  []*Stay
	Deaths []bool
	Report ReadReport
}

// Positives returns the number of deaths.
func (d *Dataset) Positives() int { return countDeaths(d.Deaths) }

// countDeaths returns how many of deaths are true.
func countDeaths(deaths []bool) int {
	n := 0
	for _, y := range deaths {
		if y {
			n++
		}
	}
	return n
}

// LoadDataset reads the records at recordsPath (directory or .tar.gz) and
// the outcomes file, and joins them by RecordID. A stay without an outcome
// is an error; outcomes without a stay are ignored.
func LoadDataset(ctx context.Context, recordsPath, outcomesPath string) (*Dataset, error) {
	stays, rep, err := ReadRecords(ctx, recordsPath)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(outcomesPath)
	if err != nil {
		return nil, fmt.Errorf("read outcomes: %w", err)
	}
	defer f.Close()
	outs, err := ParseOutcomes(f)
	if err != nil {
		return nil, fmt.Errorf("read outcomes %s: %w", filepath.Base(outcomesPath), err)
	}
	d := &Dataset{Stays: stays, Deaths: make([]bool, len(stays)), Report: rep}
	missing := 0
	for i, s := range stays {
		o, ok := outs[s.RecordID]
		if !ok {
			missing++
			continue
		}
		d.Deaths[i] = o.Death
	}
	if missing > 0 {
		return nil, fmt.Errorf("join outcomes: %d of %d stays have no outcome row", missing, len(stays))
	}
	return d, nil
}
