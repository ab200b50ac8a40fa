package cdshooks

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/cdstest"
)

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestJTIReplayCache(t *testing.T) {
	c := newJTICache(maxJTIs)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	if err := c.use("iss\x00a", now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  string
		at   time.Time
		ok   bool
	}{
		{"replay", "iss\x00a", now.Add(30 * time.Second), false},
		{"same jti, other issuer", "other\x00a", now, true},
		{"after it expired", "iss\x00a", now.Add(2 * time.Minute), true},
		{"replay of the renewed entry", "iss\x00a", now.Add(2*time.Minute + time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.use(tt.key, tt.at.Add(time.Minute), tt.at)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok %v", err, tt.ok)
			}
			if !tt.ok && galen.ErrorCode(err) != galen.EUNAUTHORIZED {
				t.Fatalf("err %v, want unauthorized", err)
			}
		})
	}
}

// TestJTICacheFull fills a small cache and checks that it refuses new keys
// (429) while its entries are live, takes them again as the entries expire,
// one for each that did, and never holds expired entries.
func TestJTICacheFull(t *testing.T) {
	const limit = 4
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	c := newJTICache(limit)
	// k0 expires at now+1s, k1 at now+2s, ...; inserted out of order.
	for _, i := range []int{2, 0, 3, 1} {
		if err := c.use("k"+strconv.Itoa(i), now.Add(time.Duration(i+1)*time.Second), now); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name     string
		key      string
		at       time.Duration // after now
		want     string
		wantSize int
	}{
		{"full of live entries", "n0", 0, galen.EBUSY, 4},
		{"still full just before the first expires", "n0", time.Second - time.Nanosecond, galen.EBUSY, 4},
		{"a replay of a live key is a replay, not busy", "k3", time.Second - time.Nanosecond, galen.EUNAUTHORIZED, 4},
		{"the first expired", "n0", time.Second, "", 4},
		{"full again", "n1", time.Second, galen.EBUSY, 4},
		{"two more expired", "n1", 3 * time.Second, "", 3},
		{"room for one", "n2", 3 * time.Second, "", 4},
		{"full", "n3", 3 * time.Second, galen.EBUSY, 4},
		{"the last of the first four expired", "n3", 4 * time.Second, "", 4},
	}
	for _, st := range steps {
		err := c.use(st.key, now.Add(st.at+10*time.Second), now.Add(st.at))
		if galen.ErrorCode(err) != st.want || (st.want == "" && err != nil) {
			t.Fatalf("%s: err %v, want %q", st.name, err, st.want)
		}
		if len(c.seen) != st.wantSize || len(c.expiry) != len(c.seen) {
			t.Fatalf("%s: %d entries and %d in the expiry heap, want %d", st.name, len(c.seen), len(c.expiry), st.wantSize)
		}
	}
	if err := c.use("n0", now.Add(time.Hour), now.Add(5*time.Second)); galen.ErrorCode(err) != galen.EUNAUTHORIZED {
		t.Fatalf("replay of n0 while live: %v", err)
	}
}

// BenchmarkJTICacheFull measures refusing a key when the cache is full of
// live entries, the case that used to scan every entry.
func BenchmarkJTICacheFull(b *testing.B) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	c := newJTICache(maxJTIs)
	for i := range maxJTIs {
		if err := c.use(strconv.Itoa(i), now.Add(time.Hour), now); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if err := c.use("new", now.Add(time.Hour), now.Add(time.Second)); galen.ErrorCode(err) != galen.EBUSY {
			b.Fatal(err)
		}
	}
}

