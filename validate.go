package galen

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the domain rules every Store enforces, so that the stores
// agree and callers can check input before it reaches one. Each Validate
// returns nil or an *Error with code EINVALID whose message names every
// problem found.

// Size bounds of what the registry keeps, so that no model, version or
// listing of them grows without limit. The built-in ICU model's card uses
// under a tenth of each (21 metrics, texts under 600 bytes).
const (
	MaxDescriptionBytes = 4 << 10  // Model.Description
	MaxShortTextBytes   = 1 << 10  // Model.Task, ModelVersion.Format, card task, data_license, split
	MaxLongTextBytes    = 16 << 10 // card training_data, intended_use, limitations
	MaxMetrics          = 256      // card metrics
	MaxMetricNameBytes  = 128      // one metric's name
)

// ValidName reports whether s is a valid model or alias name: 1 to 64 of
// a-z, 0-9, '-', '_', '.', starting with a letter or digit.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '-' || c == '_' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// IsVersionNumber reports whether s, the version argument of
// FindModelVersion, is a version number (one or more ASCII digits) rather
// than an alias name.
func IsVersionNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// ValidateAliasName returns EINVALID unless name is a valid name (see
// ValidName) that is not a number, so that it cannot be mistaken for a
// version.
func ValidateAliasName(name string) error {
	if !ValidName(name) || IsVersionNumber(name) {
		return Errorf(EINVALID,
			"alias %q must be 1 to 64 lower-case letters, digits, '-', '_' or '.', start with a letter or digit, and not be a number", name)
	}
	return nil
}

