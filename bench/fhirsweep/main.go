// Command fhirsweep sends every FHIR document of a folder (by default
// ../shared/data/fhir-examples: HL7 R4 core examples, US Core examples,
// Synthea patient bundles) through a Galen server's ICU routes the way an
// EHR would, and prints what came back: counts of 200, of 4xx by reason and
// of 5xx per route, and the latency of the largest document. It only talks
// to loopback addresses. bench/fhir-sweep.sh starts a server and runs it.
//
//	fhirsweep -url http://127.0.0.1:8080 -key KEY [-dir DIR] [-routes predict,cds] [-out results.tsv]
//
// Routes:
//
//   - predict: POST /v1/outcome/predict, Content-Type application/fhir+json,
//     Accept application/json. A Bundle is sent as it is; any other resource
//     is sent as the one entry of a collection Bundle.
//   - cds: POST /cds-services/icu-mortality-risk, a patient-view call whose
//     prefetch is what an EHR following the service's prefetch template
//     would send: "observations" a searchset Bundle of the document's
//     Observations whose code is in the template's code list (none: an
//     empty searchset), "patient" the document's Patient if it has one.
//     References to transaction entries (urn:uuid) are rewritten to
//     Type/id, as a FHIR server does when it stores a transaction.
//
// Other capabilities add their routes to the routes table below.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// doc is one FHIR document of the folder.
type doc struct {
	rel  string // path relative to the folder
	body []byte
	res  map[string]any // nil when it is not a JSON object
}

// outcome is what one request got.
type outcome struct {
	status  int
	reason  string // normalised error headline for 4xx/5xx, kind of answer for 200
	latency time.Duration
	used    int // variables and descriptors in the explanation of a 200
}

// route sends one document through one of the server's routes.
type route struct {
	name string
	send func(s *sweeper, d doc) (outcome, error)
}

var routes = []route{
	{"predict", (*sweeper).predict},
	{"cds", (*sweeper).cds},
}

type sweeper struct {
	base   string
	key    string
	client *http.Client
	codes  map[string]bool // system|code of the CDS prefetch template
}

func main() {
	var (
		base, key, dir, only, out string
		repeat                    int
	)
	flag.StringVar(&base, "url", "", "server base URL (loopback only), e.g. http://127.0.0.1:8080")
	flag.StringVar(&key, "key", os.Getenv("GALEN_KEY"), "API key (default $GALEN_KEY)")
	flag.StringVar(&dir, "dir", "", "folder of FHIR JSON documents (default ../shared/data/fhir-examples, found by walking up)")
	flag.StringVar(&only, "routes", "predict,cds", "comma-separated routes to sweep")
	flag.StringVar(&out, "out", "", "write one line per document and route (route, file, status, ms, reason) to this TSV file")
	flag.IntVar(&repeat, "repeat", 5, "times the largest document is sent per route for its latency")
	flag.Parse()
	if err := run(base, key, dir, only, out, repeat); err != nil {
		fmt.Fprintln(os.Stderr, "fhirsweep:", err)
		os.Exit(1)
	}
}

