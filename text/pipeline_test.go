package text

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii unchanged", "BP 120/80 mmHg.", "BP 120/80 mmHg."},
		{"curly quotes", "patient\u2019s \u201cpain\u201d", `patient's "pain"`},
		{"dashes", "5\u201310 mg \u2014 daily", "5-10 mg - daily"},
		{"nbsp and thin space", "5\u00a0mg\u2009daily", "5 mg daily"},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"ligature NFKC", "\ufb01brosis", "fibrosis"},
		{"fullwidth digits NFKC", "\uff15 mg", "5 mg"},
		{"composed accents", "cafe\u0301", "caf\u00e9"},
		{"controls dropped", "a\x00b\u200bc\ufeff", "abc"},
		{"ellipsis", "pain\u2026", "pain..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// tok is a token as written in the tables: text, kind, start byte.
type tok struct {
	text  string
	kind  Kind
	start int
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []tok
	}{
		{"dose and frequency", "aspirin 81 mg p.o. q.d.", []tok{{"aspirin", Word, 0}, {"81 mg", Number, 8}, {"p.o.", Abbrev, 14}, {"q.d.", Abbrev, 19}}},
		{"blood pressure", "BP 120/80 mmHg.", []tok{{"BP", Word, 0}, {"120/80 mmHg", Number, 3}, {".", Punct, 14}}},
		{"bid without space", "25mg b.i.d.", []tok{{"25mg", Number, 0}, {"b.i.d.", Abbrev, 5}}},
		{"open bid", "25 mg b.i.d then", []tok{{"25 mg", Number, 0}, {"b.i.d", Abbrev, 6}, {"then", Word, 12}}},
		{"status post", "s/p CABG", []tok{{"s/p", Abbrev, 0}, {"CABG", Word, 4}}},
		{"with", "w/ fever", []tok{{"w/", Abbrev, 0}, {"fever", Word, 3}}},
		{"and/or is words", "and/or", []tok{{"and", Word, 0}, {"/", Punct, 3}, {"or", Word, 4}}},
		{"compound unit", "2 mg/kg/day IV", []tok{{"2 mg/kg/day", Number, 0}, {"IV", Word, 12}}},
		{"hyphen unit", "a 12-mm port", []tok{{"a", Word, 0}, {"12-mm", Number, 2}, {"port", Word, 8}}},
		{"range", "5-10 mg", []tok{{"5-10 mg", Number, 0}}},
		{"percent", "SpO2 98%", []tok{{"SpO2", Word, 0}, {"98%", Number, 5}}},
		{"decimal then period", "1.5.", []tok{{"1.5", Number, 0}, {".", Punct, 3}}},
		{"thousands", "1,000 units", []tok{{"1,000 units", Number, 0}}},
		{"list of numbers", "3,4", []tok{{"3", Number, 0}, {",", Punct, 1}, {"4", Number, 2}}},
		{"ordinal is a word", "3rd day", []tok{{"3rd", Word, 0}, {"day", Word, 4}}},
		{"number then plain word", "45 years", []tok{{"45", Number, 0}, {"years", Word, 3}}},
		{"hyphenated word", "Roux-en-Y L4-L5", []tok{{"Roux-en-Y", Word, 0}, {"L4-L5", Word, 10}}},
		{"apostrophe", "patient's", []tok{{"patient's", Word, 0}}},
		{"title", "Dr. Smith", []tok{{"Dr.", Abbrev, 0}, {"Smith", Word, 4}}},
		{"sentence period is punct", "pain.He", []tok{{"pain", Word, 0}, {".", Punct, 4}, {"He", Word, 5}}},
		{"e.g.", "e.g. aspirin", []tok{{"e.g.", Abbrev, 0}, {"aspirin", Word, 5}}},
		{"utf8 offsets", "caf\u00e9 5 mg", []tok{{"caf\u00e9", Word, 0}, {"5 mg", Number, 6}}},
		{"invalid utf8 skipped", "a\xffb", []tok{{"a", Word, 0}, {"b", Word, 2}}},
		{"mtsamples separators", "obesity.,POST", []tok{{"obesity", Word, 0}, {".", Punct, 7}, {",", Punct, 8}, {"POST", Word, 9}}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []tok
			for _, k := range Tokenize(tc.in) {
				got = append(got, tok{k.Text, k.Kind, k.Start})
				if tc.in[k.Start:k.End] != k.Text {
					t.Errorf("offsets of %q: [%d:%d] is %q", k.Text, k.Start, k.End, tc.in[k.Start:k.End])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Tokenize(%q)\n got %v\nwant %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestTokenNorm(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lower", "MmHg", "mmhg"},
		{"curly apostrophe", "patient\u2019s", "patient's"},
		{"nbsp in dose", "5\u00a0mg", "5 mg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := Tokenize(tc.in)
			if len(toks) != 1 || toks[0].Norm != tc.want {
				t.Errorf("Tokenize(%q) = %+v, want one token with Norm %q", tc.in, toks, tc.want)
			}
		})
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"two sentences", "Denies fever. Has cough.", []string{"Denies fever.", "Has cough."}},
		{"abbreviations do not split", "Seen by Dr. Smith at 10 a.m. Today he is well.", []string{"Seen by Dr. Smith at 10 a.m. Today he is well."}},
		{"decimal does not split", "Take 0.5 mg. Then rest.", []string{"Take 0.5 mg.", "Then rest."}},
		{"lower case continues", "Pain in the abd. region noted.", []string{"Pain in the abd. region noted."}},
		{"question and exclamation", "Pain? Yes! Fine", []string{"Pain?", "Yes!", "Fine"}},
		{"header starts a sentence", "History is long ALLERGIES: None.", []string{"History is long", "ALLERGIES: None."}},
		{"blank line", "No fever\n\nCough", []string{"No fever", "Cough"}},
		{"mtsamples commas", "obesity.,PLAN: ,Diet.", []string{"obesity.", "PLAN: ,Diet."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := Tokenize(tc.in)
			var got []string
			for _, r := range Sentences(tc.in, toks, Sections(tc.in)) {
				sp := r.Span(toks)
				got = append(got, tc.in[sp.Start:sp.End])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStopWords(t *testing.T) {
	tests := []struct {
		name string
		word string
		want bool
	}{
		{"article", "the", true}, {"pronoun", "she", true}, {"negation", "no", true}, {"auxiliary", "was", true},
		{"clinical word", "pain", false}, {"drug", "aspirin", false}, {"body part", "chest", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsStopWord(tc.word); got != tc.want {
				t.Errorf("IsStopWord(%q) = %v, want %v", tc.word, got, tc.want)
			}
		})
	}
}

// TestStem uses pairs of the Snowball English sample vocabulary and output
// (snowballstem.org/algorithms/english/stemmer.html).
func TestStem(t *testing.T) {
	tests := []struct{ name, word, want string }{
		{"consign", "consignment", "consign"}, {"consist", "consistently", "consist"}, {"consolation", "consolation", "consol"},
		{"consolatory", "consolatory", "consolatori"}, {"consolidating", "consolidating", "consolid"}, {"generously", "generously", "generous"},
		{"knack", "knackeries", "knackeri"}, {"kneeling", "kneeling", "kneel"}, {"running", "running", "run"},
		{"abdominal", "abdominal", "abdomin"}, {"number unchanged", "120/80", "120/80"}, {"abbreviation unchanged", "b.i.d.", "b.i.d."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Stem(tc.word); got != tc.want {
				t.Errorf("Stem(%q) = %q, want %q", tc.word, got, tc.want)
			}
		})
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"stop words and punctuation dropped, stems", "The patient was running.", []string{"patient", "run"}},
		{"dose keeps its unit", "aspirin 81 mg b.i.d.", []string{"aspirin", "<num> mg", "b.i.d."}},
		{"bare number", "BP 120/80", []string{"bp", "<num>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Terms(Tokenize(tc.in)); !slices.Equal(got, tc.want) {
				t.Errorf("Terms(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSections(t *testing.T) {
	type sec struct{ name, header, body string }
	tests := []struct {
		name string
		in   string
		want []sec
	}{
		{"usual headers", "CHIEF COMPLAINT: Cough.\nHISTORY OF PRESENT ILLNESS: Two days.\nMEDICATIONS: None.\nALLERGIES: NKDA.\nASSESSMENT: URI.\nPLAN: Rest.",
			[]sec{{"chief_complaint", "CHIEF COMPLAINT", " Cough.\n"}, {"history_of_present_illness", "HISTORY OF PRESENT ILLNESS", " Two days.\n"},
				{"medications", "MEDICATIONS", " None.\n"}, {"allergies", "ALLERGIES", " NKDA.\n"}, {"assessment", "ASSESSMENT", " URI.\n"}, {"plan", "PLAN", " Rest."}}},
		{"mtsamples inline", "PREOPERATIVE DIAGNOSIS: , Obesity.,PROCEDURE: , Bypass.",
			[]sec{{"diagnosis", "PREOPERATIVE DIAGNOSIS", " , Obesity.,"}, {"procedure", "PROCEDURE", " , Bypass."}}},
		{"title case at line start", "Chief Complaint: cough\nAssessment and Plan: rest",
			[]sec{{"chief_complaint", "Chief Complaint", " cough\n"}, {"assessment_and_plan", "Assessment and Plan", " rest"}}},
		{"unknown upper-case header", "HEENT: Normal.", []sec{{"other", "HEENT", " Normal."}}},
		{"title case unknown is not a header", "Note: call back", nil},
		{"mid-sentence colon is not a header", "ratio was 2:1 today", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []sec
			for _, s := range Sections(tc.in) {
				got = append(got, sec{s.Name, s.Header, tc.in[s.Start:s.End]})
				if tc.in[s.HeaderStart:s.HeaderEnd] != s.Header {
					t.Errorf("header offsets of %q wrong", s.Header)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Sections(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNegations(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // "finding|trigger"
	}{
		{"denies", "Patient denies chest pain.", []string{"chest pain|denies"}},
		{"termination but", "No chest pain but has fever.", []string{"chest pain|no"}},
		{"termination however", "No cough; however, wheezing noted.", []string{"cough|no"}},
		{"pseudo no increase", "No increase in swelling.", nil},
		{"pseudo not ruled out", "Pneumonia not ruled out.", nil},
		{"pseudo no change", "No change in the mass.", nil},
		{"list", "Denies fever, chills, or night sweats.", []string{"fever|denies", "chills|denies", "night sweats|denies"}},
		{"negative for", "Negative for tuberculosis.", []string{"tuberculosis|negative for"}},
		{"no evidence of", "No evidence of metastatic disease.", []string{"metastatic disease|no evidence of"}},
		{"without", "Walks without a limp.", []string{"limp|without"}},
		{"post trigger", "Myocardial infarction was ruled out.", []string{"Myocardial infarction|was ruled out"}},
		{"sentence ends scope", "No fever. Cough present.", []string{"fever|no"}},
		{"affirmed only", "Has chest pain and fever.", nil},
		{"two triggers", "No fever, denies cough.", []string{"fever|no", "cough|denies"}},
		{"window limit", "No a1 a2 a3 a4 a5 a6 a7 a8 a9 a10.", []string{"a1 a2 a3 a4 a5 a6 a7 a8|no"}},
		{"offsets", "BP ok. Denies dyspnea.", []string{"dyspnea|denies"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := Tokenize(tc.in)
			var got []string
			for _, f := range Negations(tc.in, toks, Sentences(tc.in, toks, Sections(tc.in))) {
				got = append(got, f.Text+"|"+f.Trigger)
				if tc.in[f.Start:f.End] != f.Text {
					t.Errorf("offsets of %q wrong", f.Text)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Negations(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWordPieceSplit(t *testing.T) {
	w, err := NewWordPiece([]string{PadToken, UnkToken, ClsToken, SepToken, MaskToken, "card", "##io", "##my", "##opathy", "my", "c", "##a", "##r", "##d"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, word string
		want       []string
	}{
		{"longest first", "cardiomyopathy", []string{"card", "##io", "##my", "##opathy"}},
		{"whole word", "card", []string{"card"}},
		{"char fallback", "car", []string{"c", "##a", "##r"}},
		{"unknown char", "cardx", []string{UnkToken}},
		{"too long", strings.Repeat("c", maxWordRunes+1), []string{UnkToken}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, id := range w.Split(tc.word) {
				got = append(got, w.Vocab[id])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Split(%q) = %q, want %q", tc.word, got, tc.want)
			}
		})
	}
}

func TestNewWordPieceRejects(t *testing.T) {
	tests := []struct {
		name  string
		vocab []string
	}{
		{"no specials", []string{"a", "b"}},
		{"duplicate", []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken, "a", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewWordPiece(tc.vocab); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestLearnWordPiece(t *testing.T) {
	// "low" x5, "lower" x2, "newest" x6, "widest" x3: the corpus of the BPE
	// paper (Sennrich et al. 2016). With WordPiece's score, frequent pairs
	// of rare symbols merge first; "##e ##s" and "##s ##t" are pairs of
	// common symbols, so "##est" comes from successive merges.
	corpus := strings.Repeat("low ", 5) + strings.Repeat("lower ", 2) + strings.Repeat("newest ", 6) + strings.Repeat("widest ", 3)
	w := LearnWordPiece([]string{corpus}, 40)
	tests := []struct {
		name, word string
		want       []string
	}{
		{"frequent word whole", "newest", []string{"newest"}},
		{"low whole", "low", []string{"low"}},
		{"unseen word split", "lowest", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, id := range w.Split(tc.word) {
				got = append(got, w.Vocab[id])
			}
			if tc.want == nil {
				if len(got) < 2 || got[0] == UnkToken {
					t.Errorf("Split(%q) = %q, want several known pieces", tc.word, got)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Split(%q) = %q, want %q (vocab %q)", tc.word, got, tc.want, w.Vocab)
			}
		})
	}
	if len(w.Vocab) > 40 {
		t.Errorf("vocabulary has %d pieces, want at most 40", len(w.Vocab))
	}
	if !slices.Equal(LearnWordPiece([]string{corpus}, 40).Vocab, w.Vocab) {
		t.Error("two runs learned different vocabularies")
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"aspirin 81 mg p.o. q.d.", "BP 120/80 mmHg.", "s/p CABG w/ fever", "1,000.5-3 mg/kg/day", "Dr. e.g. b.i.d", "a\xffb\u00a0c", "12-mm 3rd 98%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokenize(s)
		prev := 0
		for _, k := range toks {
			if k.Start < prev || k.End <= k.Start || k.End > len(s) {
				t.Fatalf("token %+v out of order or empty (prev end %d)", k, prev)
			}
			if s[k.Start:k.End] != k.Text {
				t.Fatalf("token %+v does not match text %q", k, s[k.Start:k.End])
			}
			if strings.TrimSpace(k.Text) == "" || !utf8.ValidString(k.Text) {
				t.Fatalf("token %q is blank or not UTF-8", k.Text)
			}
			prev = k.End
		}
		secs := Sections(s)
		sens := Sentences(s, toks, secs)
		for _, f := range Negations(s, toks, sens) {
			if s[f.Start:f.End] != f.Text {
				t.Fatalf("finding %+v offsets wrong", f)
			}
		}
		for _, sec := range secs {
			if sec.HeaderStart > sec.HeaderEnd || sec.Start > sec.End || sec.End > len(s) {
				t.Fatalf("section %+v out of range", sec)
			}
		}
	})
}
