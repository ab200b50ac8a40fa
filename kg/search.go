package kg

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Match kinds of a search hit, best first.
const (
	MatchExactName    = "exact name"
	MatchExactCode    = "exact code"
	MatchExactSynonym = "exact synonym"
	MatchPrefix       = "prefix"
	MatchTypo         = "typo"
)

// skey is one searchable string of a node.
type skey struct {
	key  string
	node int32
	kind uint8 // keyName, keySynonym, keyCode
}

const (
	keyName uint8 = iota
	keySynonym
	keyCode
)

// searchIndex holds every name, synonym and code, folded and sorted.
type searchIndex struct {
	keys []skey
}

// fold normalizes a string for search: lower case, letters and digits,
// single spaces; "E11.9" -> "e119", "Acetylsalicylic-acid" ->
// "acetylsalicylic acid".
func fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r == '.' || r == '\'':
			// dropped inside codes and names: "E11.9", "Alzheimer's"
		default:
			space = true
		}
	}
	return b.String()
}

func newSearchIndex(g *Graph) *searchIndex {
	var keys []skey
	for i, n := range g.nodes {
		add := func(s string, kind uint8) {
			if k := fold(s); k != "" {
				keys = append(keys, skey{k, int32(i), kind})
			}
		}
		add(n.Name, keyName)
		for _, s := range n.Synonyms {
			add(s, keySynonym)
		}
		_, local, _ := strings.Cut(n.ID, ":")
		add(local, keyCode)
		if strings.HasPrefix(n.ID, "DOID:") {
			add(n.ID, keyCode)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].key < keys[j].key })
	return &searchIndex{keys: keys}
}

// Hit is one search result.
type Hit struct {
	ID      string  `json:"id"`
	Type    string  `json:"type"`
	Name    string  `json:"name"`
	Matched string  `json:"matched"` // the name, synonym or code that matched
	Match   string  `json:"match"`   // how it matched (MatchExactName, ...)
	Score   float64 `json:"score"`
	Degree  int     `json:"degree"`
}

// SearchOptions narrow a search.
type SearchOptions struct {
	Types   []string // node types to keep; all if empty
	Limit   int      // default 10
	NoTypos bool     // exact and prefix matches only
}

// maxPrefixScan bounds the keys a prefix search looks at.
const maxPrefixScan = 20000

// Search finds entities by name, synonym or code: exact matches first,
// then prefixes, then names within a small edit distance ("metfromin"
// finds metformin). Ties go to the entity with more edges.
func (g *Graph) Search(query string, opt SearchOptions) []Hit {
	q := fold(query)
	if q == "" {
		return nil
	}
	if opt.Limit <= 0 {
		opt.Limit = 10
	}
	best := map[int32]Hit{}
	consider := func(k skey, match string, score float64) {
		n := &g.nodes[k.node]
		if len(opt.Types) > 0 && !slices.Contains(opt.Types, n.Type) {
			return
		}
		deg := len(g.out[k.node]) + len(g.in[k.node])
		// Degree breaks ties and favours entities the graph knows well.
		score += math.Log1p(float64(deg)) / 10
		if h, ok := best[k.node]; ok && h.Score >= score {
			return
		}
		best[k.node] = Hit{ID: n.ID, Type: n.Type, Name: n.Name, Matched: k.key, Match: match, Score: score, Degree: deg}
	}
	keys := g.search.keys
	i := sort.Search(len(keys), func(i int) bool { return keys[i].key >= q })
	for j := i; j < len(keys) && j-i < maxPrefixScan && strings.HasPrefix(keys[j].key, q); j++ {
		k := keys[j]
		switch {
		case k.key == q && k.kind == keyName:
			consider(k, MatchExactName, 10)
		case k.key == q && k.kind == keyCode:
			consider(k, MatchExactCode, 9.5)
		case k.key == q:
			consider(k, MatchExactSynonym, 9)
		default:
			// Shorter completions rank higher; whole words higher still.
			s := 7 - math.Min(2, float64(len(k.key)-len(q))/10)
			if k.key[len(q)] == ' ' {
				s += 0.5
			}
			if k.kind == keySynonym {
				s -= 0.5
			}
			consider(k, MatchPrefix, s)
		}
	}
	if len(best) < opt.Limit && len(q) >= 4 && !opt.NoTypos {
		maxd := 1
		if len(q) >= 8 {
			maxd = 2
		}
		buf := make([]int, 3*(len(q)+maxd+1))
		for _, k := range keys {
			if k.kind == keyCode || abs(len(k.key)-len(q)) > maxd {
				continue
			}
			if d := editDistance(q, k.key, maxd, buf); d > 0 && d <= maxd {
				consider(k, MatchTypo, 5-float64(d))
			}
		}
	}
	hits := make([]Hit, 0, len(best))
	for _, h := range best {
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(hits) > opt.Limit {
		hits = hits[:opt.Limit]
	}
	return hits
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance returns the optimal string alignment distance (Levenshtein
// with adjacent transpositions, over bytes) between a and b, or maxd+1 once
// it must exceed maxd. buf is scratch space of at least 3*(len(b)+1).
func editDistance(a, b string, maxd int, buf []int) int {
	if abs(len(a)-len(b)) > maxd {
		return maxd + 1
	}
	n := len(b) + 1
	if len(buf) < 3*n {
		buf = make([]int, 3*n)
	}
	prev2, prev, cur := buf[:n], buf[n:2*n], buf[2*n:3*n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > maxd {
			return maxd + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
