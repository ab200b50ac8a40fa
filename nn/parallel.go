package nn

import (
	"runtime"
	"sync"
)

// parGrain is the least work (in rough flops) worth a goroutine.
const parGrain = 1 << 15

// parallelFor calls fn over [0, n) split into at most GOMAXPROCS contiguous
// chunks, in parallel when n*cost (cost: rough flops per item) is worth it.
// The split depends only on n and GOMAXPROCS, so results are reproducible.
func parallelFor(n, cost int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	if w <= 1 || n*cost < 2*parGrain {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for i := 1; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/w)
	wg.Wait()
}
