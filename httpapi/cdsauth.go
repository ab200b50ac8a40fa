package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
)

// CDSConfig configures the CDS Hooks services beyond API keys.
type CDSConfig struct {
	// Issuers are the EHRs trusted to authenticate with a signed JWT; none:
	// only API keys.
	Issuers []cdshooks.Issuer
	// PublicURL is the base URL clients reach Galen at, such as
	// https://galen.example.org (with a path prefix if a proxy adds one). A
	// JWT's aud must be PublicURL plus the request path. Required when
	// Issuers are set: the request's Host is the caller's to choose, so an
	// aud checked against it would accept a token minted for another
	// service.
	PublicURL string
	// FHIRAllow lists the FHIR base URLs a service may fetch missing
	// prefetch from (the request's fhirServer must equal one). Empty: never
	// fetch; a request without its prefetch gets 412.
	FHIRAllow []string
	// FetchTimeout bounds all the FHIR reads of one hook call (default 5s).
	FetchTimeout time.Duration
	// FetchLimit bounds the bytes read from the FHIR server for one hook
	// call (default 16 MiB).
	FetchLimit int64
}

// cdsState is a server's CDS configuration.
type cdsState struct {
	trust     *cdshooks.Trust // nil: no JWT issuers
	publicURL string
	fetch     *cdshooks.Fetcher // nil: never fetch
}

// ConfigureCDS sets how the CDS services authenticate clients and fetch
// missing prefetch. Call it before Serve. EINVALID for a bad trust list,
// public URL or allowlist, or for issuers without a public URL.
func (s *Server) ConfigureCDS(cfg CDSConfig) error {
	st := &cdsState{}
	if len(cfg.Issuers) > 0 {
		if cfg.PublicURL == "" {
			return galen.Errorf(galen.EINVALID, "CDS trusted issuers need the public URL that client JWTs name as aud; set --public-url (GALEN_PUBLIC_URL) to the URL the EHRs reach this server at")
		}
		t, err := cdshooks.NewTrust(cfg.Issuers)
		if err != nil {
			return galen.WrapError(galen.EINVALID, "CDS trusted issuers: "+err.Error(), err)
		}
		st.trust = t
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return galen.Errorf(galen.EINVALID, "public URL %q: want an absolute http(s) URL such as https://galen.example.org", cfg.PublicURL)
		}
		st.publicURL = strings.TrimRight(cfg.PublicURL, "/")
	}
	if len(cfg.FHIRAllow) > 0 {
		f, err := cdshooks.NewFetcher(cfg.FHIRAllow, cfg.FetchTimeout, cfg.FetchLimit)
		if err != nil {
			return err
		}
		st.fetch = f
	}
	s.cdsConfig.Store(st)
	return nil
}

// cds returns the server's CDS configuration (the zero one if never set).
func (s *Server) cds() *cdsState {
	if st := s.cdsConfig.Load(); st != nil {
		return st
	}
	return &cdsState{}
}

// endpointURLs are the URLs a client JWT's aud may name for a request: the
// public URL plus the request path and, for feedback, the service's
// endpoint, which CDS Hooks 2.0 names as the aud. Never the request's Host,
// which the caller chooses.
func (st *cdsState) endpointURLs(r *http.Request) []string {
	u := st.publicURL + strings.TrimSuffix(r.URL.Path, "/")
	if svc, ok := strings.CutSuffix(u, "/feedback"); ok {
		return []string{u, svc}
	}
	return []string{u}
}

// cdsAuthenticate is the route table's Authn of the CDS routes: a bearer
// token shaped like a JWT is checked as a CDS client JWT; anything else
// goes on to the API-key check. The key it returns stands for the issuer
// in the role check and the audit log ("jwt:<iss>").
func (s *Server) cdsAuthenticate(r *http.Request, token string) (*galen.APIKey, error) {
	if !cdshooks.LooksLikeJWT(token) {
		return nil, nil
	}
	st := s.cds()
	if st.trust == nil || st.publicURL == "" {
		return nil, galen.Errorf(galen.EUNAUTHORIZED, "CDS client JWT: this server trusts no CDS client issuers (see --cds-trust); send a Galen API key instead")
	}
	c, err := st.trust.Verify(token, st.endpointURLs(r))
	if err != nil {
		return nil, err
	}
	return &galen.APIKey{ID: "jwt:" + c.Issuer, Name: c.Issuer, Role: c.Role}, nil
}
