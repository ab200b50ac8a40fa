package text

import (
	_ "embed" // the built-in model
	"slices"
	"sync"

	"github.com/galenhealth/galen"
)

//go:embed clinical-specialty.safetensors
var builtinArtifact []byte

// BuiltinArtifact returns the artifact of the clinical-specialty model
// shipped in the binary (see MODEL_CARD.md).
func BuiltinArtifact() []byte { return slices.Clone(builtinArtifact) }

var builtin = sync.OnceValues(func() (*Classifier, error) { return Parse(builtinArtifact) })

// Builtin returns the model shipped in the binary.
func Builtin() (*Classifier, error) { return builtin() }

// BuiltinCard returns the built-in model's card.
func BuiltinCard() galen.ModelCard {
	c, err := Builtin()
	if err != nil {
		return galen.ModelCard{}
	}
	return c.Card()
}
