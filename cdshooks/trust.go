package cdshooks

import (
	"bytes"
	"container/heap"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/jsonstrict"
)

// CDS Hooks client authentication (CDS Hooks 2.0, "Trusting CDS Clients"):
// an EHR calling a CDS route sends "Authorization: Bearer <jwt>", a JWT it
// signed with a key of its own. Galen trusts the issuers listed in a trust
// file (Issuer), each with its public keys inline or in a file. Galen
// never fetches the jku header's URL: that URL comes from the caller, and a
// server that fetches URLs named by its callers can be turned against its
// own network (SSRF) and would trust any key the caller points it to; keys
// are configured, not discovered. API keys keep working on the same routes.

// Client JWT limits.
const (
	// MaxJWTLifetime is how far ahead of now a client JWT's exp may be;
	// CDS Hooks 2.0 says at most five minutes.
	MaxJWTLifetime = 5 * time.Minute
	// JWTLeeway is the clock skew allowed between the EHR and Galen on
	// exp, iat and nbf.
	JWTLeeway = 30 * time.Second
	// maxJTIs bounds the replay cache. With exp at most five minutes ahead
	// it holds over 300 requests a second of one replica.
	maxJTIs = 1 << 17
)

// jwtAlgs are the JWS algorithms accepted from CDS clients: the spec's
// ES384 and RS384, and ES256 and RS256. Never "none" or an HMAC, whose key
// would be the public key the attacker also has.
var jwtAlgs = []jose.SignatureAlgorithm{jose.ES384, jose.RS384, jose.ES256, jose.RS256}

// Issuer is a CDS client (an EHR) trusted to call the CDS services with
// a signed JWT. One entry of the trust file.
type Issuer struct {
	Issuer string `json:"iss"` // the JWT's iss, exactly
	// JWKS is the issuer's public JSON Web Key Set, inline; JWKSFile names a
	// file holding it instead (relative to the trust file). One of the two.
	JWKS     json.RawMessage `json:"jwks,omitempty"`
	JWKSFile string          `json:"jwks_file,omitempty"`
	// Role is what the issuer's requests may do (default clinician).
	Role galen.Role `json:"role,omitempty"`
}

// LoadTrust reads a trust file: a JSON array of Issuer. It reads each
// jwks_file (relative paths are relative to the trust file's folder) into
// JWKS, and checks everything NewTrust checks.
func LoadTrust(path string) ([]Issuer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cds trust file: %w", err)
	}
	iss, err := ParseTrust(b)
	if err != nil {
		return nil, fmt.Errorf("cds trust file %s: %w", path, err)
	}
	for i := range iss {
		if iss[i].JWKSFile == "" {
			continue
		}
		p := iss[i].JWKSFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(path), p)
		}
		k, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("cds trust file %s: [%d] (iss %q): jwks_file: %w", path, i, iss[i].Issuer, err)
		}
		iss[i].JWKS, iss[i].JWKSFile = k, ""
	}
	if _, err := NewTrust(iss); err != nil {
		return nil, fmt.Errorf("cds trust file %s: %w", path, err)
	}
	return iss, nil
}

