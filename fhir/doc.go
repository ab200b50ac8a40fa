// Package fhir holds the HL7 FHIR R4 JSON resources Galen reads and writes
// (Bundle, Observation, Patient, RiskAssessment, OperationOutcome) and a
// strict decoder for outside input.
//
// Decode and DecodeBundle check a document against the R4 rules that matter
// to a receiver: well-formed JSON, a known resourceType, required elements,
// JSON types, code values from required bindings, date and dateTime syntax,
// at most one choice of each value[x], and no element that R4 does not define
// for the resource. They report every problem at once, each with a
// FHIRPath-like location such as Bundle.entry[3].resource.valueQuantity.value,
// as an *Error that converts to an OperationOutcome.
//
// Resource types that R4 defines but this package does not model decode to
// *Unsupported, so a Bundle from an EHR with Encounters or Conditions in it
// still reads; callers decide whether to warn. Adding a resource means a
// struct, a decode function and an entry in the decoders table.
package fhir
