package httpapi

import (
	"net/http"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

// keyRoutes manage API keys.
func (s *Server) keyRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/v1/keys", Roles: adminOnly, Audit: true, Handler: s.handleCreateKey, Tag: "keys",
			Summary: "Create an API key; the secret is in this answer only", Request: api.CreateKeyRequest{}, Response: api.CreateKeyResponse{}, Status: http.StatusCreated},
		{Method: "GET", Pattern: "/v1/keys", Roles: adminOnly, Audit: true, Handler: s.handleListKeys, Tag: "keys",
			Summary: "List API keys (never their secrets)", Response: api.KeyList{}},
		{Method: "DELETE", Pattern: "/v1/keys/{id}", Roles: adminOnly, Audit: true, Handler: s.handleRevokeKey, Tag: "keys",
			Summary: "Revoke an API key", Status: http.StatusNoContent},
	}
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateKeyRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	k, secret, err := galen.GenerateKey(req.Role, req.Name)
	if err != nil {
		return err
	}
	if err := s.store.CreateAPIKey(r.Context(), k); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, api.CreateKeyResponse{Key: k, Secret: secret})
}

func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := s.store.FindAPIKeys(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.KeyList{Keys: nonNil(ks)})
}

func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	s.keys.forget(r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
