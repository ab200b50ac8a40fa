package text

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/galenhealth/galen"
)

// ReadCSVFile reads ReadCSV's format from a file, gunzipping a name that
// ends in ".gz".
func ReadCSVFile(path, textCol, labelCol string) ([]Example, ReadReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ReadReport{}, galen.Errorf(galen.EINVALID, "%v", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, ReadReport{}, galen.Errorf(galen.EINVALID, "%s: %v", path, err)
		}
		defer zr.Close()
		r = zr
	}
	ex, rep, err := ReadCSV(r, textCol, labelCol)
	if err != nil {
		return nil, rep, galen.Errorf(galen.ErrorCode(err), "%s: %s", path, galen.ErrorMessage(err))
	}
	return ex, rep, nil
}

// WriteSplit writes the split of ex as CSV (line, split, label, text), the
// file the scikit-learn peer (bench/text-sklearn.py) reads.
func WriteSplit(w io.Writer, ex []Example, s Split) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"line", "split", "label", "text"}); err != nil {
		return err
	}
	for _, part := range []struct {
		name string
		idx  []int
	}{{"train", s.Train}, {"validation", s.Validation}, {"test", s.Test}} {
		for _, i := range part.idx {
			e := ex[i]
			if err := cw.Write([]string{strconv.Itoa(e.Line), part.name, e.Label, e.Text}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
