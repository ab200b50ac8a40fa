package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/inference"
)

// oipRoutes are the Open Inference Protocol v2 routes.
func (s *Server) oipRoutes() []route {
	var rs []route
	rs = append(rs,
		route{Method: "GET", Pattern: "/v2", Roles: anyRole, Handler: s.handleServerMetadata, Tag: "oip",
			Summary: "Server metadata (OIP v2)", Response: api.ServerMetadata{}},
		route{Method: "GET", Pattern: "/v2/health/live", Handler: s.handleLive, Tag: "oip",
			Summary: "Liveness (OIP v2); no key needed", Response: api.Health{}},
		route{Method: "GET", Pattern: "/v2/health/ready", Handler: s.handleReady, Tag: "oip",
			Summary: "Readiness: the store answers (OIP v2); no key needed", Response: api.Health{}},
	)
	for _, base := range []string{"/v2/models/{name}", "/v2/models/{name}/versions/{version}"} {
		rs = append(rs,
			route{Method: "GET", Pattern: base, Roles: predictRoles, Audit: true, Handler: s.handleModelMetadata, Tag: "oip",
				Summary: "Model metadata: inputs and outputs (OIP v2)", Response: api.ModelMetadata{}},
			route{Method: "GET", Pattern: base + "/ready", Roles: predictRoles, Audit: true, Handler: s.handleModelReady, Tag: "oip",
				Summary: "Model readiness: loads the model (OIP v2)", Response: api.ModelReady{}},
			route{Method: "POST", Pattern: base + "/infer", Roles: predictRoles, Audit: true, Handler: s.handleInfer, Tag: "oip",
				Summary: "Run inference (OIP v2)", Request: api.InferenceRequest{}, Response: api.InferenceResponse{}},
		)
	}
	return rs
}

func (s *Server) handleServerMetadata(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, api.ServerMetadata{Name: "galen", Version: s.cfg.Version, Extensions: []string{}})
}

func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) error {
	live := true
	return writeJSON(w, http.StatusOK, api.Health{Live: &live})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	if s.closing.Load() {
		return galen.Errorf(galen.EUNAVAILABLE, "shutting down")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger.Warn("store ping failed", "request_id", info(r).id, "err", err)
		return galen.Errorf(galen.EUNAVAILABLE, "store is not reachable")
	}
	ready := true
	return writeJSON(w, http.StatusOK, api.Health{Ready: &ready})
}

// loadModel resolves and loads the {name}/{version} of the request.
func (s *Server) loadModel(r *http.Request) (*inference.Loaded, error) {
	l, err := s.models.Get(r.Context(), r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		return nil, err
	}
	info(r).version = l.Version.Version
	return l, nil
}

func (s *Server) handleModelMetadata(w http.ResponseWriter, r *http.Request) error {
	l, err := s.loadModel(r)
	if err != nil {
		return err
	}
	vs, err := s.store.FindModelVersions(r.Context(), l.Version.ModelName)
	if err != nil {
		return err
	}
	md := api.ModelMetadata{Name: l.Version.ModelName, Platform: l.Version.Format,
		Inputs: specs(l.Predictor.Inputs()), Outputs: specs(l.Predictor.Outputs())}
	for _, v := range vs {
		md.Versions = append(md.Versions, strconv.Itoa(v.Version))
	}
	return writeJSON(w, http.StatusOK, md)
}

func specs(ts []galen.TensorSpec) []api.TensorMetadata {
	out := make([]api.TensorMetadata, len(ts))
	for i, t := range ts {
		out[i] = api.TensorMetadata(t)
	}
	return out
}

func (s *Server) handleModelReady(w http.ResponseWriter, r *http.Request) error {
	l, err := s.loadModel(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.ModelReady{Name: l.Version.ModelName, Version: strconv.Itoa(l.Version.Version), Ready: true})
}

func (s *Server) handleInfer(w http.ResponseWriter, r *http.Request) error {
	var req api.InferenceRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	l, err := s.loadModel(r)
	if err != nil {
		return err
	}
	inputs, err := checkInputs(req.Inputs, l.Predictor.Inputs())
	if err != nil {
		return err
	}
	for _, o := range req.Outputs {
		if !slices.ContainsFunc(l.Predictor.Outputs(), func(t galen.TensorSpec) bool { return t.Name == o.Name }) {
			return galen.Errorf(galen.EINVALID, "unknown output %q requested", o.Name)
		}
	}
	start := time.Now()
	outs, err := s.models.Infer(r.Context(), l, inputs)
	if err != nil {
		return err
	}
	s.metrics.observeInference(l.Version.ModelName, time.Since(start))
	resp := api.InferenceResponse{ModelName: l.Version.ModelName, ModelVersion: strconv.Itoa(l.Version.Version), ID: req.ID, Outputs: []api.InferTensor{}}
	for _, t := range outs {
		if len(req.Outputs) > 0 && !slices.ContainsFunc(req.Outputs, func(o api.RequestOutput) bool { return o.Name == t.Name }) {
			continue
		}
		it, err := api.NewInferTensor(t)
		if err != nil {
			return err
		}
		resp.Outputs = append(resp.Outputs, it)
	}
	return writeJSON(w, http.StatusOK, resp)
}

// checkInputs decodes the request's tensors and checks them against the
// model's input specs: every input present once, no unknown ones, datatype
// and shape as the model wants (FP32 and FP64 are interchangeable, and
// UINT8 is taken where the model wants either: every byte is exact in
// both; the model's Infer reads Ints for UINT8).
func checkInputs(in []api.InferTensor, want []galen.TensorSpec) ([]galen.Tensor, error) {
	if len(in) == 0 {
		return nil, galen.Errorf(galen.EINVALID, "no inputs; the model takes %s", specList(want))
	}
	out := make([]galen.Tensor, 0, len(in))
	for _, it := range in {
		t, err := it.Decode()
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o galen.Tensor) bool { return o.Name == t.Name }) {
			return nil, galen.Errorf(galen.EINVALID, "input %q appears twice", t.Name)
		}
		i := slices.IndexFunc(want, func(s galen.TensorSpec) bool { return s.Name == t.Name })
		if i < 0 {
			return nil, galen.Errorf(galen.EINVALID, "unknown input %q; the model takes %s", t.Name, specList(want))
		}
		spec := want[i]
		if t.Datatype != spec.Datatype && !((isFloat(t.Datatype) || t.Datatype == galen.DatatypeUINT8) && isFloat(spec.Datatype)) {
			return nil, galen.Errorf(galen.EINVALID, "input %q: datatype %s, the model wants %s", t.Name, t.Datatype, spec.Datatype)
		}
		if !shapeFits(t.Shape, spec.Shape) {
			return nil, galen.Errorf(galen.EINVALID, "input %q: shape %v, the model wants %v (-1: any size)", t.Name, t.Shape, spec.Shape)
		}
		out = append(out, t)
	}
	for _, s := range want {
		if !slices.ContainsFunc(out, func(t galen.Tensor) bool { return t.Name == s.Name }) {
			return nil, galen.Errorf(galen.EINVALID, "missing input %q (%s %v)", s.Name, s.Datatype, s.Shape)
		}
	}
	return out, nil
}

func isFloat(dt string) bool { return dt == galen.DatatypeFP32 || dt == galen.DatatypeFP64 }

func shapeFits(got, want []int64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if want[i] >= 0 && got[i] != want[i] {
			return false
		}
	}
	return true
}

func specList(ts []galen.TensorSpec) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%q %s %v", t.Name, t.Datatype, t.Shape)
	}
	return strings.Join(parts, ", ")
}
