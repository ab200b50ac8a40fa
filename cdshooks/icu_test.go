package cdshooks

import (
	"strings"
	"testing"

	"github.com/galenhealth/galen/outcome"
)

func TestRiskCardIndicator(t *testing.T) {
	tests := []struct {
		name      string
		band      string
		uncertain bool
		want      string
	}{
		{"low", "low", false, IndicatorInfo},
		{"moderate", "moderate", false, IndicatorWarning},
		{"high", "high", true, IndicatorCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := riskCard(outcome.Prediction{Risk: 0.42, Band: tt.band, Uncertain: tt.uncertain}, "Galen ICU mortality model v3", []string{strings.Repeat("w", 300)})
			if c.Indicator != tt.want {
				t.Errorf("indicator %q, want %q", c.Indicator, tt.want)
			}
			if err := (&Response{Cards: []Card{c}}).Validate(); err != nil {
				t.Error(err)
			}
			if tt.uncertain && !strings.Contains(c.Summary, "uncertain") {
				t.Errorf("summary %q does not say uncertain", c.Summary)
			}
		})
	}
}
