// Package keyhash turns API key secrets into the hashes a store keeps. A
// generated secret ("glk_" and 256 random bits) is hashed with SHA-256,
// which is enough for a secret nobody can guess. A secret a person chose
// (GALEN_ADMIN_KEY) is hashed with argon2id, salted and slow, so that a
// copy of the database does not give it away to a dictionary; the store
// keeps the SHA-256 of the argon2id output as the key's hash and the
// parameters and salt as its KDF, so that keys of both kinds are found by
// one lookup by hash.
package keyhash

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// GeneratedPrefix starts every generated secret.
const GeneratedPrefix = "glk_"

// generatedLen is the length of a generated secret: the prefix and 32
// random bytes in unpadded base64url.
const generatedLen = len(GeneratedPrefix) + 43

// Argon2id parameters for chosen secrets: OWASP's first recommendation
// (19 MiB, 2 passes, 1 lane), about 50 ms of one core here.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// kdfPrefix starts the KDF string of a chosen secret; the salt follows.
var kdfPrefix = fmt.Sprintf("argon2id$v=%d$m=%d,t=%d,p=%d$", argon2.Version, argonMemory, argonTime, argonThreads)

// Generated reports whether secret has the form of a generated key. Such
// secrets are hashed with SHA-256 only.
func Generated(secret string) bool {
	if len(secret) != generatedLen || !strings.HasPrefix(secret, GeneratedPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(secret[len(GeneratedPrefix):])
	return err == nil
}

// Generate returns a new generated secret.
func Generate() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("keyhash: %w", err)
	}
	return GeneratedPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// SHA256 returns the hex SHA-256 of secret: the hash of a generated key.
func SHA256(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewKDF returns the KDF string for a new chosen secret: the argon2id
// parameters and a fresh random salt.
func NewKDF() (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("keyhash: %w", err)
	}
	return kdfPrefix + base64.RawStdEncoding.EncodeToString(salt), nil
}

// ErrUnknownKDF is returned by Derive for a KDF string it cannot use.
var ErrUnknownKDF = errors.New("keyhash: unknown kdf")

// Derive returns the hash under which a chosen secret is stored with kdf:
// the hex SHA-256 of argon2id(secret, salt). It costs about 19 MiB and
// tens of milliseconds.
func Derive(secret, kdf string) (string, error) {
	b64, ok := strings.CutPrefix(kdf, kdfPrefix)
	if !ok {
		return "", ErrUnknownKDF
	}
	salt, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(salt) < 8 {
		return "", ErrUnknownKDF
	}
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:]), nil
}
