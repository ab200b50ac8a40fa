package deid

import (
	"context"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
)

func TestOIPPredictor(t *testing.T) {
	p, err := Loader(context.Background(), nil, BuiltinArtifact())
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Infer(context.Background(), []galen.Tensor{{Name: "text", Datatype: galen.DatatypeBYTES, Shape: []int64{1}, Strings: []string{"Seen by Dr. Abernathy on 3/4/98."}}})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Strings[0] != "Seen by Dr. [**NAME**] on [**DATE**]." || !strings.Contains(out[1].Strings[0], `"type":"NAME"`) || strings.Contains(out[1].Strings[0], "Abernathy") {
		t.Errorf("got %q %q", out[0].Strings, out[1].Strings)
	}
	for _, bad := range [][]galen.Tensor{nil, {{Name: "x", Datatype: galen.DatatypeBYTES, Shape: []int64{1}, Strings: []string{"a"}}}, {{Name: "text", Datatype: galen.DatatypeFP32, Shape: []int64{1}, Floats: []float64{1}}}} {
		if _, err := p.Infer(context.Background(), bad); galen.ErrorCode(err) != galen.EINVALID {
			t.Errorf("%v: got %v, want EINVALID", bad, err)
		}
	}
	if _, err := Loader(context.Background(), nil, []byte("junk")); galen.ErrorCode(err) != galen.EINVALID {
		t.Errorf("junk artifact: %v", err)
	}
}
