package linear_test

import (
	"fmt"

	"github.com/galenhealth/galen/linear"
)

func ExampleFitLeastSquares() {
	// y = 3*x + 1, exactly.
	x := [][]float64{{0}, {1}, {2}, {3}}
	y := []float64{1, 4, 7, 10}
	m, _ := linear.FitLeastSquares(x, y)
	fmt.Printf("weight %.3f bias %.3f, y(10) = %.3f\n", m.Weights[0], m.Bias, m.Predict([]float64{10}))
	// Output: weight 3.000 bias 1.000, y(10) = 31.000
}
