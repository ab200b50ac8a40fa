package galen_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

const (
	badUTF8 = "a\xffb"
	nul     = "a\x00b"
)

// checkInvalid fails unless err matches want: nil for want "", otherwise an
// *galen.Error with code EINVALID and exactly the message want.
func checkInvalid(tb testing.TB, err error, want string) {
	tb.Helper()
	if want == "" {
		if err != nil {
			tb.Fatalf("err = %v, want nil", err)
		}
		return
	}
	var e *galen.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err = %v (%T), want *galen.Error", err, err)
	}
	if e.Code != galen.EINVALID {
		tb.Errorf("code = %q, want %q", e.Code, galen.EINVALID)
	}
	if e.Message != want {
		tb.Errorf("message =\n\t%q\nwant\n\t%q", e.Message, want)
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"simple", "icu-mortality", true},
		{"digits first", "3d.unet_v2", true},
		{"one char", "m", true},
		{"64 chars", strings.Repeat("m", 64), true},
		{"empty", "", false},
		{"65 chars", strings.Repeat("m", 65), false},
		{"upper case", "ICU", false},
		{"leading dash", "-x", false},
		{"leading dot", ".x", false},
		{"leading underscore", "_x", false},
		{"space", "icu mortality", false},
		{"slash", "icu/mortality", false},
		{"non-ascii", "modèle", false},
		{"nul", "m\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := galen.ValidName(tt.s); got != tt.want {
				t.Errorf("ValidName(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestIsVersionNumber(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"one", "1", true},
		{"many digits", "0012", true},
		{"too large for int still digits", "99999999999999999999", true},
		{"empty", "", false},
		{"alias", "production", false},
		{"sign", "-1", false},
		{"mixed", "1a", false},
		{"arabic-indic digit", "١", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := galen.IsVersionNumber(tt.s); got != tt.want {
				t.Errorf("IsVersionNumber(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestValidateAliasName(t *testing.T) {
	msg := func(s string) string {
		return `alias "` + s + `" must be 1 to 64 lower-case letters, digits, '-', '_' or '.', start with a letter or digit, and not be a number`
	}
	tests := []struct {
		name  string
		alias string
		want  string
	}{
		{"word", "production", ""},
		{"digit first", "2024-q1", ""},
		{"number", "3", msg("3")},
		{"empty", "", msg("")},
		{"space", "prod uction", msg("prod uction")},
		{"upper case", "Production", msg("Production")},
		{"too long", strings.Repeat("a", 65), msg(strings.Repeat("a", 65))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, galen.ValidateAliasName(tt.alias), tt.want)
		})
	}
}

func TestValidText(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"empty", "", true},
		{"ascii", "outcome", true},
		{"unicode", "Überwachung ✓", true},
		{"invalid utf-8", badUTF8, false},
		{"nul", nul, false},
		{"lone continuation byte", "\x80", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := galen.ValidText(tt.s); got != tt.want {
				t.Errorf("ValidText(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestValidSHA256(t *testing.T) {
	sum := sha256.Sum256([]byte("secret"))
	good := hex.EncodeToString(sum[:])
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"sha-256", good, true},
		{"empty", "", false},
		{"upper case", strings.ToUpper(good), false},
		{"short", good[:63], false},
		{"long", good + "0", false},
		{"not hex", strings.Repeat("g", 64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := galen.ValidSHA256(tt.s); got != tt.want {
				t.Errorf("ValidSHA256(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestModelValidate(t *testing.T) {
	nameMsg := `model name "ICU" must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit`
	tests := []struct {
		name  string
		model galen.Model
		want  string
	}{
		{"good", galen.Model{Name: "icu-mortality", Task: "outcome", Description: "in-hospital mortality"}, ""},
		{"name only", galen.Model{Name: "m"}, ""},
		{"bad name", galen.Model{Name: "ICU"}, nameMsg},
		{"bad name wins over bad text", galen.Model{Name: "ICU", Task: nul}, nameMsg},
		{"bad task", galen.Model{Name: "m", Task: badUTF8}, "model: task must be UTF-8 text without NUL bytes"},
		{"bad task and description", galen.Model{Name: "m", Task: nul, Description: badUTF8},
			"model: task must be UTF-8 text without NUL bytes; description must be UTF-8 text without NUL bytes"},
		// Issue 7 item 5: sizes are bounded (4096 and 1024 bytes, by hand).
		{"description at the limit", galen.Model{Name: "m", Description: strings.Repeat("d", 4096)}, ""},
		{"description over the limit", galen.Model{Name: "m", Description: strings.Repeat("d", 4097)},
			"model: description is 4097 bytes, over the limit of 4096"},
		{"task over the limit", galen.Model{Name: "m", Task: strings.Repeat("t", 1025)},
			"model: task is 1025 bytes, over the limit of 1024"},
		// Issue 7 item 2: a huge name is not quoted back.
		{"huge name not quoted", galen.Model{Name: strings.Repeat("a", 5<<20)},
			"model name of 5242880 bytes must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.model.Validate(), tt.want)
		})
	}
}

func TestModelVersionValidate(t *testing.T) {
	card := galen.ModelCard{Task: "outcome", TrainingData: "synthetic", DataLicense: "CC0-1.0"}
	with := func(f func(v *galen.ModelVersion)) galen.ModelVersion {
		v := galen.ModelVersion{ModelName: "m", Format: "test/v1", Card: card}
		f(&v)
		return v
	}
	tests := []struct {
		name     string
		version  galen.ModelVersion
		artifact []byte
		want     string
	}{
		{"good", with(func(*galen.ModelVersion) {}), []byte("x"), ""},
		{"model name not checked", with(func(v *galen.ModelVersion) { v.ModelName = "Not A Name" }), []byte("x"), ""},
		{"empty artifact", with(func(*galen.ModelVersion) {}), nil, "model version: artifact is empty"},
		{"no format", with(func(v *galen.ModelVersion) { v.Format = "" }), []byte("x"), "model version: format is required"},
		{"blank training data", with(func(v *galen.ModelVersion) { v.Card.TrainingData = " \t" }), []byte("x"),
			"model version: card.training_data is required"},
		{"everything missing", galen.ModelVersion{}, nil,
			"model version: artifact is empty; format is required; card.task is required; " +
				"card.training_data is required; card.data_license is required"},
		{"bad text", with(func(v *galen.ModelVersion) { v.CreatedBy = nul; v.Card.Limitations = badUTF8 }), []byte("x"),
			"model version: created_by must be UTF-8 text without NUL bytes; card.limitations must be UTF-8 text without NUL bytes"},
		{"bad and blank", with(func(v *galen.ModelVersion) { v.Format = nul + " "; v.Card.DataLicense = "" }), []byte("x"),
			"model version: card.data_license is required; format must be UTF-8 text without NUL bytes"},
		{"bad metric names, in order", with(func(v *galen.ModelVersion) {
			v.Card.Metrics = map[string]float64{"auroc": 0.8, "z\x00": 1, "a\xff": 2}
		}), []byte("x"),
			`model version: card.metrics name "a\xff" must be UTF-8 text without NUL bytes; ` +
				`card.metrics name "z\x00" must be UTF-8 text without NUL bytes`},
		// Issue 7 item 5: card sizes are bounded (limits by hand: 16384,
		// 1024, 256 metrics, 128-byte names).
		{"limitations at the limit", with(func(v *galen.ModelVersion) { v.Card.Limitations = strings.Repeat("l", 16384) }), []byte("x"), ""},
		{"20 MB limitations", with(func(v *galen.ModelVersion) { v.Card.Limitations = strings.Repeat("l", 20<<20) }), []byte("x"),
			"model version: card.limitations is 20971520 bytes, over the limit of 16384"},
		{"long split and intended use", with(func(v *galen.ModelVersion) {
			v.Card.Split = strings.Repeat("s", 1025)
			v.Card.IntendedUse = strings.Repeat("u", 16385)
		}), []byte("x"),
			"model version: card.split is 1025 bytes, over the limit of 1024; card.intended_use is 16385 bytes, over the limit of 16384"},
		{"256 metrics", with(func(v *galen.ModelVersion) { v.Card.Metrics = metrics(256) }), []byte("x"), ""},
		{"100000 metrics", with(func(v *galen.ModelVersion) { v.Card.Metrics = metrics(100000) }), []byte("x"),
			"model version: card.metrics has 100000 entries, over the limit of 256"},
		{"long metric name", with(func(v *galen.ModelVersion) { v.Card.Metrics = map[string]float64{strings.Repeat("m", 129): 1} }), []byte("x"),
			"model version: card.metrics name of 129 bytes is over the limit of 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.version.Validate(tt.artifact), tt.want)
		})
	}
}

func TestAPIKeyValidate(t *testing.T) {
	sum := sha256.Sum256([]byte("secret"))
	hash := hex.EncodeToString(sum[:])
	tests := []struct {
		name string
		key  galen.APIKey
		want string
	}{
		{"good", galen.APIKey{ID: "k1", Name: "ward 3", Role: galen.RoleClinician, Prefix: "gk_abcd", Hash: hash}, ""},
		{"no name", galen.APIKey{ID: "k1", Role: galen.RoleAuditor, Prefix: "gk_abcd", Hash: hash}, ""},
		{"unknown role", galen.APIKey{ID: "k1", Role: "janitor", Prefix: "gk_abcd", Hash: hash},
			`api key: role "janitor" is not one of admin, clinician, scientist, auditor`},
		{"no role", galen.APIKey{ID: "k1", Prefix: "gk_abcd", Hash: hash},
			`api key: role "" is not one of admin, clinician, scientist, auditor`},
		{"no id", galen.APIKey{Role: galen.RoleAdmin, Prefix: "gk_abcd", Hash: hash}, "api key: id is required"},
		{"hash not sha-256", galen.APIKey{ID: "k1", Role: galen.RoleAdmin, Prefix: "gk_abcd", Hash: "secret"},
			"api key: hash must be a lower-case hex SHA-256"},
		{"empty", galen.APIKey{},
			`api key: id is required; role "" is not one of admin, clinician, scientist, auditor; ` +
				"prefix is required; hash must be a lower-case hex SHA-256"},
		{"bad text", galen.APIKey{ID: nul, Name: badUTF8, Role: galen.RoleAdmin, Prefix: "gk_abcd", Hash: hash},
			"api key: id must be UTF-8 text without NUL bytes; name must be UTF-8 text without NUL bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.key.Validate(), tt.want)
		})
	}
}

func TestModelFilterValidate(t *testing.T) {
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name   string
		filter galen.ModelFilter
		want   string
	}{
		{"zero", galen.ModelFilter{}, ""},
		{"page and fields", galen.ModelFilter{Name: ptr("m"), Task: ptr("outcome"), Offset: 10, Limit: 5}, ""},
		{"field need not be a valid name", galen.ModelFilter{Name: ptr("Not A Name")}, ""},
		{"negative offset", galen.ModelFilter{Offset: -1}, "offset must not be negative, got -1"},
		{"negative limit", galen.ModelFilter{Limit: -2}, "limit must not be negative, got -2"},
		{"page checked first", galen.ModelFilter{Offset: -1, Task: ptr(nul)}, "offset must not be negative, got -1"},
		{"bad name and task", galen.ModelFilter{Name: ptr(badUTF8), Task: ptr(nul)},
			"find models: name filter must be UTF-8 text without NUL bytes; task filter must be UTF-8 text without NUL bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.filter.Validate(), tt.want)
		})
	}
}

func TestAuditFilterValidate(t *testing.T) {
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name   string
		filter galen.AuditFilter
		want   string
	}{
		{"zero", galen.AuditFilter{}, ""},
		{"fields", galen.AuditFilter{KeyID: ptr("k1"), Model: ptr("m"), Limit: 3}, ""},
		{"negative offset", galen.AuditFilter{Offset: -5}, "offset must not be negative, got -5"},
		{"negative limit", galen.AuditFilter{Limit: -1}, "limit must not be negative, got -1"},
		{"bad model", galen.AuditFilter{Model: ptr(badUTF8)}, "find audit events: model filter must be UTF-8 text without NUL bytes"},
		{"bad key and model", galen.AuditFilter{KeyID: ptr(nul), Model: ptr(nul)},
			"find audit events: key filter must be UTF-8 text without NUL bytes; model filter must be UTF-8 text without NUL bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.filter.Validate(), tt.want)
		})
	}
}

