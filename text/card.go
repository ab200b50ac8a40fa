package text

import (
	"strconv"

	"github.com/galenhealth/galen"
)

// MTSamplesData and MTSamplesLicense describe the built-in model's data.
const (
	MTSamplesData    = "mtsamples (4,999 transcriptions from mtsamples.com via Kaggle tboyle10/medicaltranscriptions and the clinspacy R package); note-type labels dropped, duplicated texts merged, ambiguous texts and specialties under 30 notes dropped"
	MTSamplesLicense = "CC0: Public Domain (as stated by the clinspacy package data documentation)"
)

// Card returns the model card of a trained classifier from its Meta.
func (c *Classifier) Card() galen.ModelCard {
	card := galen.ModelCard{Task: "text", TrainingData: c.Meta["data"], DataLicense: c.Meta["license"], Split: c.Meta["split"],
		IntendedUse: "Routing and triage of clinical notes by medical specialty (" + strconv.Itoa(len(c.Labels)) + " specialties); decision support for people, never an automated clinical decision.",
		Limitations: "Trained on public sample transcriptions (mtsamples), not on a hospital's notes; specialties with fewer than 30 notes and note types (surgery, consult, discharge summary ...) are outside its label set; accuracy on other hospitals' notes is unknown until measured there; answers flagged uncertain should be reviewed.",
		Metrics:     map[string]float64{}}
	if s, err := strconv.ParseInt(c.Meta["seed"], 10, 64); err == nil {
		card.Seed = s
	}
	for _, k := range []string{"test_macro_f1", "test_accuracy", "test_ece"} {
		if v, err := strconv.ParseFloat(c.Meta[k], 64); err == nil {
			card.Metrics[k[5:]] = v
		}
	}
	return card
}