// ValidText reports whether s is text every store can hold: valid UTF-8
// without NUL bytes (PostgreSQL refuses both, and all stores keep to the
// same rule).
func ValidText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// StorableText returns s made valid text: invalid UTF-8 becomes U+FFFD and
// NUL bytes are dropped. Stores use it where text must be kept whatever the
// caller sent, as in audit events.
func StorableText(s string) string {
	if ValidText(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// textProblems names the fields, given as name-value pairs, whose values are
// not valid text.
func textProblems(nameValues ...string) []string {
	var problems []string
	for i := 0; i+1 < len(nameValues); i += 2 {
		if !ValidText(nameValues[i+1]) {
			problems = append(problems, nameValues[i]+" must be UTF-8 text without NUL bytes")
		}
	}
	return problems
}

// ValidSHA256 reports whether s is a lower-case hex SHA-256, as in
// APIKey.Hash and ModelVersion.SHA256.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// invalid returns nil for no problems, else EINVALID with the problems
// joined after prefix.
func invalid(prefix string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return Errorf(EINVALID, "%s: %s", prefix, strings.Join(problems, "; "))
}

// sizeProblems names the fields, given as name-value pairs, whose values are
// longer than max bytes.
func sizeProblems(max int, nameValues ...string) []string {
	var problems []string
	for i := 0; i+1 < len(nameValues); i += 2 {
		if n := len(nameValues[i+1]); n > max {
			problems = append(problems, fmt.Sprintf("%s is %d bytes, over the limit of %d", nameValues[i], n, max))
		}
	}
	return problems
}

// Validate checks a model before it is created: its name (see ValidName)
// first, then that task and description are valid text within
// MaxShortTextBytes and MaxDescriptionBytes. A name that is not valid is
// quoted only when short, so that the error stays small.
func (m *Model) Validate() error {
	if !ValidName(m.Name) {
		name := strconv.Quote(m.Name)
		if len(m.Name) > 64 || !ValidText(m.Name) {
			name = fmt.Sprintf("of %d bytes", len(m.Name))
		}
		return Errorf(EINVALID,
			"model name %s must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit", name)
	}
	problems := textProblems("task", m.Task, "description", m.Description)
	problems = append(problems, sizeProblems(MaxShortTextBytes, "task", m.Task)...)
	problems = append(problems, sizeProblems(MaxDescriptionBytes, "description", m.Description)...)
	return invalid("model", problems)
}

// Validate checks a version and its artifact before they are stored: the
// artifact must not be empty; Format, Card.Task, Card.TrainingData and
// Card.DataLicense must not be blank; every text field, metric names
// included, must be valid text within its size bound (MaxShortTextBytes,
// MaxLongTextBytes, MaxMetricNameBytes); and the card holds at most
// MaxMetrics metrics. ModelName is not checked here: a store
// answers ENOTFOUND for a model that cannot exist.
func (v *ModelVersion) Validate(artifact []byte) error {
	var problems []string
	if len(artifact) == 0 {
		problems = append(problems, "artifact is empty")
	}
	c := v.Card
	for _, f := range []struct{ name, value string }{
		{"format", v.Format},
		{"card.task", c.Task},
		{"card.training_data", c.TrainingData},
		{"card.data_license", c.DataLicense},
	} {
		if strings.TrimSpace(f.value) == "" {
			problems = append(problems, f.name+" is required")
		}
	}
	problems = append(problems, textProblems("format", v.Format, "created_by", v.CreatedBy,
		"card.task", c.Task, "card.training_data", c.TrainingData, "card.data_license", c.DataLicense,
		"card.split", c.Split, "card.intended_use", c.IntendedUse, "card.limitations", c.Limitations)...)
	problems = append(problems, sizeProblems(MaxShortTextBytes, "format", v.Format, "created_by", v.CreatedBy,
		"card.task", c.Task, "card.data_license", c.DataLicense, "card.split", c.Split)...)
	problems = append(problems, sizeProblems(MaxLongTextBytes, "card.training_data", c.TrainingData,
		"card.intended_use", c.IntendedUse, "card.limitations", c.Limitations)...)
	if len(c.Metrics) > MaxMetrics {
		problems = append(problems, fmt.Sprintf("card.metrics has %d entries, over the limit of %d", len(c.Metrics), MaxMetrics))
	} else {
		for _, name := range slices.Sorted(maps.Keys(c.Metrics)) {
			if len(name) > MaxMetricNameBytes {
				problems = append(problems, fmt.Sprintf("card.metrics name of %d bytes is over the limit of %d", len(name), MaxMetricNameBytes))
				continue
			}
			problems = append(problems, textProblems("card.metrics name "+strconv.Quote(name), name)...)
		}
	}
	return invalid("model version", problems)
}

// Validate checks a key before it is stored: ID and Prefix are required,
// Role must be known, Hash must be a lower-case hex SHA-256, and ID, Name and
// Prefix must be valid text.
func (k *APIKey) Validate() error {
	var problems []string
	if k.ID == "" {
		problems = append(problems, "id is required")
	}
	if !k.Role.Valid() {
		roles := make([]string, len(Roles))
		for i, r := range Roles {
			roles[i] = string(r)
		}
		problems = append(problems, `role "`+string(k.Role)+`" is not one of `+strings.Join(roles, ", "))
	}
	if k.Prefix == "" {
		problems = append(problems, "prefix is required")
	}
	if !ValidSHA256(k.Hash) {
		problems = append(problems, "hash must be a lower-case hex SHA-256")
	}
	problems = append(problems, textProblems("id", k.ID, "name", k.Name, "prefix", k.Prefix, "kdf", k.KDF)...)
	problems = append(problems, sizeProblems(MaxShortTextBytes, "id", k.ID, "name", k.Name, "prefix", k.Prefix, "kdf", k.KDF)...)
	return invalid("api key", problems)
}

// validatePage returns EINVALID for a negative offset or limit.
func validatePage(offset, limit int) error {
	if offset < 0 {
		return Errorf(EINVALID, "offset must not be negative, got %d", offset)
	}
	if limit < 0 {
		return Errorf(EINVALID, "limit must not be negative, got %d", limit)
	}
	return nil
}

// Validate checks a model filter: Offset and Limit must not be negative, and
// Name and Task, when set, must be valid text.
func (f ModelFilter) Validate() error {
	if err := validatePage(f.Offset, f.Limit); err != nil {
		return err
	}
	var problems []string
	if f.Name != nil {
		problems = append(problems, textProblems("name filter", *f.Name)...)
	}
	if f.Task != nil {
		problems = append(problems, textProblems("task filter", *f.Task)...)
	}
	return invalid("find models", problems)
}

// Validate checks an audit filter: Offset and Limit must not be negative,
// and KeyID and Model, when set, must be valid text.
func (f AuditFilter) Validate() error {
	if err := validatePage(f.Offset, f.Limit); err != nil {
		return err
	}
	var problems []string
	if f.KeyID != nil {
		problems = append(problems, textProblems("key filter", *f.KeyID)...)
	}
	if f.Model != nil {
		problems = append(problems, textProblems("model filter", *f.Model)...)
	}
	return invalid("find audit events", problems)
}
