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
// The logistic, tree and descriptor parts are exact; the GRU-D part is its
// first-order estimate from one backward pass (gradient times the change of
// the inputs), within a few per cent of exact occlusion on set A
// (TestLinearisedOcclusion), at the cost of about two forward passes.
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
	GRUD       ensemble         `json:"grud,omitempty"` // members' logits are averaged
	Trees      *Trees           `json:"trees,omitempty"`
	Weights    Weights          `json:"weights"` // of the components' calibrated log-odds
	CalibLR    evaluation.Platt `json:"calib_logistic"`
	CalibGRUD  evaluation.Platt `json:"calib_grud"`
	Calib      evaluation.Platt `json:"calib"` // on the blended logit
	Threshold  float64          `json:"threshold"`
	LowCut     float64          `json:"low_cut"`
	Card       galen.ModelCard  `json:"card"`
	Validation Metrics          `json:"validation"`
}

// Weights are the blend weights of the components' calibrated log-odds;
// they sum to 1.
type Weights struct {
	Logistic float64 `json:"logistic"`
	GRUD     float64 `json:"grud"`
	Trees    float64 `json:"trees"`
}

// Model is a trained, calibrated mortality model. It is read-only after
// Load and safe for concurrent use.
type Model struct {
	a    artifact
	fast []*fastGRUD // a.GRUD for the tape-free path
}

func newModel(a artifact) (*Model, error) {
	m := &Model{a: a}
	if err := m.check(); err != nil {
		return nil, err
	}
	for _, g := range a.GRUD {
		m.fast = append(m.fast, newFastGRUD(g))
	}
	return m, nil
}

// Load parses an artifact made by Train (format "outcome-grud/v1").
func Load(b []byte) (*Model, error) {
	var a artifact
	if err := json.Unmarshal(b, &a); err != nil {
		// The message names the field; artifacts hold no patient data.
		return nil, galen.WrapError(galen.EINVALID, "outcome: artifact is not valid: "+clip(err.Error(), 300), err)
	}
	if a.Format != Format {
		return nil, galen.Errorf(galen.EINVALID, "outcome: artifact format %q, want %q", clip(a.Format, 40), Format)
	}
	m, err := newModel(a)
	if err != nil {
		return nil, galen.WrapError(galen.EINVALID, "outcome: bad artifact: "+clip(err.Error(), 300), err)
	}
	return m, nil
}

