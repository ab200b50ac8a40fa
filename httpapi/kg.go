package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/kg"
)

// kgState holds the server's knowledge-graph service, made on first use
// from the store.
type kgState struct {
	once sync.Once
	svc  *kg.Service
}

// KGCheckEvery is how often the server asks the store whether another
// process imported into the knowledge graph.
const KGCheckEvery = 5 * time.Second

func (s *Server) kgGraph(r *http.Request) (*kg.Graph, error) {
	s.kg.once.Do(func() { s.kg.svc = kg.NewService(s.store, KGCheckEvery, s.logger) })
	return s.kg.svc.Graph(r.Context())
}

// kgRead is who may query the graph: the roles that may predict. The graph
// holds patients (Synthea's, or a hospital's own) beside the reference
// vocabularies, so every query is audited and auditors, who never see
// patient data, may not browse it.
var kgRead = predictRoles

func (s *Server) kgRoutes() []route {
	return []route{
		{Method: "GET", Pattern: "/v1/kg/search", Roles: kgRead, Audit: true, Handler: s.handleKGSearch, Tag: "kg",
			Summary:  "Search knowledge-graph entities by name, synonym or code (prefix and typo-tolerant, ranked)",
			Response: api.KGSearchResponse{}, Query: []string{"q", "type", "limit"}},
		{Method: "GET", Pattern: "/v1/kg/entities/{id}", Roles: kgRead, Audit: true, Handler: s.handleKGEntity, Tag: "kg",
			Summary: "One knowledge-graph entity with what every source says about it", Response: api.KGEntityResponse{}},
		{Method: "GET", Pattern: "/v1/kg/entities/{id}/neighbours", Roles: kgRead, Audit: true, Handler: s.handleKGNeighbours, Tag: "kg",
			Summary:  "Edges at an entity, filtered by edge type, direction and neighbour type, paginated",
			Response: kg.NeighbourPage{}, Query: []string{"edge_type", "direction", "node_type", "offset", "limit"}},
		{Method: "POST", Pattern: "/v1/kg/subgraph", Roles: kgRead, Audit: true, Handler: s.handleKGSubgraph, Tag: "kg",
			Summary: "The entities within a few hops of a set of entities and the edges among them",
			Request: api.KGSubgraphRequest{}, Response: kg.Subgraph{}},
		{Method: "GET", Pattern: "/v1/kg/paths", Roles: kgRead, Audit: true, Handler: s.handleKGPaths, Tag: "kg",
			Summary:  "Shortest or k best paths between two entities within a hop limit, or paths along a metapath",
			Response: api.KGPathsResponse{}, Query: []string{"from", "to", "k", "max_hops", "edge_type", "metapath"}},
		{Method: "POST", Pattern: "/v1/kg/interactions", Roles: predictRoles, Audit: true, Handler: s.handleKGInteractions, Tag: "kg",
			Summary: "Check a list of drugs (names, synonyms, DrugBank, ATC or RxNorm codes) for interactions, with severity, description and sources",
			Request: api.KGInteractionsRequest{}, Response: kg.InteractionReport{}},
		{Method: "POST", Pattern: "/v1/kg/suggest-diseases", Roles: predictRoles, Audit: true, Handler: s.handleKGSuggest, Tag: "kg",
			Summary: "Rank diseases for a list of symptoms over the symptom-disease edges, each with its supporting paths",
			Request: api.KGSuggestRequest{}, Response: kg.SuggestReport{}},
	}
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, galen.Errorf(galen.EINVALID, "%s %q: want an integer from %d to %d", name, s, lo, hi)
	}
	return v, nil
}

func (s *Server) handleKGSearch(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("q") == "" {
		return galen.Errorf(galen.EINVALID, "query parameter q is required")
	}
	limit, err := intParam(q, "limit", 10, 1, 100)
	if err != nil {
		return err
	}
	g, err := s.kgGraph(r)
	if err != nil {
		return err
	}
	hits := g.Search(q.Get("q"), kg.SearchOptions{Types: q["type"], Limit: limit})
	if hits == nil {
		hits = []kg.Hit{}
	}
	return writeJSON(w, http.StatusOK, api.KGSearchResponse{Hits: hits})
}

