package evaluation_test

import (
	"fmt"

	"github.com/galenhealth/galen/evaluation"
)

func Example() {
	risk := []float64{0.1, 0.4, 0.35, 0.8, 0.7, 0.05}
	died := []bool{false, false, true, true, false, false}
	fmt.Printf("AUROC %.3f\n", evaluation.AUROC(risk, died))
	fmt.Printf("AUPRC %.3f\n", evaluation.AveragePrecision(risk, died))
	th, best := evaluation.BestEvent1Threshold(risk, died)
	fmt.Printf("Event-1 %.3f at threshold %.2f\n", best, th)
	fmt.Printf("Brier %.4f\n", evaluation.Brier(risk, died))
	// Output:
	// AUROC 0.750
	// AUPRC 0.750
	// Event-1 0.500 at threshold 0.80
	// Brier 0.1875
}
