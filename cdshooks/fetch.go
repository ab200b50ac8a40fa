package cdshooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/fhir"
)

// Fetching missing prefetch from the CDS client's FHIR server (CDS Hooks
// 2.0, "FHIR Resource Access"). A service reads the fhirServer of a request
// only when it equals a base URL the operator allowed (the URL comes from
// the caller, and a server that calls any URL it is given can be aimed at
// its own network), and only with the request's fhirAuthorization token.
// Any failure to get the data is answered 412 Precondition Failed, as the
// spec's status table says for "unable to retrieve the necessary FHIR data,
// either through a prefetch request or directly calling the FHIR server",
// with a message saying what went wrong. Redirects are not followed (the
// token would go with them), and no proxy is used, even one named in the
// environment: the token goes only to the allowed server. Searchset pages
// are followed through their "next" links while those stay under the
// allowed base.

// Fetch defaults.
const (
	DefaultFetchTimeout = 5 * time.Second
	DefaultFetchLimit   = 16 << 20
	maxFetchPages       = 20
)

// fhirID is the form of a FHIR resource id.
var fhirID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// Fetcher reads missing prefetch from allowed FHIR servers. A nil
// *Fetcher fetches nothing.
type Fetcher struct {
	allow   map[string]bool // normalized base URLs
	timeout time.Duration
	limit   int64
	client  *http.Client
}

// normalizeBase returns a FHIR base URL with a lower-case scheme and host,
// no default port, and no trailing slash; "" if it is not an absolute
// http(s) URL without query or fragment.
func normalizeBase(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return ""
	}
	host := strings.ToLower(u.Host)
	if (u.Scheme == "https" && strings.HasSuffix(host, ":443")) || (u.Scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return strings.ToLower(u.Scheme) + "://" + host + strings.TrimRight(u.EscapedPath(), "/")
}

// NewFetcher returns a Fetcher that reads from the FHIR base URLs in allow,
// spending at most timeout (DefaultFetchTimeout if 0) and limit bytes
// (DefaultFetchLimit if 0) on one hook call. EINVALID for an entry that is
// not an absolute http(s) URL.
func NewFetcher(allow []string, timeout time.Duration, limit int64) (*Fetcher, error) {
	f := &Fetcher{allow: map[string]bool{}, timeout: timeout, limit: limit}
	if f.timeout <= 0 {
		f.timeout = DefaultFetchTimeout
	}
	if f.limit <= 0 {
		f.limit = DefaultFetchLimit
	}
	for _, a := range allow {
		n := normalizeBase(a)
		if n == "" {
			return nil, galen.Errorf(galen.EINVALID, "CDS FHIR allowlist entry %q: want an absolute http(s) base URL such as https://ehr.example.org/fhir", a)
		}
		f.allow[n] = true
	}
	f.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // never a proxy: the FHIR token goes only to the allowed server
			DialContext:           (&net.Dialer{Timeout: f.timeout}).DialContext,
			TLSHandshakeTimeout:   f.timeout,
			ResponseHeaderTimeout: f.timeout,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f, nil
}

// allowed reports whether base is an allowed FHIR server.
func (f *Fetcher) allowed(base string) bool {
	n := normalizeBase(base)
	return n != "" && f.allow[n]
}

// FetchError says why data could not be read from the FHIR server. Its
// message is safe to show the caller and to log: it names the server and
// the resource type, never the patient or the token. It unwraps to an
// EPRECONDITION *galen.Error listing its problems (HTTP 412).
type FetchError struct {
	Reason   string
	Problems []galen.Problem // the FHIR server's answer's problems, if it sent invalid FHIR
}

func (e *FetchError) Error() string { return e.Reason }

// Unwrap returns the EPRECONDITION error the caller is shown.
func (e *FetchError) Unwrap() error {
	ps := e.Problems
	if len(ps) == 0 {
		ps = []galen.Problem{{Path: "fhirServer", Message: e.Reason}}
	}
	return &galen.Error{Code: galen.EPRECONDITION, Message: e.Reason, Problems: ps}
}

// prefetchError is a request the service cannot answer because data it
// needs was not prefetched and it will not or cannot fetch it: HTTP 412,
// per the spec.
func prefetchError(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &galen.Error{Code: galen.EPRECONDITION, Message: msg, Problems: []galen.Problem{{Path: "prefetch", Message: msg}}}
}

// fetchBudget is what is left of one hook call's fetch limit.
type fetchBudget struct{ left int64 }

