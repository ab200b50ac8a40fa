package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/galenhealth/galen"
)

// ImagingResponse is the plain-JSON answer of POST /v1/imaging/classify.
type ImagingResponse struct {
	Class         string             `json:"class"`         // "normal" or "pneumonia", at the model's threshold
	Probabilities map[string]float64 `json:"probabilities"` // per class, summing to 1
	Threshold     float64            `json:"threshold"`     // on P(pneumonia), fixed on validation
	Uncertain     bool               `json:"uncertain"`     // close to the threshold: a radiologist should read it
	Band          string             `json:"band"`          // low, moderate or high P(pneumonia)
	Explanation   string             `json:"explanation"`
	Saliency      *ImagingSaliency   `json:"saliency,omitempty"` // with ?saliency=true
	Input         ImagingInput       `json:"input"`
	DICOM         *ImagingDICOM      `json:"dicom,omitempty"` // only for DICOM input with these UIDs
	Model         string             `json:"model"`
	Version       int                `json:"version"`
}

// ImagingSaliency is a Grad-CAM map over the model's input: Grid holds
// Height×Width values in [0, 1], row by row; PNG (base64 in JSON) is the
// map over the image, enlarged.
type ImagingSaliency struct {
	Method string    `json:"method"`
	Layer  string    `json:"layer"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Grid   []float64 `json:"grid"`
	PNG    []byte    `json:"png"`
}

// ImagingInput describes the image as received.
type ImagingInput struct {
	Kind   string `json:"kind"` // png, jpeg or dicom
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// ImagingDICOM echoes the study and series of a DICOM input; no other
// header attribute (patient name, ID, ...) is ever echoed.
type ImagingDICOM struct {
	StudyInstanceUID  string `json:"study_instance_uid,omitempty"`
	SeriesInstanceUID string `json:"series_instance_uid,omitempty"`
}

// ClassifyImage calls POST /v1/imaging/classify with the raw image
// (contentType image/png, image/jpeg or application/dicom). model and
// version may be empty (the built-in pneumonia-xray, its production
// alias or newest version).
func (c *Client) ClassifyImage(ctx context.Context, image []byte, contentType, model, version string, saliency bool) (*ImagingResponse, error) {
	q := url.Values{}
	if model != "" {
		q.Set("model", model)
	}
	if version != "" {
		q.Set("version", version)
	}
	if saliency {
		q.Set("saliency", "true")
	}
	u := *c.base
	u.Path += "/v1/imaging/classify"
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, "POST", u.String(), bytes.NewReader(image))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, galen.WrapError(galen.EUNAVAILABLE, "POST /v1/imaging/classify: server unreachable", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var e Error
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return nil, galen.Errorf(CodeForStatus(resp.StatusCode), "%s", e.Error)
	}
	var out ImagingResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode POST /v1/imaging/classify response: %w", err)
	}
	return &out, nil
}