func run(base, key, dir, only, out string, repeat int) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want an http(s) URL", base)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url host %q is not a loopback address", u.Hostname())
	}
	if dir == "" {
		if dir, err = findData(); err != nil {
			return err
		}
	}
	docs, err := readDocs(dir)
	if err != nil {
		return err
	}
	if len(docs) == 0 {
		return fmt.Errorf("no .json documents under %s", dir)
	}
	s := &sweeper{base: strings.TrimRight(base, "/"), key: key, client: &http.Client{Timeout: 60 * time.Second}}
	want := map[string]bool{}
	for _, r := range strings.Split(only, ",") {
		want[strings.TrimSpace(r)] = true
	}
	if want["cds"] {
		if err := s.discover(); err != nil {
			return err
		}
	}
	var tsv *os.File
	if out != "" {
		if tsv, err = os.Create(out); err != nil {
			return err
		}
		defer tsv.Close()
		fmt.Fprintln(tsv, "route\tfile\tstatus\tms\treason")
	}
	var largest, bundle doc
	for _, d := range docs {
		if len(d.body) > len(largest.body) {
			largest = d
		}
		if d.res != nil && d.res["resourceType"] == "Bundle" && len(d.body) > len(bundle.body) {
			bundle = d
		}
	}
	fmt.Printf("%d documents from %s; largest %s (%d bytes)\n", len(docs), dir, largest.rel, len(largest.body))
	for _, r := range routes {
		if !want[r.name] {
			continue
		}
		delete(want, r.name)
		counts := map[string]int{}
		var n200, n4xx, n5xx, nerr, used int
		start := time.Now()
		for _, d := range docs {
			o, err := r.send(s, d)
			if err != nil {
				nerr++
				counts["transport error: "+err.Error()]++
				continue
			}
			if tsv != nil {
				fmt.Fprintf(tsv, "%s\t%s\t%d\t%.1f\t%s\n", r.name, d.rel, o.status, float64(o.latency.Microseconds())/1000, o.reason)
			}
			switch {
			case o.status == http.StatusOK:
				n200++
				used += o.used
				counts["200 "+o.reason]++
			case o.status >= 500:
				n5xx++
				counts[fmt.Sprintf("%d %s", o.status, o.reason)]++
			default:
				n4xx++
				counts[fmt.Sprintf("%d %s", o.status, o.reason)]++
			}
		}
		fmt.Printf("\n== %s: %d documents in %.1f s: %d 200, %d 4xx, %d 5xx, %d transport errors\n",
			r.name, len(docs), time.Since(start).Seconds(), n200, n4xx, n5xx, nerr)
		if used > 0 {
			fmt.Printf("variables and descriptors the model used, summed over the 200 answers: %d\n", used)
		}
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if counts[keys[i]] != counts[keys[j]] {
				return counts[keys[i]] > counts[keys[j]]
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			fmt.Printf("%5d  %s\n", counts[k], k)
		}
		for _, big := range []struct {
			what string
			d    doc
		}{{"largest document", largest}, {"largest Bundle", bundle}} {
			if big.d.body == nil {
				continue
			}
			var lat []time.Duration
			var last outcome
			for range max(repeat, 1) {
				o, err := r.send(s, big.d)
				if err != nil {
					return fmt.Errorf("%s %s: %w", r.name, big.d.rel, err)
				}
				lat = append(lat, o.latency)
				last = o
			}
			slices.Sort(lat)
			fmt.Printf("%s (%s, %d bytes): status %d %s; latency min %.1f ms, median %.1f ms, max %.1f ms over %d requests\n",
				big.what, big.d.rel, len(big.d.body), last.status, last.reason, ms(lat[0]), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), len(lat))
		}
	}
	for r := range want {
		if r != "" {
			return fmt.Errorf("-routes: unknown route %q", r)
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// findData walks up from the working directory to shared/data/fhir-examples.
func findData() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		for _, p := range []string{filepath.Join(dir, "shared", "data", "fhir-examples"), filepath.Join(dir, "..", "shared", "data", "fhir-examples")} {
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return filepath.Clean(p), nil
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("shared/data/fhir-examples not found above the working directory; pass -dir")
		}
		dir = up
	}
}

func readDocs(dir string) ([]doc, error) {
	var docs []doc
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		d := doc{rel: rel, body: b}
		_ = json.Unmarshal(b, &d.res)
		docs = append(docs, d)
		return nil
	})
	sort.Slice(docs, func(i, j int) bool { return docs[i].rel < docs[j].rel })
	return docs, err
}