func (m *Model) check() error {
	a := &m.a
	nv := len(variables)
	if err := checkConfig(a.Config); err != nil {
		return err
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
	w := a.Weights
	if w.Logistic < 0 || w.GRUD < 0 || w.Trees < 0 || math.Abs(w.Logistic+w.GRUD+w.Trees-1) > 1e-9 ||
		(w.GRUD > 0 && len(a.GRUD) == 0) || (w.Trees > 0 && a.Trees == nil) {
		return fmt.Errorf("weights %+v", w)
	}
	if a.Trees != nil {
		if err := a.Trees.check(len(SummaryNames())); err != nil {
			return err
		}
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

// errNotFinite answers a stay whose risk is not a number, which only a
// model with extreme weights can give; it is the model's limit, not the
// caller's mistake, and never a crash or a 500.
var errNotFinite = galen.Errorf(galen.EUNPROCESSABLE, "outcome: the model's risk for this stay is not a finite number")

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

// occlusion is one explanation variant: the stay without variable v (if
// v >= 0) and without descriptor d (if not ""). Weight is both a descriptor
// and a time series; its variant removes both.
type occlusion struct {
	name string
	v    int
	d    string
}

func occlusions(c *cleaned) []occlusion {
	var out []occlusion
	for i, obs := range c.obs {
		if len(obs) > 0 {
			out = append(out, occlusion{variables[i].Name, i, ""})
		}
	}
	for _, k := range descriptorNames {
		if _, ok := c.desc[k]; !ok {
			continue
		}
		if i, ok := variableIndex[k]; ok && len(c.obs[i]) > 0 {
			for j := range out {
				if out[j].v == i {
					out[j].d = k
				}
			}
			continue
		}
		out = append(out, occlusion{k, -1, k})
	}
	return out
}

// scores returns the calibrated risk of a cleaned stay, the risks of the
// two components alone, and with explain the contribution of each observed
// variable and present descriptor by occlusion (unsorted).
func (m *Model) scores(c *cleaned, explain bool) (risk, rLR, rGRUD float64, contribs []Contribution) {
	var occ []occlusion
	if explain {
		occ = occlusions(c)
	}
	n := 1 + len(occ)
	w := m.a.Weights
	zl, zt := make([]float64, n), make([]float64, n)
	// The summary features of an occlusion are those of the stay with the
	// variable's block zeroed and the static part recomputed without the
	// descriptor (what summary(c, v, d) returns), so compute them once.
	base := m.a.Norm.summary(c, -1, "")
	x := base
	k, nvk := len(summaryStats), len(variables)*len(summaryStats)
	for i := range n {
		if i > 0 {
			if i == 1 {
				x = make([]float64, len(base))
			}
			copy(x, base)
			if o := occ[i-1]; o.v >= 0 {
				clear(x[o.v*k : (o.v+1)*k])
			}
			if o := occ[i-1]; o.d != "" {
				copy(x[nvk:], m.a.Norm.static(c.desc, o.d))
			}
		}
		zl[i] = m.a.Logistic.Logit(x)
		if w.Trees > 0 {
			zt[i] = m.a.Trees.Logit(x)
		}
	}
	zg := make([]float64, n)
	if len(m.fast) > 0 && w.GRUD > 0 {
		ws := workspaces.Get().(*workspace)
		defer workspaces.Put(ws)
		s := m.a.Norm.seriesInto(&ws.series, ws.grid(5*m.a.Config.Bins()*len(variables)), c, m.a.Config, -1, "")
		var vars []int
		statics := make([][]float64, len(occ))
		for i, o := range occ {
			if o.v >= 0 {
				vars = append(vars, o.v)
			}
			statics[i] = s.Static
			if o.d != "" {
				statics[i] = m.a.Norm.static(c.desc, o.d)
			}
		}
		for _, f := range m.fast {
			ws.reset()
			h, dl := f.explain(s, vars, ws)
			base := f.output(h, s.Static)
			zg[0] += base
			k := 0
			for i, o := range occ {
				z := base
				if o.d != "" {
					z = f.output(h, statics[i])
				}
				if o.v >= 0 {
					z += dl[k]
					k++
				}
				zg[1+i] += z
			}
		}
		for i := range zg {
			zg[i] /= float64(len(m.fast))
		}
	}
	r := make([]float64, n)
	for i := range r {
		r[i] = m.a.Calib.Apply(w.Logistic*zl[i] + w.GRUD*zg[i] + w.Trees*zt[i])
	}
	rLR = m.a.CalibLR.Apply(zl[0])
	rGRUD = rLR
	if w.GRUD > 0 {
		rGRUD = m.a.CalibGRUD.Apply(zg[0])
	}
	for i, o := range occ {
		contribs = append(contribs, Contribution{o.name, r[0] - r[1+i]})
	}
	return r[0], rLR, rGRUD, contribs
}

// Risk returns the calibrated risk of a stay without explanation.
func (m *Model) Risk(ctx context.Context, s *Stay) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s == nil {
		return 0, galen.Errorf(galen.EINVALID, "outcome: no stay")
	}
	if err := CheckPopulation(s); err != nil {
		return 0, err
	}
	c := clean(s, m.a.Config)
	r, _, _, _ := m.scores(&c, false)
	if !finite(r) {
		return 0, errNotFinite
	}
	return r, nil
}

// Predict returns the calibrated risk of a stay, its band, whether it is
// uncertain, the contribution of each observed variable and descriptor by
// occlusion, and warnings about dropped input. It returns EINVALID for a nil
// stay, an EINVALID error wrapping ErrOutsidePopulation for a child (see
// CheckPopulation) and ctx.Err() when cancelled. Safe for concurrent use.
func (m *Model) Predict(ctx context.Context, s *Stay) (Prediction, error) {
	if err := ctx.Err(); err != nil {
		return Prediction{}, err
	}
	if s == nil {
		return Prediction{}, galen.Errorf(galen.EINVALID, "outcome: no stay")
	}
	if err := CheckPopulation(s); err != nil {
		return Prediction{}, err
	}
	c := clean(s, m.a.Config)
	risk, rl, rg, contribs := m.scores(&c, true)
	if !finite(risk) {
		return Prediction{}, errNotFinite
	}
	p := Prediction{Risk: risk, Band: m.band(risk), Contributions: contribs}
	if p.Contributions == nil {
		p.Contributions = []Contribution{}
	}
	observed := 0
	for _, obs := range c.obs {
		if len(obs) > 0 {
			observed++
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
		w = append(w, fmt.Sprintf("unknown parameter %q: %d observation(s) ignored", galen.Truncate(k, 40), is.Unknown[k]))
	}
	if is.OutOfWindow > 0 {
		w = append(w, fmt.Sprintf("%d observation(s) outside the model's time window ignored", is.OutOfWindow))
	}
	if is.Unsorted {
		w = append(w, "observations were not in time order; they were sorted")
	}
	return w
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

// BuiltinName is the registry name of the model shipped in the binary, and
// the model the server's outcome route and CDS service use when a request
// names none.
const BuiltinName = "icu-mortality"

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

// Risks returns the calibrated risks of many stays, running the recurrent
// model in batches. It returns ctx.Err() when cancelled.
func (m *Model) Risks(ctx context.Context, stays []*Stay) ([]float64, error) {
	out := make([]float64, len(stays))
	const chunk = 256
	for lo := 0; lo < len(stays); lo += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		part := stays[lo:min(lo+chunk, len(stays))]
		ss := make([]*Series, len(part))
		zl := make([]float64, len(part))
		zt := make([]float64, len(part))
		w := m.a.Weights
		for i, s := range part {
			if s == nil {
				return nil, galen.Errorf(galen.EINVALID, "outcome: stay %d is nil", lo+i)
			}
			c := clean(s, m.a.Config)
			x := m.a.Norm.summary(&c, -1, "")
			zl[i] = m.a.Logistic.Logit(x)
			if w.Trees > 0 {
				zt[i] = m.a.Trees.Logit(x)
			}
			ss[i] = m.a.Norm.series(&c, m.a.Config, -1, "")
		}
		var zg []float64
		if len(m.a.GRUD) > 0 && w.GRUD > 0 {
			zg = m.a.GRUD.logits(ss)
		}
		for i := range part {
			z := w.Logistic*zl[i] + w.Trees*zt[i]
			if zg != nil {
				z += w.GRUD * zg[i]
			}
			out[lo+i] = m.a.Calib.Apply(z)
		}
	}
	return out, nil
}

// Evaluate scores the model on a labelled data set, with Event-1 at the
// model's own threshold (fixed on its validation split).
func (m *Model) Evaluate(ctx context.Context, d *Dataset) (Metrics, error) {
	r, err := m.Risks(ctx, d.Stays)
	if err != nil {
		return Metrics{}, err
	}
	return Evaluate(r, d.Deaths, m.a.Threshold), nil
}
