package outcome

import "github.com/galenhealth/galen/evaluation"

// Metrics are the scores of risks against outcomes.
type Metrics struct {
	N         int     `json:"n"`
	Deaths    int     `json:"deaths"`
	AUROC     float64 `json:"auroc"`
	AUPRC     float64 `json:"auprc"`
	Event1    float64 `json:"event1"`
	Threshold float64 `json:"threshold"` // the Event-1 threshold used, fixed beforehand
	Brier     float64 `json:"brier"`
	ECE       float64 `json:"ece"` // 10 equal-width bins
	// 95 % percentile bootstrap intervals (1,000 resamples, seed 1).
	AUROCCI  [2]float64       `json:"auroc_ci"`
	Event1CI [2]float64       `json:"event1_ci"`
	Curve    []evaluation.Bin `json:"-"`
}

// Evaluate scores calibrated risks against deaths, with Event-1 at the given
// threshold (fixed on validation data, never on these).
func Evaluate(risks []float64, deaths []bool, threshold float64) Metrics {
	m := Metrics{N: len(risks), Threshold: threshold,
		AUROC:  evaluation.AUROC(risks, deaths),
		AUPRC:  evaluation.AveragePrecision(risks, deaths),
		Event1: evaluation.Event1(risks, deaths, threshold),
		Brier:  evaluation.Brier(risks, deaths),
		ECE:    evaluation.ECE(risks, deaths, 10),
		Curve:  evaluation.CalibrationCurve(risks, deaths, 10),
	}
	m.AUROCCI[0], m.AUROCCI[1] = evaluation.BootstrapCI(risks, deaths, evaluation.AUROC, 1000, 0.95, 1)
	event1 := func(s []float64, y []bool) float64 { return evaluation.Event1(s, y, threshold) }
	m.Event1CI[0], m.Event1CI[1] = evaluation.BootstrapCI(risks, deaths, event1, 1000, 0.95, 1)
	m.Deaths = countDeaths(deaths)
	return m
}
