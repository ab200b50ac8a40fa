//go:build race

package imaging

// raceEnabled: under -race (~30x slower here) tests train and evaluate on
// smaller slices.
const raceEnabled = true
