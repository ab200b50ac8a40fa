// Command fhirtiming measures how the FHIR time rules of fhir/icustay move
// the built-in ICU model's risks on PhysioNet/CinC 2012 set A: every stay is
// written as a FHIR Bundle (icustay.BundleFromStay, admission at a chosen
// clock time), rewritten as EHRs write their data, converted back with
// icustay.FromBundle and scored; the risks are compared with those of the
// plain stays (mean and largest absolute change, share of stays moved by
// more than 1 and 5 points, AUROC on all stays and on the held-out test
// split, seed 2012).
//
// Scenarios:
//
//   - timed: every value with its time (the round trip itself)
//
//   - labs-date-only: laboratory values with a date-only effectiveDateTime,
//     vitals timed; admission given (the date-only rule places admission-day
//     labs at admission and leaves later days out)
//
//   - all-date-only: every value date-only, no admission given (the earliest
//     date is the admission day)
//
//   - labs-issued: laboratory values without effective[x], with issued one
//     hour after the measurement (a typical turnaround)
//
//     go run ./bench/fhirtiming [-records set-a.tar.gz] [-outcomes Outcomes-a.txt] [-clock 08:00,20:00]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/outcome"
)

// vitals are the bedside variables, charted with a time; the others are
// laboratory results (blood gases included).
var vitals = map[string]bool{"HR": true, "SysABP": true, "DiasABP": true, "MAP": true, "NISysABP": true, "NIDiasABP": true,
	"NIMAP": true, "Temp": true, "GCS": true, "RespRate": true, "Urine": true, "FiO2": true, "MechVent": true,
	"Weight": true, "Height": true, "Age": true, "ICUType": true}

type scenario struct {
	name     string
	rewrite  func(o *fhir.Observation, code string)
	giveAdm  bool
	describe string
}

func main() {
	dir := findData()
	records := flag.String("records", filepath.Join(dir, "set-a.tar.gz"), "PhysioNet 2012 records (.tar.gz or directory)")
	outcomes := flag.String("outcomes", filepath.Join(dir, "Outcomes-a.txt"), "PhysioNet 2012 outcomes file")
	clocks := flag.String("clock", "08:00,20:00", "comma-separated clock times (UTC) of ICU admission")
	flag.Parse()
	if err := run(*records, *outcomes, *clocks); err != nil {
		fmt.Fprintln(os.Stderr, "fhirtiming:", err)
		os.Exit(1)
	}
}

func findData() string {
	d, _ := os.Getwd()
	for {
		p := filepath.Join(d, "shared", "data", "physionet2012-set-a")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if filepath.Dir(d) == d {
			return "../shared/data/physionet2012-set-a"
		}
		d = filepath.Dir(d)
	}
}

func code(o *fhir.Observation) string {
	if len(o.Code.Coding) == 0 {
		return ""
	}
	c := o.Code.Coding[0]
	if c.System == icustay.PhysioNetSystem {
		return c.Code
	}
	if k, ok := icustay.ByLOINC(c.Code); ok {
		return k.Variable
	}
	return ""
}

func run(records, outcomes, clocks string) error {
	ctx := context.Background()
	d, err := outcome.LoadDataset(ctx, records, outcomes)
	if err != nil {
		return err
	}
	m, err := outcome.Builtin()
	if err != nil {
		return err
	}
	base, err := m.Risks(ctx, d.Stays)
	if err != nil {
		return err
	}
	_, _, test := outcome.Split(d.Deaths, 2012)
	auc := func(r []float64, idx []int) float64 {
		if idx == nil {
			return outcome.Evaluate(r, d.Deaths, m.Threshold()).AUROC
		}
		rs, ys := make([]float64, len(idx)), make([]bool, len(idx))
		for i, j := range idx {
			rs[i], ys[i] = r[j], d.Deaths[j]
		}
		return outcome.Evaluate(rs, ys, m.Threshold()).AUROC
	}
	fmt.Printf("set A: %d stays, %d deaths; plain stays: AUROC %.4f (all), %.4f (test split, seed 2012, %d stays)\n",
		len(d.Stays), d.Positives(), auc(base, nil), auc(base, test), len(test))
	scenarios := []scenario{
		{"timed", func(*fhir.Observation, string) {}, true, "every value timed"},
		{"labs-date-only", func(o *fhir.Observation, v string) {
			if !vitals[v] {
				o.EffectiveDateTime = o.EffectiveDateTime[:10]
			}
		}, true, "labs date-only, vitals timed, admission given"},
		{"all-date-only", func(o *fhir.Observation, _ string) { o.EffectiveDateTime = o.EffectiveDateTime[:10] }, false,
			"every value date-only, no admission given"},
		{"labs-issued", func(o *fhir.Observation, v string) {
			if !vitals[v] {
				t, _ := time.Parse(time.RFC3339, o.EffectiveDateTime)
				o.Issued = t.Add(time.Hour).Format(time.RFC3339)
				o.EffectiveDateTime = ""
			}
		}, true, "labs with issued = measured + 1 h, no effective"},
	}
	fmt.Println()
	fmt.Println("| admission | scenario | stays scored | mean abs change | max abs change | moved > 1 pt | moved > 5 pts | AUROC all | AUROC test |")
	fmt.Println("|---|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, clock := range strings.Split(clocks, ",") {
		hm, err := time.Parse("15:04", strings.TrimSpace(clock))
		if err != nil {
			return fmt.Errorf("-clock %q: %w", clock, err)
		}
		adm := time.Date(2012, 5, 1, hm.Hour(), hm.Minute(), 0, 0, time.UTC)
		for _, sc := range scenarios {
			risks := make([]float64, len(d.Stays))
			scored := 0
			var sum, worst float64
			var over1, over5 int
			for i, s := range d.Stays {
				b := icustay.BundleFromStay(s, adm)
				for _, e := range b.Entry {
					if o, ok := e.Resource.(*fhir.Observation); ok {
						sc.rewrite(o, code(o))
					}
				}
				// Through JSON, as a request would come.
				js, err := json.Marshal(b)
				if err != nil {
					return err
				}
				fb, err := fhir.DecodeBundle(js)
				if err != nil {
					return fmt.Errorf("%s %s: %w", sc.name, s.RecordID, err)
				}
				opt := icustay.Options{}
				if sc.giveAdm {
					opt.Admission = adm
				}
				res, err := icustay.FromBundle(fb, opt)
				if err != nil {
					risks[i] = math.NaN() // nothing usable: no risk
					continue
				}
				r, err := m.Risk(ctx, res.Stay)
				if err != nil {
					risks[i] = math.NaN()
					continue
				}
				risks[i] = r
				scored++
				dr := math.Abs(r - base[i])
				sum += dr
				worst = max(worst, dr)
				if dr > 0.01 {
					over1++
				}
				if dr > 0.05 {
					over5++
				}
			}
			// AUROC over the stays that got a risk.
			var all, tst []int
			for i := range risks {
				if !math.IsNaN(risks[i]) {
					all = append(all, i)
				}
			}
			for _, i := range test {
				if !math.IsNaN(risks[i]) {
					tst = append(tst, i)
				}
			}
			fmt.Printf("| %s | %s | %d | %.4f | %.3f | %.1f %% | %.1f %% | %.4f | %.4f |\n", clock, sc.describe, scored,
				sum/float64(max(scored, 1)), worst, 100*float64(over1)/float64(max(scored, 1)), 100*float64(over5)/float64(max(scored, 1)),
				auc(risks, all), auc(risks, tst))
		}
	}
	return nil
}
