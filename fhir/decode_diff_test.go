package fhir

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// diffCases are documents on which the decoder and the reference decoder
// of reference_test.go must agree, with the test data and jsonCases.
var diffCases = []string{
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e400}}}]}`,
	`{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"Patient","birthDate":"2000-02"}}]}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection"}}]}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","foo":1,"zz":null,"_bogus":{},"_status":{},"modifierExtension":[{"url":"x"}],"valueQuantity":{"value":"72"}}}]}`,
	`{"resourceType":"Bundle","type":"collection","type":"bag","entry":[1,null,"x",{"resource":null},{"resource":[]},{"fullUrl":""}]}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","status":"bad","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","code":" "},2,{"userSelected":"yes"}]},"valueQuantity":{"value":1,"value":2.50,"comparator":"~"},"valueString":"x","valueString":"y","effectiveDateTime":"2012-05-01T08:07:00","effectivePeriod":{"start":"2012"},"valueInteger":3000000000}}]}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"bp"},"component":[{"code":{"text":"s"},"valueQuantity":{"value":120}},{"valueBoolean":1,"valueInteger":-0},{}],"category":[],"interpretation":[{"text":"h"}],"note":[{"time":"2012-05-01"},{"text":"n"}],"subject":{"reference":"Patient/1","identifier":{}},"encounter":"e","issued":"2012-05-01T08:07:00+14:00","dataAbsentReason":{"text":"x"}}}]}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","id":"c1","note":"<b>&\u2028\ud800 caf\u00e9","n":[1.50,-0,1E3,{"a":{}}],"dup":1,"dup":2}}]}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Widget"}},{"resource":{"resourceType":3}},{"resource":{"resourceType":null}},{"resource":{}}]}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/1"},"prediction":[{"probabilityDecimal":101,"probabilityRange":{},"whenPeriod":{"end":"x"}}],"basis":[{"reference":"Observation/1"},{}],"occurrenceDateTime":"2012","occurrencePeriod":{}}}]}`,
	`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","location":["a",""," ",1],"expression":["x"],"details":{"text":"d"}}]}`,
	`{"resourceType":"OperationOutcome"}`,
	`{"resourceType":"Patient","gender":"f","birthDate":"14/03/1958","deceasedBoolean":true,"deceasedDateTime":"2000","multipleBirthBoolean":true,"multipleBirthInteger":2,"active":null}`,
	`{"resourceType":"Patient","\u0069d":"p\"1","gender":"\u006dale"}`,
	`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"\t"},"valueString":"\u00a0","id":"\u0020"}}]}`,
	`{"resourceType":"Bundle"}`, `{"resourceType":"Patient"}`, `{"type":"collection"}`, `{"resourceType":"Bun\u0064le","type":"collection"}`,
	`[]`, `"x"`, `null`, `  `, `{"resourceType":"Bundle",`, "{\n \"a\": tru }", `{"resourceType":"Bundle","type":"collection"} {}`,
}

// decodeBoth runs the decoder and the reference on data and fails when
// they disagree on the value or the issues, for Decode and DecodeBundle.
func decodeBoth(tb testing.TB, data []byte) {
	tb.Helper()
	got, gerr := Decode(data)
	want, werr := refDecodeDoc(data)
	sameResult(tb, "Decode", data, got, gerr, want, werr)
	gotB, gerr := DecodeBundle(data)
	wantB, werr := refDecodeBundleDoc(data)
	sameResult(tb, "DecodeBundle", data, gotB, gerr, wantB, werr)
}

func sameResult(tb testing.TB, fn string, data []byte, got any, gerr error, want any, werr error) {
	tb.Helper()
	if (gerr == nil) != (werr == nil) {
		tb.Fatalf("%s(%q): error %v, reference error %v", fn, data, gerr, werr)
	}
	if werr != nil {
		var ge, we *Error
		if !errors.As(gerr, &ge) || !errors.As(werr, &we) {
			tb.Fatalf("%s(%q): errors %T and %T are not both *Error", fn, data, gerr, werr)
		}
		if !reflect.DeepEqual(ge.Issues, we.Issues) {
			tb.Fatalf("%s(%q): issues\n%q\nreference\n%q", fn, data, ge.Issues, we.Issues)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s(%q): got %#v, reference %#v", fn, data, got, want)
	}
}

func diffSeeds(tb testing.TB) []string {
	tb.Helper()
	seeds := append([]string{}, diffCases...)
	seeds = append(seeds, jsonCases...)
	for _, name := range []string{"testdata/icu-bundle.json", "testdata/riskassessment.json", "testdata/operationoutcome.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	return seeds
}

func TestDecodeMatchesReference(t *testing.T) {
	for _, s := range diffSeeds(t) {
		name := s
		if len(name) > 50 {
			name = name[:50]
		}
		t.Run(name, func(t *testing.T) {
			decodeBoth(t, []byte(s))
		})
	}
	t.Run("deep nesting", func(t *testing.T) {
		for _, n := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
			decodeBoth(t, []byte(`{"resourceType":"Condition","x":`+strings.Repeat("[", n)+strings.Repeat("]", n)+`}`))
		}
	})
}

// FuzzDecodeDifferential checks the decoder against the reference decoder
// on any input: the same resource, or the same issues.
func FuzzDecodeDifferential(f *testing.F) {
	for _, s := range diffSeeds(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeBoth(t, data)
	})
}

// BenchmarkDecodeBundle compares the decoder with the reference on a
// Bundle of 300 Observations.
func BenchmarkDecodeBundle(b *testing.B) {
	var entries []string
	for i := range 300 {
		entries = append(entries, `{"fullUrl":"urn:uuid:o`+strconv.Itoa(i)+`","resource":{"resourceType":"Observation","id":"o`+strconv.Itoa(i)+
			`","status":"final","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},`+
			`"effectiveDateTime":"2012-05-01T`+fmt.Sprintf("%02d:%02d", i/60%24, i%60)+`:00Z","valueQuantity":{"value":`+strconv.Itoa(60+i%40)+`.5,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}}`)
	}
	data := []byte(`{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(entries, ",") + `]}`)
	for _, bm := range []struct {
		name   string
		decode func([]byte) (*Bundle, error)
	}{{"nodes", DecodeBundle}, {"reference", refDecodeBundleDoc}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
