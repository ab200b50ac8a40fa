package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/outcome"
)

// physioNetBody reads a PhysioNet 2012 record and returns it as a request
// body for POST /v1/outcome/predict, with its Content-Type.
func physioNetBody(path, form string) ([]byte, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	s, _, err := outcome.ParseRecord(path, f)
	if err != nil {
		return nil, "", err
	}
	switch form {
	case "plain":
		type obs struct {
			Time      string  `json:"time"`
			Parameter string  `json:"parameter"`
			Value     float64 `json:"value"`
		}
		req := struct {
			Observations []obs              `json:"observations"`
			Descriptors  map[string]float64 `json:"descriptors"`
		}{Descriptors: s.Descriptors}
		for _, o := range s.Observations {
			req.Observations = append(req.Observations, obs{fmt.Sprintf("%02d:%02d", o.Minutes/60, o.Minutes%60), o.Parameter, o.Value})
		}
		b, err := json.Marshal(req)
		return b, "application/json", err
	case "fhir":
		b, err := json.Marshal(icustay.BundleFromStay(s, time.Date(2012, 5, 1, 8, 0, 0, 0, time.UTC)))
		return b, "application/fhir+json", err
	}
	return nil, "", fmt.Errorf("-form %q: want plain or fhir", form)
}