// fetchPrefetch expands the service's prefetch template key for req and
// reads it from req.FHIRServer. A search ("Type?...") returns a searchset
// Bundle with the entries of every page; a read ("Type/id") the resource.
func (f *Fetcher) fetchPrefetch(ctx context.Context, req *Request, tmpl string, budget *fetchBudget) (json.RawMessage, error) {
	q, err := ExpandPrefetch(tmpl, req)
	if err != nil {
		return nil, &FetchError{Reason: err.Error()}
	}
	base := normalizeBase(req.FHIRServer)
	rel, query, search := strings.Cut(q, "?")
	u, err := url.Parse(base + "/" + rel)
	if err != nil {
		return nil, &FetchError{Reason: "cannot build a FHIR URL from fhirServer and the prefetch template"}
	}
	resType, _, _ := strings.Cut(rel, "/")
	if search {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return nil, &FetchError{Reason: "the prefetch template's query does not parse"}
		}
		u.RawQuery = vals.Encode()
	}
	if !search {
		raw, err := f.get(ctx, req, u.String(), resType, budget)
		if err != nil {
			return nil, err
		}
		res, err := fhir.Decode(raw)
		if err != nil {
			return nil, fhirFetchError(err, resType)
		}
		if res.ResourceType() != resType {
			return nil, &FetchError{Reason: fmt.Sprintf("fhirServer answered the %s read with a %s", resType, res.ResourceType())}
		}
		return raw, nil
	}
	out := &fhir.Bundle{Type: "searchset"}
	next := u.String()
	for page := 0; next != ""; page++ {
		if page == maxFetchPages {
			return nil, &FetchError{Reason: fmt.Sprintf("the %s search on fhirServer has more than %d pages; send the prefetch instead", resType, maxFetchPages)}
		}
		raw, err := f.get(ctx, req, next, resType, budget)
		if err != nil {
			return nil, err
		}
		b, err := fhir.DecodeBundle(raw)
		if err != nil {
			return nil, fhirFetchError(err, resType)
		}
		out.Entry = append(out.Entry, b.Entry...)
		next, err = nextLink(raw, next, base)
		if err != nil {
			return nil, &FetchError{Reason: fmt.Sprintf("the %s search on fhirServer: %v", resType, err)}
		}
	}
	return json.Marshal(out)
}

// nextLink returns a searchset page's "next" link resolved against the
// page's URL, "" if there is none, and an error if it leaves the FHIR base.
func nextLink(raw []byte, page, base string) (string, error) {
	var b struct {
		Link []struct {
			Relation string `json:"relation"`
			URL      string `json:"url"`
		} `json:"link"`
	}
	if json.Unmarshal(raw, &b) != nil {
		return "", nil
	}
	for _, l := range b.Link {
		if l.Relation != "next" {
			continue
		}
		pu, err := url.Parse(page)
		if err != nil {
			return "", errors.New("its page URL does not parse")
		}
		ref, err := url.Parse(l.URL)
		if err != nil {
			return "", errors.New("its next link does not parse")
		}
		u := pu.ResolveReference(ref)
		u.Fragment, u.RawFragment = "", ""
		if !underBase(u, base) {
			return "", errors.New("its next link leaves the fhirServer base, so it is not followed")
		}
		return u.String(), nil
	}
	return "", nil
}

