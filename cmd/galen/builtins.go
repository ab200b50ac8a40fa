package main

import (
	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/deid"
	"github.com/galenhealth/galen/imaging"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
	"github.com/galenhealth/galen/outcome"
)

// builtinModels are registered by `galen serve` on start when absent.
func builtinModels() []inference.Builtin {
	return []inference.Builtin{
		{Name: outcome.BuiltinName, Task: "outcome", Format: outcome.Format, Card: outcome.BuiltinCard(), Artifact: outcome.BuiltinArtifact(),
			Description: "In-hospital mortality risk from the first 48 hours of an ICU stay (PhysioNet/CinC 2012)"},
		{Name: deid.BuiltinName, Task: "deid", Format: deid.Format, Card: deid.BuiltinCard(), Artifact: deid.BuiltinArtifact(),
			Description: "De-identification of clinical notes: HIPAA Safe Harbor identifiers tagged (rules, dictionaries and a BiLSTM tagger)"},
		{Name: "pneumonia-xray", Task: "imaging", Format: imaging.Format, Card: imaging.BuiltinCard(), Artifact: imaging.BuiltinArtifact(),
			Description: imaging.Description},
	}
}

// loaders maps each artifact format the server can load to its Loader.
func loaders() map[string]galen.Loader {
	return map[string]galen.Loader{linear.Format: linear.Load, outcome.Format: outcome.Loader, deid.Format: deid.Loader, imaging.Format: imaging.Loader}
}
