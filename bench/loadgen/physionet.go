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
	case "oip":
		b, err := oipBody(s)
		return b, "application/json", err
	}
	return nil, "", fmt.Errorf("-form %q: want plain, fhir or oip", form)
}

// oipBody writes a stay as the Open Inference Protocol v2 tensors of the
// outcome model (see outcome/oip.go): the last value of each variable in
// each bin, a mask, and the descriptors (-1 when missing), batch size 1.
func oipBody(s *outcome.Stay) ([]byte, error) {
	m, err := outcome.Builtin()
	if err != nil {
		return nil, err
	}
	cfg := m.Config()
	vars := outcome.Variables()
	T, F := cfg.Bins(), len(vars)
	index := map[string]int{}
	for i, v := range vars {
		index[v] = i
	}
	values, mask := make([]float64, T*F), make([]float64, T*F)
	for _, o := range s.Observations {
		f, ok := index[o.Parameter]
		t := o.Minutes / cfg.BinMinutes
		if !ok || o.Minutes < 0 || t >= T {
			continue
		}
		values[t*F+f], mask[t*F+f] = o.Value, 1
	}
	var desc []float64
	for _, k := range outcome.DescriptorNames() {
		v, ok := s.Descriptors[k]
		if !ok {
			v = -1
		}
		desc = append(desc, v)
	}
	type tensor struct {
		Name     string    `json:"name"`
		Shape    []int     `json:"shape"`
		Datatype string    `json:"datatype"`
		Data     []float64 `json:"data"`
	}
	return json.Marshal(map[string]any{"inputs": []tensor{
		{outcome.InputValues, []int{1, T, F}, "FP32", values},
		{outcome.InputMask, []int{1, T, F}, "FP32", mask},
		{outcome.InputDescriptors, []int{1, len(desc)}, "FP32", desc},
	}})
}