// FuzzNames checks that the name rules agree with one another for any input:
// a valid name is valid text, an alias is a valid name that is not a number,
// and Model.Validate accepts exactly the valid names.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"", "m", "icu-mortality", "3", "Production", "-x", "a\x00", "a\xff", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := galen.ValidName(s)
		if valid && !galen.ValidText(s) {
			t.Errorf("ValidName(%q) but not ValidText", s)
		}
		if got, want := galen.ValidateAliasName(s) == nil, valid && !galen.IsVersionNumber(s); got != want {
			t.Errorf("ValidateAliasName(%q) accepted = %v, want %v", s, got, want)
		}
		m := galen.Model{Name: s, Task: s}
		if err := m.Validate(); (err == nil) != valid {
			t.Errorf("Model{Name: %q}.Validate() = %v, ValidName = %v", s, err, valid)
		} else if err != nil && galen.ErrorCode(err) != galen.EINVALID {
			t.Errorf("Model.Validate code = %q, want %q", galen.ErrorCode(err), galen.EINVALID)
		}
	})
}

func TestStorableText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"valid", "héllo", "héllo"},
		{"nul dropped", "a\x00b", "ab"},
		{"bad utf-8 replaced", "a\xffb", "a\uFFFDb"},
		{"both", "\x00\xfe\xff", "\uFFFD"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := galen.StorableText(tt.in)
			if got != tt.want {
				t.Errorf("StorableText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !galen.ValidText(got) {
				t.Errorf("StorableText(%q) = %q is not valid text", tt.in, got)
			}
		})
	}
}

