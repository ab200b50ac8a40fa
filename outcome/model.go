package outcome

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/evaluation"
)

// Format names the artifact format of this package's models.
const Format = "outcome-grud/v1"

// Contribution is the effect of one variable on the risk, by occlusion: the
// risk with the stay as given minus the risk with every observation of the
// variable removed (treated as never measured). Positive raises the risk.
type Contribution struct {
	Variable     string  `json:"variable"`
	Contribution float64 `json:"contribution"`
}

// Prediction is the answer for one stay.
type Prediction struct {
	Risk          float64        `json:"risk"`      // calibrated probability of in-hospital death
	Uncertain     bool           `json:"uncertain"` // too little data, or the two component models disagree
	Band          string         `json:"band"`      // "low", "moderate" or "high"; cut-offs fixed on validation
	Contributions []Contribution `json:"contributions"`
	Warnings      []string       `json:"warnings,omitempty"` // names and counts only, never values
}

// Risk bands.
const (
	BandLow      = "low"
	BandModerate = "moderate"
	BandHigh     = "high"
)

// Uncertainty rules (documented in the model card).
const (
	minObservedVariables = 5    // fewer observed time-series variables is uncertain
	maxDisagreement      = 0.25 // |risk(baseline) - risk(GRU-D)| above this is uncertain
)

// artifact is the serialised model: JSON, with GRU-D weights as named
// float32 tensors in base64 (see grud.go).
type artifact struct {
	Format     string           `json:"format"`
	Config     Config           `json:"config"`
	Norm       Normalizer       `json:"normalizer"`
	Logistic   *Logistic        `json:"logistic"`
	GRUD       *GRUD            `json:"grud,omitempty"`
	Blend      float64          `json:"blend"` // weight of the GRU-D logit; 0 = baseline only
	CalibLR    evaluation.Platt `json:"calib_logistic"`
	CalibGRUD  evaluation.Platt `json:"calib_grud"`
	Calib      evaluation.Platt `json:"calib"` // on the blended logit
	Threshold  float64          `json:"threshold"`
	LowCut     float64          `json:"low_cut"`
	Card       galen.ModelCard  `json:"card"`
	Validation Metrics          `json:"validation"`
}

// Model is a trained, calibrated mortality model. It is read-only after
// Load and safe for concurrent use.
type Model struct {
	a artifact
}

// Load parses an artifact made by Train (format "outcome-grud/v1").
func Load(b []byte) (*Model, error) {
	var a artifact
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, galen.WrapError(galen.EINVALID, "outcome: artifact is not valid JSON", err)
	}
	if a.Format != Format {
		return nil, galen.Errorf(galen.EINVALID, "outcome: artifact format %q, want %q", a.Format, Format)
	}
	m := &Model{a: a}
	if err := m.check(); err != nil {
		return nil, galen.WrapError(galen.EINVALID, "outcome: bad artifact", err)
	}
	return m, nil
}

