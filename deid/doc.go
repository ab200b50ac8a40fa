// Package deid de-identifies clinical text under the HIPAA Safe Harbor
// method: it finds the eighteen kinds of identifiers (names, geographic
// units smaller than a state, date elements but the year, ages over 89,
// telephone and fax numbers, e-mail, SSN, medical record, health plan,
// account, licence, vehicle and device numbers, URLs, IP addresses and
// other unique numbers) with their type and character offsets, and
// replaces them with tags, blanks or consistent surrogates.
//
// Detection is the union of three methods a privacy officer can audit:
// rules (regular expressions with context, rules.go, each named in the
// span's Source), dictionaries (first and last names, US places, vendored
// under data/ with their licences) filtered by ordinary clinical
// vocabulary, and a trained token classifier (a small BiLSTM on nn/) for
// what the first two miss. Recall comes first: a missed name is a breach,
// an over-redacted word a nuisance.
//
// The package also holds the surrogate-PHI corpus generator that trains
// and tests the classifier (gen.go), the readers of the PhysioNet deid
// format and of gold files, and the metrics (span and token level, per
// type). Its tokeniser and sentence splitter (text.go) are the minimal
// ones de-identification needs, to be unified with the clinical text
// pipeline later.
package deid
