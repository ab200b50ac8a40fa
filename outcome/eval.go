package outcome

import "github.com/galenhealth/galen/evaluation"

// Metrics are the scores of risks against outcomes.
type Metrics struct {
	N         int              `json:"n"`
	Deaths    int              `json:"deaths"`
	AUROC     float64          `json:"auroc"`
	AUPRC     float64          `json:"auprc"`
	Event1    float64          `json:"event1"`
	Threshold float64          `json:"threshold"` // the Event-1 threshold used, fixed beforehand
	Brier     float64          `json:"brier"`
	ECE       float64          `json:"ece"` // 10 equal-width bins
	Curve     []evaluation.Bin `json:"-"`
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
	for _, y := range deaths {
		if y {
			m.Deaths++
		}
	}
	return m
}
