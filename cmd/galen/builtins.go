package main

import (
	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
)

// builtinModels are registered by `galen serve` on start when absent.
func builtinModels() []inference.Builtin { return nil }

// loaders maps each artifact format the server can load to its Loader.
func loaders() map[string]galen.Loader {
	return map[string]galen.Loader{linear.Format: linear.Load}
}