// ParseTrust strictly decodes a trust file's bytes: a JSON array of
// issuers, each with iss, one of jwks and jwks_file, and an optional role.
// It reports every problem at once; it does not read jwks_file.
func ParseTrust(data []byte) ([]Issuer, error) {
	var iss []Issuer
	switch err := jsonstrict.Decode(bytes.NewReader(data), &iss, true); {
	case errors.Is(err, jsonstrict.ErrTrailing):
		return nil, errors.New("more data after the JSON array")
	case err != nil:
		return nil, fmt.Errorf("want a JSON array of {\"iss\", \"jwks\" or \"jwks_file\", \"role\"}: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	for i := range iss {
		is := &iss[i]
		switch {
		case strings.TrimSpace(is.Issuer) == "":
			errs = append(errs, fmt.Errorf("[%d]: iss is missing", i))
		case seen[is.Issuer]:
			errs = append(errs, fmt.Errorf("[%d]: iss %q is listed twice", i, is.Issuer))
		}
		seen[is.Issuer] = true
		if (len(is.JWKS) == 0) == (is.JWKSFile == "") {
			errs = append(errs, fmt.Errorf("[%d] (iss %q): want exactly one of jwks and jwks_file", i, is.Issuer))
		}
		if is.Role == "" {
			is.Role = galen.RoleClinician
		}
		if !is.Role.Valid() {
			errs = append(errs, fmt.Errorf("[%d] (iss %q): unknown role %q (want one of %v)", i, is.Issuer, is.Role, galen.Roles))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return iss, nil
}

// trustedIssuer is a trusted issuer with its parsed keys.
type trustedIssuer struct {
	iss  string
	role galen.Role
	keys []jose.JSONWebKey // public signing keys only
}

// Trust holds the trusted issuers and the replay cache of one server.
// Its zero value trusts no one; build one with NewTrust.
// The jti cache is in memory: each replica remembers only the jti values it
// saw, so behind a load balancer a JWT replayed to another replica within
// its (at most five-minute) lifetime is accepted there.
type Trust struct {
	issuers map[string]*trustedIssuer
	now     func() time.Time
	jtis    *jtiCache
}

// jtiCache remembers the jti values seen until they may be forgotten. A
// min-heap by expiry stands beside the map, so each use drops the expired
// entries at its front and a full cache of live entries costs O(log n) to
// refuse, not a scan of every entry.
type jtiCache struct {
	max int // entries held at most; when full of live ones, EBUSY

	mu     sync.Mutex
	seen   map[string]time.Time // iss + "\x00" + jti -> when it may be forgotten
	expiry jtiHeap              // the keys of seen, soonest forget first
}

func newJTICache(limit int) *jtiCache {
	return &jtiCache{max: limit, seen: map[string]time.Time{}}
}

// jtiEntry is one key of a jtiCache and when it may be forgotten.
type jtiEntry struct {
	key    string
	forget time.Time
}

// jtiHeap is a container/heap of jtiEntry, soonest forget first.
type jtiHeap []jtiEntry

func (h jtiHeap) Len() int           { return len(h) }
func (h jtiHeap) Less(i, j int) bool { return h[i].forget.Before(h[j].forget) }
func (h jtiHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jtiHeap) Push(x any)        { *h = append(*h, x.(jtiEntry)) }
func (h *jtiHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = jtiEntry{}
	*h = old[:len(old)-1]
	return e
}

// use records key until forget, and fails if it is still remembered.
// EUNAUTHORIZED for a replay, EBUSY when the cache is full of live keys.
func (c *jtiCache) use(key string, forget, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Each key is in the heap exactly once, with the time it has in seen,
	// so after this loop seen holds only keys still live at now.
	for len(c.expiry) > 0 && !now.Before(c.expiry[0].forget) {
		delete(c.seen, heap.Pop(&c.expiry).(jtiEntry).key)
	}
	if _, ok := c.seen[key]; ok {
		return jwtError("jti was already used; every request needs a JWT with a new jti")
	}
	if len(c.seen) >= c.max {
		return galen.Errorf(galen.EBUSY, "too many CDS client JWTs in the last %s; retry later", MaxJWTLifetime)
	}
	c.seen[key] = forget
	heap.Push(&c.expiry, jtiEntry{key: key, forget: forget})
	return nil
}

// NewTrust checks and parses the issuers' key sets.
func NewTrust(iss []Issuer) (*Trust, error) {
	t := &Trust{issuers: map[string]*trustedIssuer{}, now: time.Now, jtis: newJTICache(maxJTIs)}
	var errs []error
	for i, is := range iss {
		if is.Issuer == "" || len(is.JWKS) == 0 {
			errs = append(errs, fmt.Errorf("[%d]: needs iss and jwks", i))
			continue
		}
		if _, dup := t.issuers[is.Issuer]; dup {
			errs = append(errs, fmt.Errorf("[%d]: iss %q is listed twice", i, is.Issuer))
			continue
		}
		role := is.Role
		if role == "" {
			role = galen.RoleClinician
		}
		if !role.Valid() {
			errs = append(errs, fmt.Errorf("[%d] (iss %q): unknown role %q", i, is.Issuer, role))
			continue
		}
		keys, err := parseJWKS(is.JWKS)
		if err != nil {
			errs = append(errs, fmt.Errorf("[%d] (iss %q): jwks: %w", i, is.Issuer, err))
			continue
		}
		t.issuers[is.Issuer] = &trustedIssuer{iss: is.Issuer, role: role, keys: keys}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// parseJWKS reads a JSON Web Key Set and keeps its public signing keys:
// EC P-256 or P-384, or RSA of at least 2048 bits. A private key in the
// set is refused (it should never have left the EHR).
func parseJWKS(raw []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("want a JSON Web Key Set {\"keys\": [...]}: %w", err)
	}
	var keys []jose.JSONWebKey
	var errs []error
	for i, kr := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(kr); err != nil {
			errs = append(errs, fmt.Errorf("keys[%d]: %w", i, err))
			continue
		}
		if !k.IsPublic() {
			errs = append(errs, fmt.Errorf("keys[%d] (kid %q): holds private key material; give only the public key", i, k.KeyID))
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue // an encryption key: not for us
		}
		switch pk := k.Key.(type) {
		case *ecdsa.PublicKey:
			if pk.Curve != elliptic.P256() && pk.Curve != elliptic.P384() {
				errs = append(errs, fmt.Errorf("keys[%d] (kid %q): EC curve %s; want P-256 or P-384", i, k.KeyID, pk.Curve.Params().Name))
				continue
			}
		case *rsa.PublicKey:
			if pk.N.BitLen() < 2048 {
				errs = append(errs, fmt.Errorf("keys[%d] (kid %q): RSA key of %d bits; want at least 2048", i, k.KeyID, pk.N.BitLen()))
				continue
			}
		default:
			errs = append(errs, fmt.Errorf("keys[%d] (kid %q): key type %T; want EC or RSA", i, k.KeyID, k.Key))
			continue
		}
		keys = append(keys, k)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("no public signing key (EC or RSA)")
	}
	return keys, nil
}

// keyFits reports whether key k may verify a signature made with alg.
func keyFits(k jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if k.Algorithm != "" && k.Algorithm != string(alg) {
		return false
	}
	switch pk := k.Key.(type) {
	case *ecdsa.PublicKey:
		return (alg == jose.ES256 && pk.Curve == elliptic.P256()) || (alg == jose.ES384 && pk.Curve == elliptic.P384())
	case *rsa.PublicKey:
		return alg == jose.RS256 || alg == jose.RS384
	}
	return false
}

// jwtError is a 401 about a client JWT. Messages never quote the token.
func jwtError(format string, args ...any) error {
	return galen.Errorf(galen.EUNAUTHORIZED, "CDS client JWT: "+format, args...)
}

// LooksLikeJWT reports whether a bearer token is a JWS in compact form:
// three base64url parts whose first decodes to a JSON object with "alg".
// Galen's API keys (glk_...) never are.
func LooksLikeJWT(token string) bool {
	if strings.HasPrefix(token, galen.KeyPrefix) || strings.Count(token, ".") != 2 {
		return false
	}
	h, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
	if err != nil {
		return false
	}
	var hdr map[string]json.RawMessage
	if json.Unmarshal(h, &hdr) != nil {
		return false
	}
	_, ok := hdr["alg"]
	return ok
}

// cdsClaims are the claims CDS Hooks requires of a client JWT.
type cdsClaims struct {
	jwt.Claims
}

// Caller is who a verified client JWT speaks for: its issuer and the role
// the trust file gives it.
type Caller struct {
	Issuer string
	Role   galen.Role
}

// Verify checks a client JWT whose aud must name one of auds (the endpoint
// URLs of the request) and returns its issuer. Every failure is
// EUNAUTHORIZED naming what is wrong (EBUSY when the replay cache is full).
func (t *Trust) Verify(token string, auds []string) (Caller, error) {
	is, err := t.verify(token, auds)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Issuer: is.iss, Role: is.role}, nil
}

func (t *Trust) verify(token string, auds []string) (*trustedIssuer, error) {
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, jwtError("malformed: want three base64url parts separated by dots")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &hdr) != nil {
		return nil, jwtError("malformed: the header is not base64url-encoded JSON")
	}
	alg := jose.SignatureAlgorithm(hdr.Alg)
	if !slices.Contains(jwtAlgs, alg) {
		return nil, jwtError("alg %q is not accepted; want ES384, RS384, ES256 or RS256", galen.Truncate(hdr.Alg, 20))
	}
	tok, err := jwt.ParseSigned(token, jwtAlgs)
	if err != nil {
		return nil, jwtError("malformed: not a compact JWS")
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, jwtError("malformed: the payload is not a JSON object of claims")
	}
	is, ok := t.issuers[unverified.Issuer]
	if !ok {
		if unverified.Issuer == "" {
			return nil, jwtError("iss is missing")
		}
		return nil, jwtError("issuer %q is not trusted by this server", galen.Truncate(unverified.Issuer, 200))
	}
	var c cdsClaims
	verified := false
	for _, k := range is.keys {
		if (hdr.Kid != "" && k.KeyID != hdr.Kid) || !keyFits(k, alg) {
			continue
		}
		if err := tok.Claims(k.Key, &c); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		if hdr.Kid != "" && !slices.ContainsFunc(is.keys, func(k jose.JSONWebKey) bool { return k.KeyID == hdr.Kid }) {
			return nil, jwtError("issuer %q has no key with kid %q (keys are configured in the trust file; jku is never fetched)", is.iss, galen.Truncate(hdr.Kid, 100))
		}
		return nil, jwtError("signature does not verify with the %s keys of issuer %q", alg, is.iss)
	}
	now := t.now()
	switch {
	case c.Subject == "":
		return nil, jwtError("sub is missing")
	case len(c.Audience) == 0:
		return nil, jwtError("aud is missing")
	case !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(auds, strings.TrimSuffix(a, "/")) }):
		return nil, jwtError("aud %q is not this endpoint, %q", galen.Truncate(strings.Join(c.Audience, " "), 200), auds[0])
	case c.Expiry == nil:
		return nil, jwtError("exp is missing")
	case c.IssuedAt == nil:
		return nil, jwtError("iat is missing")
	case c.ID == "":
		return nil, jwtError("jti is missing")
	case len(c.ID) > 256:
		return nil, jwtError("jti is longer than 256 characters")
	}
	exp, iat := c.Expiry.Time(), c.IssuedAt.Time()
	switch {
	case !now.Before(exp.Add(JWTLeeway)):
		return nil, jwtError("expired at %s", exp.UTC().Format(time.RFC3339))
	case exp.Sub(now) > MaxJWTLifetime+JWTLeeway:
		return nil, jwtError("exp is %s ahead; at most %s is allowed", exp.Sub(now).Round(time.Second), MaxJWTLifetime)
	case iat.After(now.Add(JWTLeeway)):
		return nil, jwtError("iat %s is in the future", iat.UTC().Format(time.RFC3339))
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(JWTLeeway)):
		return nil, jwtError("nbf %s is in the future", c.NotBefore.Time().UTC().Format(time.RFC3339))
	}
	if err := t.jtis.use(is.iss+"\x00"+c.ID, exp.Add(JWTLeeway), now); err != nil {
		return nil, err
	}
	return is, nil
}
