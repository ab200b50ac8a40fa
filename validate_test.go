package galen_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

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
