package text

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// SparseVec is a sparse feature vector: sorted indexes and their values.
type SparseVec struct {
	Idx []int32
	Val []float32
}

// TFIDF turns term lists into l2-normalised TF-IDF vectors, as
// scikit-learn's TfidfVectorizer (smooth idf: ln((1+n)/(1+df)) + 1).
type TFIDF struct {
	Terms     []string
	IDF       []float32
	NGram     int  // 1: words; 2: words and pairs of adjacent words
	Sublinear bool // tf = 1 + ln(count)
	index     map[string]int32
}

// ngrams returns the n-grams (n = 1..maxN) of terms, and for each the
// indexes of its first and last terms.
func ngrams(terms []string, maxN int) (grams []string, first, last []int) {
	for i, t := range terms {
		grams = append(grams, t)
		first, last = append(first, i), append(last, i)
		for n := 2; n <= maxN && i+n <= len(terms); n++ {
			grams = append(grams, strings.Join(terms[i:i+n], " "))
			first, last = append(first, i), append(last, i+n-1)
		}
	}
	return grams, first, last
}

// FitTFIDF learns the vocabulary of docs (term lists): n-grams found in at
// least minDF documents, the maxFeatures most frequent (0: all), ties by
// text.
func FitTFIDF(docs [][]string, ngram, minDF, maxFeatures int, sublinear bool) *TFIDF {
	df := map[string]int{}
	for _, d := range docs {
		grams, _, _ := ngrams(d, ngram)
		seen := map[string]bool{}
		for _, g := range grams {
			if !seen[g] {
				seen[g] = true
				df[g]++
			}
		}
	}
	type tc struct {
		t string
		n int
	}
	var keep []tc
	for t, n := range df {
		if n >= minDF {
			keep = append(keep, tc{t, n})
		}
	}
	slices.SortFunc(keep, func(a, b tc) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.t, b.t)
	})
	if maxFeatures > 0 && len(keep) > maxFeatures {
		keep = keep[:maxFeatures]
	}
	slices.SortFunc(keep, func(a, b tc) int { return cmp.Compare(a.t, b.t) })
	v := &TFIDF{NGram: ngram, Sublinear: sublinear}
	n := float64(len(docs))
	for _, k := range keep {
		v.Terms = append(v.Terms, k.t)
		v.IDF = append(v.IDF, float32(math.Log((1+n)/(1+float64(k.n)))+1))
	}
	v.buildIndex()
	return v
}

func (v *TFIDF) buildIndex() {
	v.index = make(map[string]int32, len(v.Terms))
	for i, t := range v.Terms {
		v.index[t] = int32(i)
	}
}

// Transform returns the TF-IDF vector of a document's terms.
func (v *TFIDF) Transform(terms []string) SparseVec {
	grams, _, _ := ngrams(terms, v.NGram)
	counts := map[int32]float64{}
	for _, g := range grams {
		if i, ok := v.index[g]; ok {
			counts[i]++
		}
	}
	var sv SparseVec
	for i := range counts {
		sv.Idx = append(sv.Idx, i)
	}
	slices.Sort(sv.Idx)
	var norm float64
	vals := make([]float64, len(sv.Idx))
	for k, i := range sv.Idx {
		tf := counts[i]
		if v.Sublinear {
			tf = 1 + math.Log(tf)
		}
		vals[k] = tf * float64(v.IDF[i])
		norm += vals[k] * vals[k]
	}
	norm = math.Sqrt(norm)
	for _, x := range vals {
		sv.Val = append(sv.Val, float32(x/norm))
	}
	return sv
}