func (s *sweeper) post(path, contentType string, body []byte) (outcome, []byte, error) {
	req, err := http.NewRequest("POST", s.base+path, bytes.NewReader(body))
	if err != nil {
		return outcome{}, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if s.key != "" {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return outcome{}, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	o := outcome{status: resp.StatusCode, latency: time.Since(start)}
	if err != nil {
		return o, nil, err
	}
	if o.status != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		o.reason = normalise(e.Error)
	}
	return o, b, nil
}

var (
	digits = regexp.MustCompile(`[0-9]+`)
	quoted = regexp.MustCompile(`"[^"]*"`)
)

// normalise makes error headlines of the same kind equal: numbers become N,
// quoted text "…", and the text is cut at 110 characters.
func normalise(s string) string {
	if s == "" {
		return "(no error message)"
	}
	s = quoted.ReplaceAllString(s, `"…"`)
	s = digits.ReplaceAllString(s, "N")
	if r := []rune(s); len(r) > 110 {
		s = string(r[:110]) + "…"
	}
	return s
}

// predict sends the document to POST /v1/outcome/predict as a Bundle.
func (s *sweeper) predict(d doc) (outcome, error) {
	body := d.body
	if d.res == nil || d.res["resourceType"] != "Bundle" {
		var err error
		body, err = json.Marshal(map[string]any{"resourceType": "Bundle", "type": "collection",
			"entry": []any{map[string]any{"resource": json.RawMessage(d.body)}}})
		if err != nil || !json.Valid(d.body) {
			body = d.body // not JSON: send as is, the server must say so
		}
	}
	o, b, err := s.post("/v1/outcome/predict", "application/fhir+json", body)
	if err != nil || o.status != http.StatusOK {
		return o, err
	}
	var r struct {
		Uncertain   bool              `json:"uncertain"`
		Explanation []json.RawMessage `json:"explanation"`
	}
	_ = json.Unmarshal(b, &r)
	o.used = len(r.Explanation)
	o.reason = "risk"
	if r.Uncertain {
		o.reason = "risk, uncertain"
	}
	return o, nil
}

// discover reads the observations prefetch template's code list.
func (s *sweeper) discover() error {
	req, _ := http.NewRequest("GET", s.base+"/cds-services", nil)
	if s.key != "" {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var d struct {
		Services []struct {
			ID       string            `json:"id"`
			Prefetch map[string]string `json:"prefetch"`
		} `json:"services"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return fmt.Errorf("GET /cds-services: %w", err)
	}
	s.codes = map[string]bool{}
	for _, svc := range d.Services {
		if svc.ID != "icu-mortality-risk" {
			continue
		}
		q, err := url.ParseQuery(strings.TrimPrefix(svc.Prefetch["observations"][strings.IndexByte(svc.Prefetch["observations"], '?')+1:], "?"))
		if err != nil {
			return fmt.Errorf("observations prefetch template: %w", err)
		}
		for _, c := range strings.Split(q.Get("code"), ",") {
			s.codes[c] = true
		}
	}
	if len(s.codes) == 0 {
		return fmt.Errorf("GET /cds-services: no icu-mortality-risk service with an observations template")
	}
	return nil
}

// resources returns the document's top-level resources with their fullUrl.
func resources(d doc) (rs []map[string]any, fullURLs []string) {
	if d.res == nil {
		return nil, nil
	}
	if d.res["resourceType"] != "Bundle" {
		return []map[string]any{d.res}, []string{""}
	}
	entries, _ := d.res["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		r, _ := em["resource"].(map[string]any)
		if r == nil {
			continue
		}
		fu, _ := em["fullUrl"].(string)
		rs = append(rs, r)
		fullURLs = append(fullURLs, fu)
	}
	return rs, fullURLs
}

// matches reports whether an Observation's code is one the template asks for.
func (s *sweeper) matches(o map[string]any) bool {
	code, _ := o["code"].(map[string]any)
	codings, _ := code["coding"].([]any)
	for _, c := range codings {
		cm, _ := c.(map[string]any)
		sys, _ := cm["system"].(string)
		cd, _ := cm["code"].(string)
		if s.codes[sys+"|"+cd] {
			return true
		}
	}
	return false
}

// rewriteRefs replaces references to transaction entries' fullUrls by
// Type/id, in place.
func rewriteRefs(v any, to map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" && to[s] != "" {
				x[k] = to[s]
				continue
			}
			rewriteRefs(e, to)
		}
	case []any:
		for _, e := range x {
			rewriteRefs(e, to)
		}
	}
}

// cds sends the document as a patient-view call with prefetch.
func (s *sweeper) cds(d doc) (outcome, error) {
	rs, fus := resources(d)
	to := map[string]string{}
	for i, r := range rs {
		t, _ := r["resourceType"].(string)
		id, _ := r["id"].(string)
		if fus[i] != "" && t != "" && id != "" {
			to[fus[i]] = t + "/" + id
		}
	}
	var patient map[string]any
	entries := []any{}
	patientID := ""
	for _, r := range rs {
		switch r["resourceType"] {
		case "Patient":
			if patient == nil {
				patient = r
				patientID, _ = r["id"].(string)
			}
		case "Observation":
			if s.matches(r) {
				rewriteRefs(r, to)
				id, _ := r["id"].(string)
				entries = append(entries, map[string]any{"fullUrl": s.base + "/fhir/Observation/" + id, "resource": r, "search": map[string]any{"mode": "match"}})
			}
		}
	}
	if patientID == "" {
		for _, e := range entries {
			r := e.(map[string]any)["resource"].(map[string]any)
			subj, _ := r["subject"].(map[string]any)
			ref, _ := subj["reference"].(string)
			if i := strings.LastIndex(ref, "Patient/"); i >= 0 {
				patientID = ref[i+len("Patient/"):]
				break
			}
		}
	}
	if patientID == "" {
		patientID = "example"
	}
	obs := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
	if len(entries) > 0 { // FHIR JSON has no empty arrays
		obs["entry"] = entries
	}
	prefetch := map[string]any{"observations": obs}
	if patient != nil {
		prefetch["patient"] = patient
	}
	body, err := json.Marshal(map[string]any{
		"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		"context":  map[string]any{"userId": "Practitioner/example", "patientId": patientID},
		"prefetch": prefetch,
	})
	if err != nil {
		return outcome{}, err
	}
	o, b, err := s.post("/cds-services/icu-mortality-risk", "application/json", body)
	if err != nil || o.status != http.StatusOK {
		return o, err
	}
	var r struct {
		Cards []struct {
			Summary   string `json:"summary"`
			Indicator string `json:"indicator"`
		} `json:"cards"`
	}
	_ = json.Unmarshal(b, &r)
	switch {
	case len(r.Cards) == 0:
		o.reason = "no card"
	case strings.Contains(r.Cards[0].Summary, "not estimated"):
		o.reason = "info card: not estimated"
	default:
		o.reason = "risk card"
	}
	return o, nil
}
