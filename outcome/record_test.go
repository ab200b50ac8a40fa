package outcome

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galenhealth/galen/internal/testenv"
)

const sampleRecord = `Time,Parameter,Value
00:00,RecordID,132539
00:00,Age,54
00:00,Gender,0
00:00,Height,-1
00:00,ICUType,4
00:00,Weight,-1
00:07,GCS,15
00:07,HR,73
00:07,Weight,80.5
00:37,HR,77
01:00,Frobnitz,3
47:59,Temp,35.1
`

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" = no error
		obs     int
		desc    map[string]float64
		unknown int
	}{
		{name: "sample", in: sampleRecord, obs: 5, desc: map[string]float64{"Age": 54, "Gender": 0, "ICUType": 4}, unknown: 1},
		{name: "crlf", in: strings.ReplaceAll(sampleRecord, "\n", "\r\n"), obs: 5, desc: map[string]float64{"Age": 54, "Gender": 0, "ICUType": 4}, unknown: 1},
		{name: "bad header", in: "T,P,V\n00:00,RecordID,1\n", wantErr: "x.txt:1: header"},
		{name: "two fields", in: "Time,Parameter,Value\n00:00,RecordID,1\n00:05,HR\n", wantErr: "x.txt:3: 2 fields"},
		{name: "bad time", in: "Time,Parameter,Value\n00:00,RecordID,1\n0:5,HR,80\n", wantErr: "x.txt:3: time"},
		{name: "bad minutes", in: "Time,Parameter,Value\n00:00,RecordID,1\n00:75,HR,80\n", wantErr: "x.txt:3: time"},
		{name: "bad value", in: "Time,Parameter,Value\n00:00,RecordID,1\n00:05,HR,eighty\n", wantErr: "x.txt:3: value of HR"},
		{name: "nan value", in: "Time,Parameter,Value\n00:00,RecordID,1\n00:05,HR,NaN\n", wantErr: "x.txt:3: value of HR"},
		{name: "no record id", in: "Time,Parameter,Value\n00:05,HR,80\n", wantErr: "no RecordID"},
		{name: "empty", in: "", wantErr: "empty file"},
		{name: "bad record id", in: "Time,Parameter,Value\n00:00,RecordID,1/2\n", wantErr: "x.txt:2: bad RecordID"},
		{name: "late descriptor weight is an observation", in: "Time,Parameter,Value\n00:00,RecordID,7\n00:00,Weight,70\n00:00,HR,80\n00:00,Weight,71\n", obs: 2, desc: map[string]float64{"Weight": 70}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, unk, err := ParseRecord("x.txt", strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Observations) != tt.obs {
				t.Errorf("observations = %d, want %d", len(s.Observations), tt.obs)
			}
			if len(s.Descriptors) != len(tt.desc) {
				t.Errorf("descriptors = %v, want %v", s.Descriptors, tt.desc)
			}
			for k, v := range tt.desc {
				if s.Descriptors[k] != v {
					t.Errorf("descriptor %s = %v, want %v", k, s.Descriptors[k], v)
				}
			}
			n := 0
			for _, c := range unk {
				n += c
			}
			if n != tt.unknown {
				t.Errorf("unknown = %v, want %d", unk, tt.unknown)
			}
		})
	}
	s, _, _ := ParseRecord("x.txt", strings.NewReader(sampleRecord))
	if last := s.Observations[len(s.Observations)-1]; last.Minutes != 47*60+59 || last.Parameter != "Temp" || last.Value != 35.1 {
		t.Errorf("last observation = %+v", last)
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add(sampleRecord)
	f.Add("Time,Parameter,Value\n00:00,RecordID,1\n48:00,pH,7.4\n")
	f.Add("Time,Parameter,Value\n00:00,RecordID,1\n00:00,RecordID,2\n")
	f.Add("\xef\xbb\xbfTime,Parameter,Value\r\n00:00,RecordID,1\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, unk, err := ParseRecord("f.txt", strings.NewReader(in))
		if err != nil {
			if s != nil || unk != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if s.RecordID == "" {
			t.Fatal("no record id")
		}
		for _, o := range s.Observations {
			if o.Minutes < 0 || o.Parameter == "" {
				t.Fatalf("bad observation %+v", o)
			}
		}
	})
}

func TestParseOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		n       int
	}{
		{name: "ok", in: outcomesHeader + "\n132539,6,1,5,-1,0\n132543,7,1,9,575,1\n", n: 2},
		{name: "bad header", in: "RecordID,Death\n1,0\n", wantErr: "outcomes:1: header"},
		{name: "short", in: outcomesHeader + "\n1,2,3\n", wantErr: "outcomes:2: 3 fields"},
		{name: "not int", in: outcomesHeader + "\n1,2,x,4,5,0\n", wantErr: "outcomes:2: field 3"},
		{name: "bad death", in: outcomesHeader + "\n1,2,3,4,5,2\n", wantErr: "outcomes:2: In-hospital_death"},
		{name: "dup", in: outcomesHeader + "\n1,2,3,4,5,0\n1,2,3,4,5,0\n", wantErr: "outcomes:3: RecordID repeated"},
		{name: "empty", in: "", wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseOutcomes(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m) != tt.n {
				t.Fatalf("len = %d, want %d", len(m), tt.n)
			}
		})
	}
}

func FuzzParseOutcomes(f *testing.F) {
	f.Add(outcomesHeader + "\n132539,6,1,5,-1,0\n")
	f.Add(outcomesHeader + "\r\n1,-1,-1,-1,-1,1\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseOutcomes(strings.NewReader(in))
		if err != nil {
			return
		}
		for id, o := range m {
			if id != o.RecordID || !validID(id) {
				t.Fatalf("bad row %+v", o)
			}
		}
	})
}

// writeTarGz writes files (name -> content) into a .tar.gz at p.
func writeTarGz(tb testing.TB, p string, files map[string]string) {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func TestReadRecordsDirAndTarGz(t *testing.T) {
	dir := t.TempDir()
	rec2 := strings.Replace(sampleRecord, "132539", "132540", 1)
	files := map[string]string{"set/132539.txt": sampleRecord, "set/132540.txt": rec2, "set/README": "x"}
	writeTarGz(t, filepath.Join(dir, "s.tar.gz"), files)
	recDir := filepath.Join(dir, "set")
	if err := os.Mkdir(recDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{recDir, filepath.Join(dir, "s.tar.gz")} {
		stays, rep, err := ReadRecords(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if len(stays) != 2 || stays[0].RecordID != "132539" || stays[1].RecordID != "132540" {
			t.Fatalf("%s: stays %d", p, len(stays))
		}
		if rep.Files != 2 || rep.Unknown["Frobnitz"] != 2 || rep.Observations != 10 {
			t.Errorf("%s: report %+v", p, rep)
		}
	}
	// A malformed file is named in the error.
	if err := os.WriteFile(filepath.Join(recDir, "999.txt"), []byte("Time,Parameter,Value\n00:00,RecordID,999\nbad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadRecords(context.Background(), recDir); err == nil || !strings.Contains(err.Error(), "999.txt:3") {
		t.Errorf("err = %v, want naming 999.txt:3", err)
	}
}

// sharedDataPath returns the path of ../shared/data/physionet2012-set-a,
// found by walking up from the package directory, or "".
func sharedDataPath() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "data", "physionet2012-set-a")
		if _, err := os.Stat(filepath.Join(p, "set-a.tar.gz")); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// sharedData returns the path of ../shared/data/physionet2012-set-a, found by
// walking up from the package directory, or skips the test.
func sharedData(tb testing.TB) string {
	tb.Helper()
	p := sharedDataPath()
	if p == "" {
		testenv.Missing(tb, "shared/data/physionet2012-set-a not found next to the repository; skipping real-data test")
	}
	return p
}

func TestReadRealSetA(t *testing.T) {
	p := sharedData(t)
	d, err := LoadDataset(context.Background(), filepath.Join(p, "set-a.tar.gz"), filepath.Join(p, "Outcomes-a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Stays) != 4000 || d.Positives() != 554 {
		t.Fatalf("stays %d deaths %d, want 4000 and 554", len(d.Stays), d.Positives())
	}
	if len(d.Report.Unknown) != 0 {
		t.Errorf("unknown parameters in set A: %v", d.Report.Unknown)
	}
	// 1,678,892 rows minus 6 descriptor lines per file (set-a has all six).
	if got, want := d.Report.Observations, 1678892-6*4000; got != want {
		t.Errorf("observations = %d, want %d", got, want)
	}
}