// metrics returns n distinct metrics.
func metrics(n int) map[string]float64 {
	m := make(map[string]float64, n)
	for i := range n {
		m["metric_"+strconv.Itoa(i)] = float64(i)
	}
	return m
}

// TestAuditEventBound pins issue 7 item 2: every text field of an audit
// event is cut to 128 bytes, on a rune boundary, and the largest event
// encodes to at most MaxAuditEventBytes of JSON.
func TestAuditEventBound(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"short kept", "icu-mortality", "icu-mortality"},
		{"128 bytes kept", strings.Repeat("a", 128), strings.Repeat("a", 128)},
		{"129 bytes cut", strings.Repeat("a", 129), strings.Repeat("a", 125) + "…"},
		{"cut on a rune boundary", strings.Repeat("é", 100), strings.Repeat("é", 62) + "…"},
		{"bad text repaired, then cut", "a\x00b\xff", "ab\uFFFD"},
		{"1 MB cut", huge, strings.Repeat("x", 125) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := galen.AuditEvent{KeyID: tt.in, Role: galen.Role(tt.in), Method: tt.in, Route: tt.in, Model: tt.in, InputSHA256: tt.in, Client: tt.in}
			e.Bound()
			for _, got := range []string{e.KeyID, string(e.Role), e.Method, e.Route, e.Model, e.InputSHA256, e.Client} {
				if got != tt.want {
					t.Fatalf("bound field = %q (%d bytes), want %q", got, len(got), tt.want)
				}
			}
		})
	}
	t.Run("largest event", func(t *testing.T) {
		// Every character escaped in JSON as \u00XX (6 bytes per byte) is
		// the worst case of a field of 128 bytes.
		ctl := strings.Repeat("\x01", 1<<20)
		e := galen.AuditEvent{ID: math.MaxInt64, Time: time.Date(2026, 12, 31, 23, 59, 59, 999999000, time.FixedZone("x", -12*3600)),
			KeyID: ctl, Role: galen.Role(ctl), Method: ctl, Route: ctl, Model: ctl, InputSHA256: ctl, Client: ctl,
			ModelVersion: math.MaxInt, Status: 999, LatencyMS: -math.MaxFloat64}
		e.Bound()
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("largest audit event: %d bytes of JSON", len(b))
		if len(b) > galen.MaxAuditEventBytes {
			t.Errorf("largest event is %d bytes, over MaxAuditEventBytes %d", len(b), galen.MaxAuditEventBytes)
		}
	})
}

func TestAuditFilterPageLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"zero is the page bound", 0, 1000},
		{"small kept", 10, 10},
		{"at the bound", 1000, 1000},
		{"over the bound", 1_000_000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (galen.AuditFilter{Limit: tt.limit}).PageLimit(); got != tt.want {
				t.Errorf("PageLimit = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAuditModel(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"valid", "icu-mortality", "icu-mortality"},
		{"empty", "", ""},
		{"upper case", "ICU", "-invalid-"},
		{"1 MB", strings.Repeat("a", 1<<20), "-invalid-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := galen.AuditModel(tt.in); got != tt.want {
				t.Errorf("AuditModel = %q, want %q", got, tt.want)
			}
		})
	}
}
