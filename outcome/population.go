package outcome

import (
	"errors"
	"fmt"

	"github.com/galenhealth/galen"
)

// MinAge is the youngest age, in years, of the model's intended population:
// adult ICU stays, as in PhysioNet/CinC 2012 (patients 16 and older; set A
// holds one stay of 15 among 4,000, the rest are 16 to 90).
const MinAge = 16

// ErrOutsidePopulation is wrapped by the error Predict and Risk return for a
// stay outside the model's intended population (a child).
var ErrOutsidePopulation = errors.New("outside the model's intended population")

// CheckPopulation returns an EINVALID error wrapping ErrOutsidePopulation
// when the stay's Age descriptor is known and below MinAge. A child's
// physiology (heart rate, blood pressure, respiratory rate norms) is not
// what the model learnt, so it gives no risk rather than a misleading one.
// The message does not repeat the age.
func CheckPopulation(s *Stay) error {
	a, ok := s.Descriptors["Age"]
	if !ok || a == -1 || a < 0 || a >= MinAge {
		return nil // unknown, impossible (cleaning reports it) or adult
	}
	return galen.WrapError(galen.EINVALID, fmt.Sprintf("the patient is younger than %d: outside the model's intended population "+
		"(trained on adult ICU stays, PhysioNet/CinC 2012), so no risk is estimated", MinAge), ErrOutsidePopulation)
}
