package outcome

import (
	"math"
	"slices"
	"sort"
)

// Config sets the time grid: Hours of data from ICU admission cut into bins
// of BinMinutes. The zero value means 48 hourly bins.
type Config struct {
	Hours      int `json:"hours"`
	BinMinutes int `json:"bin_minutes"`
}

func (c Config) withDefaults() Config {
	if c.Hours <= 0 {
		c.Hours = 48
	}
	if c.BinMinutes <= 0 {
		c.BinMinutes = 60
	}
	return c
}

// Bins returns the number of time bins.
func (c Config) Bins() int {
	c = c.withDefaults()
	return (c.Hours*60 + c.BinMinutes - 1) / c.BinMinutes
}

// Issues lists what cleaning removed from a stay, by name and count only.
type Issues struct {
	Implausible map[string]int // variable or descriptor -> values dropped as impossible
	Unknown     map[string]int // unknown parameter -> observations dropped
	OutOfWindow int            // observations after the last bin
	Unsorted    bool           // observations were not in time order
}

func (is *Issues) count(m *map[string]int, name string) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[name]++
}

// cleaned is a stay with impossible and unknown values removed, observations
// grouped by variable in time order, and descriptors checked.
type cleaned struct {
	obs   [][]Observation // per variable index, sorted by Minutes
	desc  map[string]float64
	issue Issues
}

func clean(s *Stay, cfg Config) cleaned {
	cfg = cfg.withDefaults()
	c := cleaned{obs: make([][]Observation, len(variables)), desc: map[string]float64{}}
	last := -1
	for _, o := range s.Observations {
		if o.Minutes < last {
			c.issue.Unsorted = true
		}
		last = o.Minutes
		i, ok := variableIndex[o.Parameter]
		if !ok {
			c.issue.count(&c.issue.Unknown, o.Parameter)
			continue
		}
		if o.Minutes < 0 || o.Minutes > cfg.Hours*60 {
			c.issue.OutOfWindow++
			continue
		}
		if math.IsNaN(o.Value) || !Plausible(o.Parameter, o.Value) {
			c.issue.count(&c.issue.Implausible, o.Parameter)
			continue
		}
		c.obs[i] = append(c.obs[i], o)
	}
	for i := range c.obs {
		sort.SliceStable(c.obs[i], func(a, b int) bool { return c.obs[i][a].Minutes < c.obs[i][b].Minutes })
	}
	for k, v := range s.Descriptors {
		if _, ok := descriptorRanges[k]; !ok {
			c.issue.count(&c.issue.Unknown, k)
			continue
		}
		if v == -1 {
			continue
		}
		if math.IsNaN(v) || !Plausible(k, v) || ((k == "Gender" || k == "ICUType") && v != math.Trunc(v)) {
			c.issue.count(&c.issue.Implausible, k)
			continue
		}
		c.desc[k] = v
	}
	return c
}

// transform maps a raw value of variable i to its pre-normalisation scale.
func transform(i int, v float64) float64 {
	if variables[i].Log {
		return math.Log1p(math.Max(v, 0))
	}
	return v
}

// Normalizer holds per-variable means and standard deviations (of the
// log-transformed value where the table says so) and those of the numeric
// descriptors, fitted on the training split only.
type Normalizer struct {
	Mean []float64             `json:"mean"`
	Std  []float64             `json:"std"`
	Desc map[string][2]float64 `json:"desc"` // Age, Height, Weight -> mean, std
}

// FitNormalizer fits a Normalizer on stays (the training split).
func FitNormalizer(stays []*Stay, cfg Config) Normalizer {
	n := Normalizer{Mean: make([]float64, len(variables)), Std: make([]float64, len(variables)), Desc: map[string][2]float64{}}
	sum := make([]float64, len(variables))
	sq := make([]float64, len(variables))
	cnt := make([]float64, len(variables))
	ds := map[string][3]float64{}
	for _, s := range stays {
		c := clean(s, cfg)
		for i, obs := range c.obs {
			for _, o := range obs {
				v := transform(i, o.Value)
				sum[i] += v
				sq[i] += v * v
				cnt[i]++
			}
		}
		for _, k := range []string{"Age", "Height", "Weight"} {
			if v, ok := c.desc[k]; ok {
				a := ds[k]
				ds[k] = [3]float64{a[0] + v, a[1] + v*v, a[2] + 1}
			}
		}
	}
	for i := range variables {
		n.Mean[i], n.Std[i] = meanStd(sum[i], sq[i], cnt[i])
	}
	for _, k := range []string{"Age", "Height", "Weight"} {
		a := ds[k]
		m, sd := meanStd(a[0], a[1], a[2])
		n.Desc[k] = [2]float64{m, sd}
	}
	return n
}

func meanStd(sum, sq, n float64) (float64, float64) {
	if n == 0 {
		return 0, 1
	}
	m := sum / n
	v := sq/n - m*m
	if v < 1e-12 {
		return m, 1
	}
	return m, math.Sqrt(v)
}

// zclip bounds normalised values so that one wild value cannot dominate.
const zclip = 6

func (n *Normalizer) z(i int, v float64) float64 {
	z := (transform(i, v) - n.Mean[i]) / n.Std[i]
	return math.Max(-zclip, math.Min(zclip, z))
}

// Series is one stay on the time grid, all T x F arrays row-major by time:
// Values holds the mean normalised value in a bin (0 where unobserved), Mask
// 1 where observed, Delta the time since the variable was last observed
// before the bin (GRU-D's definition) in units of Config.Hours, and Last the
// last observed normalised value carried forward (0 = training mean before
// the first observation). Static holds the descriptor features.
type Series struct {
	T, F                      int
	Values, Mask, Delta, Last []float64
	Static                    []float64
}