func (m *Model) check() error {
	a := &m.a
	nv := len(variables)
	if a.Config.Bins() <= 0 || a.Config.withDefaults() != a.Config {
		return fmt.Errorf("config %+v", a.Config)
	}
	if len(a.Norm.Mean) != nv || len(a.Norm.Std) != nv {
		return fmt.Errorf("normalizer has %d variables, want %d", len(a.Norm.Mean), nv)
	}
	for i := range nv {
		if !finite(a.Norm.Mean[i]) || !(a.Norm.Std[i] > 0) || !finite(a.Norm.Std[i]) {
			return fmt.Errorf("normalizer of %s", variables[i].Name)
		}
	}
	for _, k := range []string{"Age", "Height", "Weight"} {
		if ms, ok := a.Norm.Desc[k]; !ok || !finite(ms[0]) || !(ms[1] > 0) || !finite(ms[1]) {
			return fmt.Errorf("normalizer of %s", k)
		}
	}
	if a.Logistic == nil || len(a.Logistic.W) != len(SummaryNames()) {
		return fmt.Errorf("logistic weights missing or of wrong size")
	}
	if !allFinite(a.Logistic.W) || !finite(a.Logistic.B) {
		return fmt.Errorf("logistic weights not finite")
	}
	if a.Blend < 0 || a.Blend > 1 || (a.Blend > 0 && a.GRUD == nil) {
		return fmt.Errorf("blend %v", a.Blend)
	}
	if a.GRUD != nil {
		if err := a.GRUD.check(nv, len(StaticNames)); err != nil {
			return err
		}
	}
	for _, p := range []evaluation.Platt{a.CalibLR, a.CalibGRUD, a.Calib} {
		if !finite(p.A) || !finite(p.B) {
			return fmt.Errorf("calibration not finite")
		}
	}
	if !(a.Threshold > 0 && a.Threshold < 1) || !(a.LowCut >= 0 && a.LowCut <= a.Threshold) {
		return fmt.Errorf("thresholds %v, %v", a.LowCut, a.Threshold)
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func allFinite[T float32 | float64](xs []T) bool {
	for _, x := range xs {
		if !finite(float64(x)) {
			return false
		}
	}
	return true
}

// Marshal returns the model's artifact.
func (m *Model) Marshal() ([]byte, error) { return json.Marshal(&m.a) }

// Card returns the model card.
func (m *Model) Card() galen.ModelCard { return m.a.Card }

// Threshold returns the decision threshold (fixed on validation) used for
// Event-1 and the "high" band; LowCut the upper end of the "low" band.
func (m *Model) Threshold() float64 { return m.a.Threshold }

// LowCut returns the risk below which a prediction is in the "low" band.
func (m *Model) LowCut() float64 { return m.a.LowCut }

// Config returns the time grid the model was trained on.
func (m *Model) Config() Config { return m.a.Config }

// component logits of a cleaned stay with one variable or descriptor left out.
func (m *Model) logits(c *cleaned, skip int, skipDesc string) (zLR, zGRUD float64) {
	zLR = m.a.Logistic.Logit(m.a.Norm.summary(c, skip, skipDesc))
	if m.a.GRUD != nil && m.a.Blend > 0 {
		zGRUD = m.a.GRUD.logit(m.a.Norm.series(c, m.a.Config, skip, skipDesc))
	}
	return zLR, zGRUD
}

func (m *Model) risk(c *cleaned, skip int, skipDesc string) (risk, rLR, rGRUD float64) {
	zl, zg := m.logits(c, skip, skipDesc)
	b := m.a.Blend
	risk = m.a.Calib.Apply((1-b)*zl + b*zg)
	rLR = m.a.CalibLR.Apply(zl)
	rGRUD = rLR
	if b > 0 {
		rGRUD = m.a.CalibGRUD.Apply(zg)
	}
	return risk, rLR, rGRUD
}

// Risk returns the calibrated risk of a stay without explanation.
func (m *Model) Risk(ctx context.Context, s *Stay) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s == nil {
		return 0, galen.Errorf(galen.EINVALID, "outcome: no stay")
	}
	c := clean(s, m.a.Config)
	r, _, _ := m.risk(&c, -1, "")
	return r, nil
}

// Predict returns the calibrated risk of a stay, its band, whether it is
// uncertain, the contribution of each observed variable and descriptor by
// occlusion, and warnings about dropped input. It returns EINVALID for a nil
// stay and ctx.Err() when cancelled. Safe for concurrent use.
func (m *Model) Predict(ctx context.Context, s *Stay) (Prediction, error) {
	if err := ctx.Err(); err != nil {
		return Prediction{}, err
	}
	if s == nil {
		return Prediction{}, galen.Errorf(galen.EINVALID, "outcome: no stay")
	}
	c := clean(s, m.a.Config)
	risk, rl, rg := m.risk(&c, -1, "")
	p := Prediction{Risk: risk, Band: m.band(risk), Contributions: []Contribution{}}
	observed := 0
	for i, obs := range c.obs {
		if len(obs) == 0 {
			continue
		}
		observed++
		if err := ctx.Err(); err != nil {
			return Prediction{}, err
		}
		r, _, _ := m.risk(&c, i, "")
		p.Contributions = append(p.Contributions, Contribution{variables[i].Name, risk - r})
	}
	for _, k := range descriptorNames {
		if _, ok := c.desc[k]; ok {
			r, _, _ := m.risk(&c, -1, k)
			p.Contributions = append(p.Contributions, Contribution{k, risk - r})
		}
	}
	sort.SliceStable(p.Contributions, func(i, j int) bool {
		return math.Abs(p.Contributions[i].Contribution) > math.Abs(p.Contributions[j].Contribution)
	})
	if observed < minObservedVariables {
		p.Uncertain = true
		p.Warnings = append(p.Warnings, fmt.Sprintf("only %d of %d time-series variables observed; the risk is uncertain", observed, len(variables)))
	}
	if math.Abs(rl-rg) > maxDisagreement {
		p.Uncertain = true
		p.Warnings = append(p.Warnings, "the baseline and recurrent models disagree; the risk is uncertain")
	}
	p.Warnings = append(p.Warnings, c.issue.warnings()...)
	return p, nil
}

func (m *Model) band(r float64) string {
	switch {
	case r >= m.a.Threshold:
		return BandHigh
	case r < m.a.LowCut:
		return BandLow
	default:
		return BandModerate
	}
}

// warnings turns cleaning issues into messages with names and counts only.
func (is *Issues) warnings() []string {
	var w []string
	for _, k := range sortedKeys(is.Implausible) {
		w = append(w, fmt.Sprintf("%s: %d physiologically impossible value(s) dropped", k, is.Implausible[k]))
	}
	for _, k := range sortedKeys(is.Unknown) {
		w = append(w, fmt.Sprintf("unknown parameter %q: %d observation(s) ignored", truncate(k, 40), is.Unknown[k]))
	}
	if is.OutOfWindow > 0 {
		w = append(w, fmt.Sprintf("%d observation(s) outside the model's time window ignored", is.OutOfWindow))
	}
	if is.Unsorted {
		w = append(w, "observations were not in time order; they were sorted")
	}
	return w
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

//go:embed icu-mortality.json
var builtinArtifact []byte

// BuiltinArtifact returns the artifact of the model shipped in the binary
// (trained on PhysioNet/CinC 2012 set A; see MODEL_CARD.md).
func BuiltinArtifact() []byte { return slices.Clone(builtinArtifact) }

// Builtin returns the model shipped in the binary.
func Builtin() (*Model, error) { return Load(builtinArtifact) }

// BuiltinCard returns the model card of the built-in model.
func BuiltinCard() galen.ModelCard {
	m, err := Builtin()
	if err != nil {
		return galen.ModelCard{}
	}
	return m.Card()
}
