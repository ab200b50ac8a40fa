package outcome

import "fmt"

// Limits on the sizes an "outcome-grud/v1" artifact may declare. Load
// refuses an artifact over any of them with EINVALID naming the field, so
// that one prediction's memory and time stay bounded whatever a scientist
// uploads: a prediction costs about bins x members x hidden x (3 hidden +
// 6 x 37) multiply-adds forward and twice that for the explanation, and
// allocates about 5 x bins x 37 float64s of grid. The built-in model (48
// hourly bins, 3 GRU-D members of hidden size 32, 230 trees of at most 15
// nodes) sits well inside them; at the limits a prediction is measured by
// BenchmarkPredictAtLimits.
const (
	MaxHours      = 168  // config.hours: one week of ICU data
	MinBinMinutes = 5    // config.bin_minutes, lower bound
	MaxBinMinutes = 1440 // config.bin_minutes, upper bound: one day
	MaxBins       = 336  // config.hours*60/bin_minutes: e.g. 168 h hourly, 28 h in 5-minute bins
	MaxMembers    = 8    // GRU-D networks in grud
	MaxHidden     = 128  // hidden size H of each GRU-D network
	MaxTrees      = 2000 // trees in trees.trees
	MaxTreeNodes  = 4095 // nodes of one tree
	MaxTreeDepth  = 32   // inner nodes on any root-to-leaf walk
)

// checkConfig returns an error naming the field of c that is out of range.
func checkConfig(c Config) error {
	switch {
	case c.Hours < 1 || c.Hours > MaxHours:
		return fmt.Errorf("config.hours is %d, want 1 to %d", c.Hours, MaxHours)
	case c.BinMinutes < MinBinMinutes || c.BinMinutes > MaxBinMinutes:
		return fmt.Errorf("config.bin_minutes is %d, want %d to %d", c.BinMinutes, MinBinMinutes, MaxBinMinutes)
	case c.Bins() > MaxBins:
		return fmt.Errorf("config.hours*60/config.bin_minutes is %d bins, over the limit of %d", c.Bins(), MaxBins)
	}
	return nil
}

// treeDepth returns the most inner nodes on a walk from the root of tree
// to a leaf, given that children come after their parent (checked first).
func treeDepth(tree []node) int {
	depth := make([]int, len(tree))
	most := 0
	for i, n := range tree {
		if n.Feature < 0 {
			most = max(most, depth[i])
			continue
		}
		depth[n.Left] = max(depth[n.Left], depth[i]+1)
		depth[n.Right] = max(depth[n.Right], depth[i]+1)
	}
	return most
}

// clip shortens s to at most n runes for an error message, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
