package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/imaging"
	"github.com/galenhealth/galen/inference"
)

// DefaultImagingModel is the model /v1/imaging/classify uses when the
// request names none.
const DefaultImagingModel = "pneumonia-xray"

// Default limits of /v1/imaging/classify (Config.ImagingMaxBytes,
// Config.ImagingMaxPixels); over them the answer is 413.
const (
	DefaultImagingMaxBytes  = 16 << 20
	DefaultImagingMaxPixels = imaging.DefaultMaxPixels
)

func (s *Server) imagingRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/v1/imaging/classify", Roles: predictRoles, Audit: true, Handler: s.handleImagingClassify, Tag: "imaging",
			Summary: "pneumonia vs normal from a chest X-ray: raw image/png, image/jpeg or application/dicom body, or multipart/form-data " +
				"with the image in the first file part; ?saliency=true adds a Grad-CAM map; Accept: application/fhir+json answers a DiagnosticReport",
			Response: api.ImagingResponse{}, Query: []string{"model", "version", "saliency"}},
	}
}

func (s *Server) handleImagingClassify(w http.ResponseWriter, r *http.Request) error {
	wantFHIR := accepts(r, mediaFHIR, mediaFHIRLegacy)
	q := r.URL.Query()
	for k := range q {
		if k != "model" && k != "version" && k != "saliency" {
			return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EINVALID, "unknown query parameter %q (want model, version, saliency)", k))
		}
	}
	saliency := false
	if v := q.Get("saliency"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EINVALID, "saliency %q: want true or false", v))
		}
		saliency = b
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "image/png" && mt != "image/jpeg" && mt != "application/dicom" && mt != "multipart/form-data") {
		return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EUNSUPPORTED,
			"Content-Type must be image/png, image/jpeg, application/dicom or multipart/form-data, not %q", r.Header.Get("Content-Type")))
	}
	body, err := requestBody(r)
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	if int64(len(body)) > s.cfg.ImagingMaxBytes {
		return s.answerError(w, r, wantFHIR, galen.Errorf(galen.ETOOLARGE, "image body of %d bytes is over the limit of %d", len(body), s.cfg.ImagingMaxBytes))
	}
	if mt == "multipart/form-data" {
		if body, err = firstFilePart(body, params["boundary"]); err != nil {
			return s.answerError(w, r, wantFHIR, err)
		}
	}
	if len(body) == 0 {
		return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EINVALID, "the image is empty"))
	}
	in, err := imaging.Decode(body, s.cfg.ImagingMaxPixels)
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	m, l, err := s.imagingModel(r.Context(), q.Get("model"), q.Get("version"))
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	ri := info(r)
	ri.model, ri.version = l.Version.ModelName, l.Version.Version
	px := in.Resize(m.Size())
	var p *imaging.Prediction
	start := time.Now()
	err = s.models.Do(r.Context(), l, func(ctx context.Context) error {
		var err error
		if p, err = m.Predict(ctx, px, saliency); err != nil {
			return err
		}
		if p.Saliency != nil {
			p.Saliency.PNG, err = p.Saliency.Overlay(px)
		}
		return err
	})
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	s.metrics.observeInference(l.Version.ModelName, time.Since(start))
	if wantFHIR {
		return writeFHIR(w, http.StatusOK, diagnosticReport(p, l.Version, in))
	}
	out := api.ImagingResponse{Class: p.Class, Probabilities: p.Probabilities, Threshold: p.Threshold, Uncertain: p.Uncertain,
		Band: p.Band, Explanation: p.Explanation, Model: l.Version.ModelName, Version: l.Version.Version,
		Input: api.ImagingInput{Kind: in.Kind, Width: in.Width, Height: in.Height}}
	if sal := p.Saliency; sal != nil {
		out.Saliency = &api.ImagingSaliency{Method: sal.Method, Layer: sal.Layer, Width: sal.Width, Height: sal.Height, Grid: sal.Grid, PNG: sal.PNG}
	}
	if in.StudyInstanceUID != "" || in.SeriesInstanceUID != "" {
		out.DICOM = &api.ImagingDICOM{StudyInstanceUID: in.StudyInstanceUID, SeriesInstanceUID: in.SeriesInstanceUID}
	}
	return writeJSON(w, http.StatusOK, out)
}

