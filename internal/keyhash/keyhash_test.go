package keyhash

import (
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestGenerated(t *testing.T) {
	gen, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		secret string
		want   bool
	}{
		{"generated", gen, true},
		{"chosen", "correct horse battery staple", false},
		{"chosen with the prefix", "glk_my-own-admin-key", false},
		{"right length, bad base64", "glk_" + strings.Repeat("!", 43), false},
		{"one short", gen[:len(gen)-1], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Generated(tt.secret); got != tt.want {
				t.Errorf("Generated(%q) = %v, want %v", tt.secret, got, tt.want)
			}
		})
	}
}

// TestDerive checks Derive against argon2id called directly with the
// documented parameters (19 MiB, t=2, p=1), that salts differ, and that a
// chosen secret's hash is not its plain SHA-256.
func TestDerive(t *testing.T) {
	const secret = "a chosen admin key"
	kdf := "argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA" // salt "saltsaltsaltsalt"
	got, err := Derive(secret, kdf)
	if err != nil {
		t.Fatal(err)
	}
	want := SHA256(string(argon2.IDKey([]byte(secret), []byte("saltsaltsaltsalt"), 2, 19456, 1, 32)))
	if got != want {
		t.Errorf("Derive = %s, want %s", got, want)
	}
	if got == SHA256(secret) {
		t.Error("a chosen secret is stored as its plain SHA-256")
	}
	k1, _ := NewKDF()
	k2, _ := NewKDF()
	if k1 == k2 || !strings.HasPrefix(k1, "argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("NewKDF = %q, %q; want fresh salts under the documented parameters", k1, k2)
	}
	for _, bad := range []string{"", "sha256", "argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ", kdf[:len(kdf)-20] + "!!"} {
		if _, err := Derive(secret, bad); err != ErrUnknownKDF {
			t.Errorf("Derive(%q) = %v, want ErrUnknownKDF", bad, err)
		}
	}
}

func BenchmarkDerive(b *testing.B) {
	kdf, _ := NewKDF()
	for b.Loop() {
		if _, err := Derive("a chosen admin key", kdf); err != nil {
			b.Fatal(err)
		}
	}
}