func TestLoadTrust(t *testing.T) {
	es := cdstest.NewEHR(t, "https://ehr.example.org", "k", jose.ES384)
	priv, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: es.Priv, KeyID: "k"}}})
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallSet, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: small.Public(), KeyID: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ehr.jwks"), es.JWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		file    string
		wantErr string
		role    galen.Role
	}{
		{"inline", `[{"iss":"a","jwks":` + string(es.JWKS(t)) + `}]`, "", galen.RoleClinician},
		{"file, relative", `[{"iss":"a","jwks_file":"ehr.jwks","role":"scientist"}]`, "", galen.RoleScientist},
		{"missing file", `[{"iss":"a","jwks_file":"nope.jwks"}]`, "jwks_file", ""},
		{"both", `[{"iss":"a","jwks_file":"ehr.jwks","jwks":{"keys":[]}}]`, "exactly one of jwks and jwks_file", ""},
		{"no iss", `[{"jwks":` + string(es.JWKS(t)) + `}]`, "iss is missing", ""},
		{"twice", `[{"iss":"a","jwks_file":"ehr.jwks"},{"iss":"a","jwks_file":"ehr.jwks"}]`, "listed twice", ""},
		{"bad role", `[{"iss":"a","jwks_file":"ehr.jwks","role":"root"}]`, `unknown role "root"`, ""},
		{"unknown field", `[{"iss":"a","jwks_file":"ehr.jwks","jku":"https://x"}]`, "unknown field", ""},
		{"private key", `[{"iss":"a","jwks":` + string(priv) + `}]`, "private key material", ""},
		{"small RSA key", `[{"iss":"a","jwks":` + string(smallSet) + `}]`, "1024 bits", ""},
		{"empty key set", `[{"iss":"a","jwks":{"keys":[]}}]`, "no public signing key", ""},
		{"not an array", `{"iss":"a"}`, "JSON array", ""},
		{"trailing data", `[] x`, "more data after", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "trust.json")
			if err := os.WriteFile(p, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			iss, err := LoadTrust(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(iss) != 1 || iss[0].Role != tt.role || len(iss[0].JWKS) == 0 {
				t.Fatalf("issuers %+v", iss)
			}
		})
	}
}

// FuzzCDSClientJWT checks that any bearer token gets an answer, never a
// panic, and that only a validly signed one is accepted.
func FuzzCDSClientJWT(f *testing.F) {
	es := cdstest.NewEHR(f, "https://ehr.example.org", "k", jose.ES384)
	tr, err := NewTrust([]Issuer{{Issuer: es.Iss, JWKS: es.JWKS(f)}})
	if err != nil {
		f.Fatal(err)
	}
	const aud = "https://galen.example.org/cds-services"
	f.Add(es.Sign(f, es.Claims(aud)))
	f.Add(cdstest.RawJWT(f, map[string]any{"alg": "none"}, es.Claims(aud), func([]byte) []byte { return nil }))
	f.Add("eyJhbGciOiJFUzM4NCJ9.e30.")
	f.Add("a.b.c")
	f.Add("...")
	f.Add("")
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, token string) {
		mu.Lock()
		defer mu.Unlock()
		tr.jtis = newJTICache(maxJTIs)
		c, err := tr.Verify(token, []string{aud})
		if err == nil && c.Issuer != es.Iss {
			t.Fatalf("accepted %q as %+v", token, c)
		}
		if err != nil && galen.ErrorCode(err) != galen.EUNAUTHORIZED {
			t.Fatalf("error code %s: %v", galen.ErrorCode(err), err)
		}
		_ = LooksLikeJWT(token)
	})
}

// FuzzParseTrust checks that any trust file is read or refused with an
// error, never a panic.
func FuzzParseTrust(f *testing.F) {
	f.Add([]byte(`[{"iss":"a","jwks":{"keys":[]},"role":"clinician"}]`))
	f.Add([]byte(`[{"iss":"a","jwks_file":"x"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		iss, err := ParseTrust(data)
		if err != nil {
			return
		}
		for _, is := range iss {
			if is.Issuer == "" || !is.Role.Valid() {
				t.Fatalf("accepted %+v", is)
			}
			if len(is.JWKS) > 0 {
				_, _ = parseJWKS(is.JWKS)
			}
		}
	})
}

// BenchmarkCDSClientJWT measures checking one client JWT: parse, signature,
// claims and the replay cache.
func BenchmarkCDSClientJWT(b *testing.B) {
	const aud = "https://galen.example.org/cds-services/icu-mortality-risk"
	for _, alg := range []jose.SignatureAlgorithm{jose.ES384, jose.RS384} {
		b.Run(string(alg), func(b *testing.B) {
			e := cdstest.NewEHR(b, "https://ehr.example.org", "k", alg)
			tr, err := NewTrust([]Issuer{{Issuer: e.Iss, JWKS: e.JWKS(b)}})
			if err != nil {
				b.Fatal(err)
			}
			token := e.Sign(b, e.Claims(aud))
			for b.Loop() {
				tr.jtis = newJTICache(maxJTIs)
				if _, err := tr.Verify(token, []string{aud}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
