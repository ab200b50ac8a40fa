package text

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Special WordPiece tokens, always the first ids of a vocabulary.
const (
	PadToken  = "[PAD]"
	UnkToken  = "[UNK]"
	ClsToken  = "[CLS]"
	SepToken  = "[SEP]"
	MaskToken = "[MASK]"
)

// Ids of the special tokens.
const (
	PadID = iota
	UnkID
	ClsID
	SepID
	MaskID
)

// maxWordRunes is the longest word WordPiece splits; longer ones are [UNK].
const maxWordRunes = 64

// WordPiece is a subword vocabulary: a word is split greedily into the
// longest pieces in the vocabulary, pieces after the first written with a
// "##" prefix, as in BERT.
type WordPiece struct {
	Vocab []string
	ids   map[string]int
}

// Piece is one subword of a text: its id, and the index of the token of
// Tokenize it came from (so that attributions map back to offsets).
type Piece struct {
	ID    int
	Token int
}

// NewWordPiece builds a WordPiece from a vocabulary whose first entries are
// the special tokens.
func NewWordPiece(vocab []string) (*WordPiece, error) {
	specials := []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken}
	if len(vocab) < len(specials) || !slices.Equal(vocab[:len(specials)], specials) {
		return nil, fmt.Errorf("wordpiece: vocabulary must start with %v", specials)
	}
	w := &WordPiece{Vocab: vocab, ids: make(map[string]int, len(vocab))}
	for i, p := range vocab {
		if _, dup := w.ids[p]; dup {
			return nil, fmt.Errorf("wordpiece: %q appears twice", p)
		}
		w.ids[p] = i
	}
	return w, nil
}

// MarshalJSON writes the vocabulary.
func (w *WordPiece) MarshalJSON() ([]byte, error) { return json.Marshal(w.Vocab) }

// UnmarshalJSON reads and checks a vocabulary.
func (w *WordPiece) UnmarshalJSON(b []byte) error {
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	nw, err := NewWordPiece(v)
	if err != nil {
		return err
	}
	*w = *nw
	return nil
}

// pieceWords returns the words WordPiece sees in a token: its normalised
// form split at spaces ("5 mg" is "5" and "mg").
func pieceWords(t Token) []string { return strings.Fields(t.Norm) }

// Split returns the piece ids of one normalised word.
func (w *WordPiece) Split(word string) []int {
	if utf8.RuneCountInString(word) > maxWordRunes {
		return []int{UnkID}
	}
	var out []int
	for start := 0; start < len(word); {
		end, id := len(word), -1
		for end > start {
			p := word[start:end]
			if start > 0 {
				p = "##" + p
			}
			if i, ok := w.ids[p]; ok {
				id = i
				break
			}
			_, n := utf8.DecodeLastRuneInString(word[start:end])
			end -= n
		}
		if id < 0 {
			return []int{UnkID}
		}
		out = append(out, id)
		start = end
	}
	return out
}

// Encode returns the pieces of a tokenised text, punctuation included.
func (w *WordPiece) Encode(toks []Token) []Piece {
	out := make([]Piece, 0, len(toks)+len(toks)/2)
	for i, t := range toks {
		for _, word := range pieceWords(t) {
			for _, id := range w.Split(word) {
				out = append(out, Piece{ID: id, Token: i})
			}
		}
	}
	return out
}

// LearnWordPiece learns a vocabulary of at most size pieces from texts with
// WordPiece's merge rule: starting from single characters, repeatedly
// merge the adjacent pair with the highest count(ab) / (count(a)·count(b))
// among pairs seen at least twice. To keep training fast on large corpora
// it merges a small batch of the best pairs per pass (1/50 of the remaining
// room, at least one). Ties break by the pieces' text, so the result is
// deterministic.
func LearnWordPiece(texts []string, size int) *WordPiece {
	counts := map[string]int{}
	for _, s := range texts {
		for _, t := range Tokenize(s) {
			for _, word := range pieceWords(t) {
				if utf8.RuneCountInString(word) <= maxWordRunes {
					counts[word]++
				}
			}
		}
	}
	type wordSyms struct {
		syms  []string
		count int
	}
	words := make([]wordSyms, 0, len(counts))
	vocab := []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken}
	have := map[string]bool{}
	add := func(p string) {
		if !have[p] {
			have[p] = true
			vocab = append(vocab, p)
		}
	}
	for _, word := range slices.Sorted(maps.Keys(counts)) {
		var syms []string
		for i, r := range word {
			p := string(r)
			if i > 0 {
				p = "##" + p
			}
			syms = append(syms, p)
		}
		words = append(words, wordSyms{syms, counts[word]})
	}
	// the alphabet first, in order of frequency, so every word can be split
	alpha := map[string]int{}
	for _, w := range words {
		for _, p := range w.syms {
			alpha[p] += w.count
		}
	}
	for _, p := range sortedByCount(alpha) {
		add(p)
	}
	type pair struct{ a, b string }
	for len(vocab) < size {
		symCount := map[string]int{}
		pairCount := map[pair]int{}
		for _, w := range words {
			for i, p := range w.syms {
				symCount[p] += w.count
				if i > 0 {
					pairCount[pair{w.syms[i-1], p}] += w.count
				}
			}
		}
		type scored struct {
			p     pair
			score float64
		}
		var best []scored
		for p, c := range pairCount {
			if c < 2 {
				continue
			}
			best = append(best, scored{p, float64(c) / (float64(symCount[p.a]) * float64(symCount[p.b]))})
		}
		if len(best) == 0 {
			break
		}
		slices.SortFunc(best, func(x, y scored) int {
			if c := cmp.Compare(y.score, x.score); c != 0 {
				return c
			}
			if c := cmp.Compare(x.p.a, y.p.a); c != 0 {
				return c
			}
			return cmp.Compare(x.p.b, y.p.b)
		})
		batch := max(1, (size-len(vocab))/50)
		merges := map[pair]string{}
		for _, s := range best {
			if len(merges) == batch {
				break
			}
			m := s.p.a + strings.TrimPrefix(s.p.b, "##")
			if have[m] {
				continue
			}
			merges[s.p] = m
			add(m)
		}
		if len(merges) == 0 {
			break
		}
		for wi := range words {
			syms := words[wi].syms
			out := syms[:0:0]
			for i := 0; i < len(syms); i++ {
				if i+1 < len(syms) {
					if m, ok := merges[pair{syms[i], syms[i+1]}]; ok {
						out = append(out, m)
						i++
						continue
					}
				}
				out = append(out, syms[i])
			}
			words[wi].syms = out
		}
	}
	w, err := NewWordPiece(vocab)
	if err != nil {
		panic(err) // vocab is built without duplicates
	}
	return w
}

func sortedByCount(m map[string]int) []string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	return keys
}