func (s *Server) handleKGEntity(w http.ResponseWriter, r *http.Request) error {
	g, err := s.kgGraph(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	e, err := g.Entity(id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.KGEntityResponse{Entity: *e, Degree: g.Degree(id)})
}

func (s *Server) handleKGNeighbours(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, err := intParam(q, "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	g, err := s.kgGraph(r)
	if err != nil {
		return err
	}
	page, err := g.Neighbours(r.PathValue("id"), kg.NeighbourOptions{EdgeTypes: q["edge_type"], Direction: q.Get("direction"),
		NodeTypes: q["node_type"], Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleKGSubgraph(w http.ResponseWriter, r *http.Request) error {
	var req api.KGSubgraphRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if len(req.IDs) == 0 || len(req.IDs) > 100 {
		return galen.Errorf(galen.EINVALID, "ids: want 1 to 100 entity ids")
	}
	if req.Hops == 0 {
		req.Hops = 1
	}
	g, err := s.kgGraph(r)
	if err != nil {
		return err
	}
	sg, err := g.Subgraph(req.IDs, req.Hops, req.MaxNodes, req.EdgeTypes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sg)
}

func (s *Server) handleKGPaths(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if from == "" || (to == "" && q.Get("metapath") == "") {
		return galen.Errorf(galen.EINVALID, "query parameters from and to (or from and metapath) are required")
	}
	k, err := intParam(q, "k", 1, 1, 20)
	if err != nil {
		return err
	}
	hops, err := intParam(q, "max_hops", 4, 1, 6)
	if err != nil {
		return err
	}
	g, err := s.kgGraph(r)
	if err != nil {
		return err
	}
	var paths []kg.Path
	if mp := q.Get("metapath"); mp != "" {
		m, err := kg.ParseMetapath(mp)
		if err != nil {
			return err
		}
		paths, err = g.MetapathPaths(from, m, to, k)
		if err != nil {
			return err
		}
	} else if paths, err = g.Paths(from, to, kg.PathOptions{K: k, MaxHops: hops, EdgeTypes: q["edge_type"]}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.KGPathsResponse{Paths: paths})
}

// maxKGInputs bounds the drugs or symptoms of one request.
const maxKGInputs = 100

// kgInputProblems returns EINVALID listing every problem of a list of
// names: none, too many, or an empty or overlong entry.
func kgInputProblems(field string, names []string) error {
	if len(names) == 0 || len(names) > maxKGInputs {
		return galen.ProblemsError(galen.EINVALID, []galen.Problem{{Path: field, Message: "want 1 to " + strconv.Itoa(maxKGInputs) + " entries"}})
	}
	var ps []galen.Problem
	for i, n := range names {
		if strings.TrimSpace(n) == "" || len(n) > 200 {
			ps = append(ps, galen.Problem{Path: field + "[" + strconv.Itoa(i) + "]", Message: "want a name or code of 1 to 200 characters"})
		}
	}
	if len(ps) > 0 {
		return galen.ProblemsError(galen.EINVALID, ps)
	}
	return nil
}

func (s *Server) handleKGInteractions(w http.ResponseWriter, r *http.Request) error {
	var req api.KGInteractionsRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if err := kgInputProblems("drugs", req.Drugs); err != nil {
		return err
	}
	g, err := s.kgGraph(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g.Interactions(req.Drugs))
}

func (s *Server) handleKGSuggest(w http.ResponseWriter, r *http.Request) error {
	var req api.KGSuggestRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if err := kgInputProblems("symptoms", req.Symptoms); err != nil {
		return err
	}
	if req.Limit < 0 || req.Limit > 100 {
		return galen.Errorf(galen.EINVALID, "limit: want 0 (default 10) to 100")
	}
	g, err := s.kgGraph(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g.SuggestDiseases(req.Symptoms, req.Limit))
}