// firstFilePart returns the content of the part named "image" or "file",
// else of the first part with a file name, of a multipart/form-data body.
func firstFilePart(body []byte, boundary string) ([]byte, error) {
	if boundary == "" {
		return nil, galen.Errorf(galen.EINVALID, "multipart/form-data without a boundary parameter")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var first []byte
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, galen.Errorf(galen.EINVALID, "multipart body, part %d: %v", i+1, err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, galen.Errorf(galen.EINVALID, "multipart body, part %d: %v", i+1, err)
		}
		if name := part.FormName(); name == "image" || name == "file" {
			return b, nil
		}
		if first == nil && part.FileName() != "" {
			first = b
		}
	}
	if first == nil {
		return nil, galen.Errorf(galen.EINVALID, "multipart body has no part named image or file and no file part")
	}
	return first, nil
}

// imagingModel resolves and loads an image classifier.
func (s *Server) imagingModel(ctx context.Context, name, version string) (*imaging.Model, *inference.Loaded, error) {
	if name == "" {
		name = DefaultImagingModel
	}
	v, err := s.models.Resolve(ctx, name, version)
	if err != nil {
		return nil, nil, err
	}
	if v.Format != imaging.Format {
		return nil, nil, galen.Errorf(galen.EINVALID, "model %q version %d has format %q, not an image classifier (%s)", v.ModelName, v.Version, v.Format, imaging.Format)
	}
	l, err := s.models.GetVersion(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	m, ok := imaging.FromPredictor(l.Predictor)
	if !ok {
		return nil, nil, galen.Errorf(galen.EINTERNAL, "model %q version %d did not load as an image classifier", v.ModelName, v.Version)
	}
	return m, l, nil
}

// diagnosticReport writes a classification as a FHIR DiagnosticReport with
// the model as performer.
func diagnosticReport(p *imaging.Prediction, v *galen.ModelVersion, in *imaging.Input) *fhir.DiagnosticReport {
	now := time.Now().UTC().Format(time.RFC3339)
	pp := math.Round(p.Probabilities[imaging.ClassPneumonia]*1e4) / 1e4
	dr := &fhir.DiagnosticReport{
		Status:   "preliminary",
		Category: []fhir.CodeableConcept{{Coding: []fhir.Coding{{System: fhir.SystemDiagnosticService, Code: "RAD", Display: "Radiology"}}}},
		Code: fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemLOINC, Code: "18748-4", Display: "Diagnostic imaging study"}},
			Text: "AI reading of a chest X-ray: pneumonia vs normal"},
		Issued:     now,
		Performer:  []fhir.Reference{{Type: "Device", Display: fmt.Sprintf("Galen %s version %d (%s)", v.ModelName, v.Version, v.Format)}},
		Conclusion: fmt.Sprintf("%s (pneumonia probability %.4f, threshold %.4f, band %s)", p.Class, pp, p.Threshold, p.Band),
	}
	if p.Class == imaging.ClassPneumonia {
		dr.ConclusionCode = []fhir.CodeableConcept{{Coding: []fhir.Coding{{System: fhir.SystemSNOMED, Code: "233604007", Display: "Pneumonia"}}}}
	} else {
		dr.ConclusionCode = []fhir.CodeableConcept{{Coding: []fhir.Coding{{System: fhir.SystemSNOMED, Code: "17621005", Display: "Normal"}}}}
	}
	if p.Uncertain {
		dr.Conclusion += "; uncertain (close to the threshold): a radiologist should read this image"
	}
	if in.StudyInstanceUID != "" {
		dr.ImagingStudy = []fhir.Reference{{Type: "ImagingStudy", Display: "Study Instance UID " + in.StudyInstanceUID}}
	}
	if p.Saliency != nil && p.Saliency.PNG != nil {
		dr.PresentedForm = []fhir.Attachment{{ContentType: "image/png", Data: p.Saliency.PNG, Title: "Grad-CAM saliency overlay"}}
	}
	return dr
}
