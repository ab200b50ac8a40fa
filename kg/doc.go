// Package kg is Galen's medical knowledge graph: drugs, diseases, symptoms,
// ATC classes, ICD-10-CM and ICD-9-CM codes, Synthea patients and
// practitioners, joined by typed, directed edges (treats, palliates,
// has_symptom, interacts_with, in_atc_class, is_a, xref, ...) that carry the
// data set they came from, its license, and attributes such as severity or
// weight.
//
// Importers (one per data set under ../shared/data, see Sources) read the
// files strictly, report every dropped row with its file and line, and hand
// the store one whole source at a time, so that a failed import leaves the
// source as it was. A Graph is the in-memory index built from the store:
// search by name, synonym or code (prefix and typo-tolerant), neighbours,
// subgraphs, shortest and k best paths, metapath walks, drug interaction
// checks and symptom-to-disease suggestions. Export writes the graph in the
// layout of Neo4j's bulk importer.
package kg
