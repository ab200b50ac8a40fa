// Package text is Galen's clinical text capability: a pipeline for
// clinical notes and a classifier of a note's medical specialty.
//
// The pipeline: Unicode normalisation ([Normalize]); a tokeniser
// ([Tokenize]) that keeps clinical abbreviations ("b.i.d.", "q.d.", "s/p"),
// numbers with their units and doses ("5 mg", "120/80 mmHg") as single
// tokens and records each token's byte offsets in the original text;
// sentence splitting ([Sentences]); English stop words and Snowball
// stemming ([IsStopWord], [Stem], [Terms]); section detection for the usual
// headers of clinical notes ([Sections]); NegEx-style negation with
// triggers, scope, terminations and pseudo-negations ([Negations]); and a
// WordPiece subword vocabulary learned from training text
// ([LearnWordPiece]).
package text