// StaticNames names the Series.Static features.
var StaticNames = []string{"Age", "Age missing", "Female", "Male", "Height", "Height missing", "Weight", "Weight missing", "ICUType 1", "ICUType 2", "ICUType 3", "ICUType 4"}

// series puts a cleaned stay on the grid. skip, if >= 0, is a variable index
// left out (occlusion); skipDesc a descriptor left out.
func (n *Normalizer) series(c *cleaned, cfg Config, skip int, skipDesc string) *Series {
	return n.seriesInto(new(Series), make([]float64, 5*cfg.withDefaults().Bins()*len(variables)), c, cfg, skip, skipDesc)
}

// seriesInto is series with the grid's five T×F arrays (values, mask,
// delta, last and a count) carved from buf, which must hold 5·T·F floats;
// it sets and returns s.
func (n *Normalizer) seriesInto(s *Series, buf []float64, c *cleaned, cfg Config, skip int, skipDesc string) *Series {
	cfg = cfg.withDefaults()
	T, F := cfg.Bins(), len(variables)
	TF := T * F
	buf = buf[:5*TF]
	clear(buf)
	*s = Series{T: T, F: F,
		Values: buf[:TF:TF], Mask: buf[TF : 2*TF : 2*TF],
		Delta: buf[2*TF : 3*TF : 3*TF], Last: buf[3*TF : 4*TF : 4*TF],
		Static: n.static(c.desc, skipDesc)}
	cnt := buf[4*TF:]
	for i, obs := range c.obs {
		if i == skip {
			continue
		}
		for _, o := range obs {
			t := min(o.Minutes/cfg.BinMinutes, T-1)
			s.Values[t*F+i] += n.z(i, o.Value)
			cnt[t*F+i]++
		}
	}
	step := float64(cfg.BinMinutes) / 60 / float64(cfg.Hours)
	for f := range F {
		last := 0.0
		for t := range T {
			k := t*F + f
			if cnt[k] > 0 {
				s.Values[k] /= cnt[k]
				s.Mask[k] = 1
			}
			if t > 0 {
				p := (t-1)*F + f
				if s.Mask[p] == 1 {
					s.Delta[k] = step
				} else {
					s.Delta[k] = step + s.Delta[p]
				}
			}
			if s.Mask[k] == 1 {
				last = s.Values[k]
			}
			s.Last[k] = last
		}
	}
	return s
}

func (n *Normalizer) static(desc map[string]float64, skip string) []float64 {
	x := make([]float64, len(StaticNames))
	get := func(k string) (float64, bool) {
		if k == skip {
			return 0, false
		}
		v, ok := desc[k]
		return v, ok
	}
	for j, k := range []string{"Age", "Height", "Weight"} {
		if v, ok := get(k); ok {
			ms := n.Desc[k]
			x[[]int{0, 4, 6}[j]] = math.Max(-zclip, math.Min(zclip, (v-ms[0])/ms[1]))
		} else {
			x[[]int{1, 5, 7}[j]] = 1
		}
	}
	if v, ok := get("Gender"); ok {
		x[2+int(v)] = 1 // Gender 0 = female, 1 = male
	}
	if v, ok := get("ICUType"); ok && v >= 1 && v <= 4 && v == math.Trunc(v) {
		x[8+int(v)-1] = 1
	}
	return x
}

// summaryStats are the per-variable summary features of the baseline.
var summaryStats = []string{"mean", "min", "max", "first", "last", "log count", "observed"}

// summary returns the baseline's features of a cleaned stay: for each
// variable its normalised mean, min, max, first and last value (0 when never
// observed), log(1+count) and an observed indicator, then Static.
func (n *Normalizer) summary(c *cleaned, skip int, skipDesc string) []float64 {
	k := len(summaryStats)
	x := make([]float64, len(variables)*k, len(variables)*k+len(StaticNames))
	for i, obs := range c.obs {
		if i == skip || len(obs) == 0 {
			continue
		}
		f := x[i*k : (i+1)*k]
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for _, o := range obs {
			z := n.z(i, o.Value)
			lo, hi, sum = math.Min(lo, z), math.Max(hi, z), sum+z
		}
		f[0] = sum / float64(len(obs))
		f[1], f[2] = lo, hi
		f[3], f[4] = n.z(i, obs[0].Value), n.z(i, obs[len(obs)-1].Value)
		f[5] = math.Log1p(float64(len(obs)))
		f[6] = 1
	}
	return append(x, n.static(c.desc, skipDesc)...)
}

// SummaryNames names the baseline's features.
func SummaryNames() []string {
	var out []string
	for _, v := range variables {
		for _, s := range summaryStats {
			out = append(out, v.Name+" "+s)
		}
	}
	return append(out, StaticNames...)
}

// Split returns a stratified split of the indexes of deaths into train,
// validation and test sets (fractions 70/15/15) drawn with a PCG generator
// seeded by seed. Each class is shuffled separately and cut in the same
// proportions, so all three sets have (nearly) the same death rate. The
// returned index lists are sorted.
func Split(deaths []bool, seed uint64) (train, val, test []int) {
	var pos, neg []int
	for i, y := range deaths {
		if y {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	r := newRand(seed)
	for _, class := range [][]int{pos, neg} {
		r.Shuffle(len(class), func(i, j int) { class[i], class[j] = class[j], class[i] })
		nTrain := int(math.Round(0.70 * float64(len(class))))
		nVal := int(math.Round(0.15 * float64(len(class))))
		train = append(train, class[:nTrain]...)
		val = append(val, class[nTrain:nTrain+nVal]...)
		test = append(test, class[nTrain+nVal:]...)
	}
	slices.Sort(train)
	slices.Sort(val)
	slices.Sort(test)
	return train, val, test
}
