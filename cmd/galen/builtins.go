package main

import (
	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
	"github.com/galenhealth/galen/outcome"
	"github.com/galenhealth/galen/text"
)

// builtinModels are registered by `galen serve` on start when absent.
func builtinModels() []inference.Builtin {
	return []inference.Builtin{
		{Name: "icu-mortality", Task: "outcome", Format: outcome.Format, Card: outcome.BuiltinCard(), Artifact: outcome.BuiltinArtifact(),
			Description: "In-hospital mortality risk from the first 48 hours of an ICU stay (PhysioNet/CinC 2012)"},
		{Name: "clinical-specialty", Task: "text", Format: text.Format, Card: text.BuiltinCard(), Artifact: text.BuiltinArtifact(),
			Description: "Medical specialty of a clinical note (13 specialties, mtsamples), with explanations, sections and negated findings"},
	}
}

// loaders maps each artifact format the server can load to its Loader.
func loaders() map[string]galen.Loader {
	return map[string]galen.Loader{linear.Format: linear.Load, outcome.Format: outcome.Loader, text.Format: text.Loader}
}