// underBase reports whether u is the FHIR base URL base or below it: the
// same scheme, host and port (as normalizeBase compares them), no user
// info, no encoded slash or backslash (%2f, %5c), double encoding (%25) or
// backslash in its raw path, no "." or ".." segment once unescaped, and a
// path that is the base's path or goes on from it after a "/".
func underBase(u *url.URL, base string) bool {
	bu, err := url.Parse(base)
	if err != nil || u.User != nil || u.Opaque != "" {
		return false
	}
	if normalizeBase(u.Scheme+"://"+u.Host) != normalizeBase(bu.Scheme+"://"+bu.Host) || normalizeBase(bu.Scheme+"://"+bu.Host) == "" {
		return false
	}
	raw := strings.ToLower(u.EscapedPath())
	for _, bad := range []string{"%2f", "%5c", "%25", `\`} {
		if strings.Contains(raw, bad) {
			return false
		}
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	bp := strings.TrimRight(bu.Path, "/")
	return u.Path == bp || strings.HasPrefix(u.Path, bp+"/")
}

// fhirFetchError turns the FHIR decoder's issues about a fetched document
// into a FetchError.
func fhirFetchError(err error, resType string) error {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return &FetchError{Reason: fmt.Sprintf("fhirServer sent a %s answer that is not valid FHIR", resType)}
	}
	e := &FetchError{Reason: fmt.Sprintf("fhirServer sent a %s answer that is not valid FHIR (%d problems)", resType, len(fe.Issues))}
	for _, i := range fe.Issues {
		e.Problems = append(e.Problems, galen.Problem{Path: "fhirServer." + resType + "." + i.Path, Message: i.Message})
	}
	return e
}

// get reads one FHIR document within the budget.
func (f *Fetcher) get(ctx context.Context, req *Request, target, resType string, budget *fetchBudget) (json.RawMessage, error) {
	hr, err := http.NewRequestWithContext(ctx, "GET", target, nil)
	if err != nil {
		return nil, &FetchError{Reason: "cannot build the FHIR request"}
	}
	hr.Header.Set("Accept", "application/fhir+json")
	hr.Header.Set("Authorization", "Bearer "+req.FHIRAuthorization.AccessToken)
	resp, err := f.client.Do(hr)
	if err != nil {
		return nil, &FetchError{Reason: fmt.Sprintf("fhirServer is unreachable for the %s read: %s", resType, netReason(ctx, err))}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &FetchError{Reason: fmt.Sprintf("fhirServer refused the fhirAuthorization token for the %s read (HTTP %d); check its scope and expiry", resType, resp.StatusCode)}
	case resp.StatusCode == http.StatusNotFound:
		return nil, &FetchError{Reason: fmt.Sprintf("fhirServer has no such %s (HTTP 404)", resType)}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, &FetchError{Reason: fmt.Sprintf("fhirServer answered the %s read with a redirect (HTTP %d), which is not followed", resType, resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return nil, &FetchError{Reason: fmt.Sprintf("fhirServer answered the %s read with HTTP %d", resType, resp.StatusCode)}
	}
	if resp.ContentLength > budget.left {
		return nil, f.overBudget(resType, budget)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, budget.left+1))
	if err != nil {
		return nil, &FetchError{Reason: fmt.Sprintf("reading fhirServer's %s answer failed: %s", resType, netReason(ctx, err))}
	}
	if int64(len(b)) > budget.left {
		return nil, f.overBudget(resType, budget)
	}
	budget.left -= int64(len(b))
	return b, nil
}

// overBudget says that an answer does not fit in what is left of the hook
// call's fetch limit: the whole limit, or the bytes the earlier reads of
// the call left of it.
func (f *Fetcher) overBudget(resType string, budget *fetchBudget) error {
	if budget.left >= f.limit {
		return &FetchError{Reason: fmt.Sprintf("fhirServer's %s answer is over the %d-byte fetch limit; send the prefetch instead", resType, f.limit)}
	}
	return &FetchError{Reason: fmt.Sprintf("fhirServer's %s answer is over the %d bytes left of this hook call's %d-byte fetch limit (earlier reads took %d); send the prefetch instead",
		resType, budget.left, f.limit, f.limit-budget.left)}
}

// netReason says why a FHIR call failed without quoting its URL, which
// holds the patient id.
func netReason(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + " failed: " + oe.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "connection failed"
}

// FetchMissing reads the prefetch keys of svc that req lacks from its
// fhirServer, when f allows that, and puts them into req.Prefetch. It
// returns nil when there was nothing to fetch or it fetched it all, an
// EPRECONDITION error when fetching is off (f is nil) or not possible, and
// a *FetchError when the FHIR server could not give the data.
func (f *Fetcher) FetchMissing(ctx context.Context, req *Request, svc Service, keys ...string) error {
	var missing []string
	for _, k := range keys {
		// A key sent as null means the client has no such data: nothing
		// to fetch. Only an absent key is missing.
		if _, sent := req.Prefetch[k]; !sent {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	switch {
	case req.FHIRServer == "":
		return prefetchError("prefetch %q is missing and there is no fhirServer to fetch it from", missing[0])
	case f == nil:
		return prefetchError("prefetch %q is missing; this server does not fetch from FHIR servers (none is allowed), so send the prefetch", missing[0])
	case !f.allowed(req.FHIRServer):
		return prefetchError("prefetch %q is missing and fhirServer is not on this server's allowlist, so it is not fetched; send the prefetch", missing[0])
	case req.FHIRAuthorization == nil:
		return prefetchError("prefetch %q is missing and there is no fhirAuthorization to read it from fhirServer with", missing[0])
	case !fhirID.MatchString(req.ContextString("patientId")) || strings.Trim(req.ContextString("patientId"), ".") == "":
		return prefetchError("context.patientId is not a FHIR id (1-64 of A-Z a-z 0-9 - .), so it is not fetched")
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	budget := &fetchBudget{left: f.limit}
	if req.Prefetch == nil {
		req.Prefetch = map[string]json.RawMessage{}
	}
	for _, k := range missing {
		raw, err := f.fetchPrefetch(ctx, req, svc.Prefetch[k], budget)
		if err != nil {
			return err
		}
		req.Prefetch[k] = raw
	}
	return nil
}
