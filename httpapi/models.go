package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

// modelRoutes are the model registry routes under /v1/models.
func (s *Server) modelRoutes() []route {
	return []route{
		{Method: "GET", Pattern: "/v1/models", Roles: registryRead, Audit: true, Handler: s.handleListModels, Tag: "models",
			Summary: "List models", Response: api.ModelList{}, Query: []string{"task", "limit", "offset"}},
		{Method: "POST", Pattern: "/v1/models", Roles: registryWrite, Audit: true, Handler: s.handleCreateModel, Tag: "models",
			Summary: "Create a model", Request: api.CreateModelRequest{}, Response: galen.Model{}, Status: http.StatusCreated},
		{Method: "GET", Pattern: "/v1/models/{name}", Roles: registryRead, Audit: true, Handler: s.handleGetModel, Tag: "models",
			Summary: "A model with its versions and aliases", Response: api.ModelDetail{}},
		{Method: "DELETE", Pattern: "/v1/models/{name}", Roles: adminOnly, Audit: true, Handler: s.handleDeleteModel, Tag: "models",
			Summary: "Delete a model with its versions and aliases", Status: http.StatusNoContent},
		{Method: "GET", Pattern: "/v1/models/{name}/versions", Roles: registryRead, Audit: true, Handler: s.handleListVersions, Tag: "models",
			Summary: "List a model's versions", Response: api.VersionList{}},
		{Method: "POST", Pattern: "/v1/models/{name}/versions", Roles: registryWrite, Audit: true, Handler: s.handleUploadVersion, Tag: "models",
			Summary: "Upload a new version: artifact (base64) and model card", Request: api.UploadVersionRequest{}, Response: galen.ModelVersion{}, Status: http.StatusCreated},
		{Method: "GET", Pattern: "/v1/models/{name}/versions/{version}", Roles: registryRead, Audit: true, Handler: s.handleGetVersion, Tag: "models",
			Summary: "One version (number or alias) with its model card", Response: galen.ModelVersion{}},
		{Method: "GET", Pattern: "/v1/models/{name}/aliases", Roles: registryRead, Audit: true, Handler: s.handleListAliases, Tag: "models",
			Summary: "List a model's aliases", Response: api.AliasList{}},
		{Method: "PUT", Pattern: "/v1/models/{name}/aliases/{alias}", Roles: registryWrite, Audit: true, Handler: s.handleSetAlias, Tag: "models",
			Summary: "Point an alias at a version", Request: api.SetAliasRequest{}, Response: galen.Alias{}},
		{Method: "POST", Pattern: "/v1/models/{name}/aliases/{alias}/rollback", Roles: registryWrite, Audit: true, Handler: s.handleRollbackAlias, Tag: "models",
			Summary: "Move an alias back to its previous version", Response: galen.Alias{}},
	}
}

// pageParams reads limit (1..1000, default 100) and offset (>= 0) from q.
func pageParams(q url.Values) (limit, offset int, err error) {
	limit, offset = 100, 0
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, galen.Errorf(galen.EINVALID, "limit %q: want an integer from 1 to 1000", s)
		}
	}
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return 0, 0, galen.Errorf(galen.EINVALID, "offset %q: want an integer >= 0", s)
		}
	}
	return limit, offset, nil
}

func (s *Server) handleListModels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset, err := pageParams(q)
	if err != nil {
		return err
	}
	f := galen.ModelFilter{Limit: limit, Offset: offset}
	if t := q.Get("task"); t != "" {
		f.Task = &t
	}
	ms, n, err := s.store.FindModels(r.Context(), f)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []*galen.Model{}
	}
	return writeJSON(w, http.StatusOK, api.ModelList{Models: ms, Total: n})
}

func (s *Server) handleCreateModel(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateModelRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	info(r).model = galen.AuditModel(req.Name) // never a name that is not one
	if req.Task == "" {
		return galen.Errorf(galen.EINVALID, "task is required")
	}
	m := &galen.Model{Name: req.Name, Task: req.Task, Description: req.Description}
	if err := s.store.CreateModel(r.Context(), m); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (s *Server) handleGetModel(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	m, err := s.store.FindModelByName(r.Context(), name)
	if err != nil {
		return err
	}
	vs, err := s.store.FindModelVersions(r.Context(), name)
	if err != nil {
		return err
	}
	as, err := s.store.FindAliases(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.ModelDetail{Model: m, Versions: nonNil(vs), Aliases: nonNil(as)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) handleDeleteModel(w http.ResponseWriter, r *http.Request) error {
	defer s.models.Forget(r.PathValue("name"))
	if err := s.store.DeleteModel(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleListVersions(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := s.store.FindModelByName(r.Context(), name); err != nil {
		return err
	}
	vs, err := s.store.FindModelVersions(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.VersionList{Versions: nonNil(vs)})
}

func (s *Server) handleUploadVersion(w http.ResponseWriter, r *http.Request) error {
	defer s.models.Forget(r.PathValue("name")) // the latest version may change what "" resolves to
	var req api.UploadVersionRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, err := s.store.FindModelByName(r.Context(), name); err != nil {
		return err
	}
	if len(req.Artifact) == 0 {
		return galen.Errorf(galen.EINVALID, "artifact is empty")
	}
	v := &galen.ModelVersion{ModelName: name, Format: req.Format, Card: req.Card}
	if k := info(r).key; k != nil {
		v.CreatedBy = k.ID
	}
	if err := s.models.Check(r.Context(), v, req.Artifact); err != nil {
		return err
	}
	if err := s.store.CreateModelVersion(r.Context(), v, req.Artifact); err != nil {
		return err
	}
	info(r).version = v.Version
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleGetVersion(w http.ResponseWriter, r *http.Request) error {
	v, err := s.store.FindModelVersion(r.Context(), r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		return err
	}
	info(r).version = v.Version
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleListAliases(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := s.store.FindModelByName(r.Context(), name); err != nil {
		return err
	}
	as, err := s.store.FindAliases(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.AliasList{Aliases: nonNil(as)})
}

func (s *Server) handleSetAlias(w http.ResponseWriter, r *http.Request) error {
	defer s.models.Forget(r.PathValue("name"))
	var req api.SetAliasRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Version < 1 {
		return galen.Errorf(galen.EINVALID, "version must be >= 1")
	}
	// A version the server cannot load (stored before its Loader checked
	// limits) must not become what an alias serves.
	if err := s.models.CheckLoadable(r.Context(), r.PathValue("name"), strconv.Itoa(req.Version)); err != nil {
		return err
	}
	a, err := s.store.SetAlias(r.Context(), r.PathValue("name"), r.PathValue("alias"), req.Version)
	if err != nil {
		return err
	}
	info(r).version = a.Version
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleRollbackAlias(w http.ResponseWriter, r *http.Request) error {
	defer s.models.Forget(r.PathValue("name"))
	a, err := s.store.RollbackAlias(r.Context(), r.PathValue("name"), r.PathValue("alias"))
	if err != nil {
		return err
	}
	info(r).version = a.Version
	return writeJSON(w, http.StatusOK, a)
}
