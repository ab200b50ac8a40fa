package icustay

import (
	"strings"

	"github.com/galenhealth/galen/fhir"
)

// PhysioNetSystem is the code system for PhysioNet 2012 variables that have
// no LOINC code (MechVent, ICUType); its codes are the PhysioNet names and
// its values are in PhysioNet units. Any other PhysioNet variable may be
// sent with it too.
const PhysioNetSystem = "https://physionet.org/content/challenge-2012/1.0.0/"

// Code maps one PhysioNet 2012 variable to LOINC.
type Code struct {
	Variable string   // PhysioNet name, e.g. "HR"
	LOINC    string   // the LOINC code Galen asks for and writes, "" if none
	Display  string   // LOINC display name
	Unit     string   // UCUM code of the PhysioNet unit
	Aliases  []string // other LOINC codes read as the same variable
	units    []unit   // accepted units and their conversion to Unit
}

// unit is one accepted unit: its UCUM code, other spellings seen in the
// wild, and the conversion to the variable's PhysioNet unit.
type unit struct {
	ucum    string
	aliases []string
	to      func(float64) float64
}

func same(v float64) float64 { return v }

func scale(f float64) func(float64) float64 { return func(v float64) float64 { return v * f } }

// Units shared by several variables.
var (
	mmHg       = unit{"mm[Hg]", []string{"mmHg", "mm Hg", "mm(hg)"}, same}
	kPa        = unit{"kPa", nil, scale(7.500617)}
	perMin     = unit{"/min", []string{"1/min", "{beats}/min", "beats/min", "{breaths}/min", "breaths/min", "bpm", "{beat}/min", "{breath}/min"}, same}
	percent    = unit{"%", []string{"percent"}, same}
	mmolL      = unit{"mmol/L", []string{"mmol/l", "meq/L", "mEq/L", "meq/l"}, same}
	mgdL       = unit{"mg/dL", []string{"mg/dl"}, same}
	unitless   = unit{"1", []string{"", "{score}", "{Score}", "{ratio}"}, same}
	perL9      = unit{"10*3/uL", []string{"10^3/uL", "10*3/ul", "K/uL", "k/uL", "x10E3/uL", "10*9/L", "10^9/L", "/nL", "10*3/mm3", "thou/uL"}, same}
	enzyme     = unit{"U/L", []string{"[IU]/L", "IU/L", "u/L", "U/l"}, same}
	ukatL      = unit{"ukat/L", []string{"µkat/L", "μkat/L"}, scale(60)}
	ugL        = unit{"ug/L", []string{"ng/mL", "ng/ml", "µg/L", "μg/L"}, same}
	ngL        = unit{"ng/L", []string{"pg/mL", "pg/ml"}, scale(0.001)}
	fraction   = unit{"1", []string{"{ratio}", "L/L", ""}, same}
	fracToPct  = unit{"1", []string{"{ratio}", "L/L"}, scale(100)}
	pctToFrac  = unit{"%", []string{"percent"}, scale(0.01)}
	celsius    = unit{"Cel", []string{"°C", "degC", "C", "Celsius"}, same}
	fahrenheit = unit{"[degF]", []string{"°F", "degF", "F", "Fahrenheit"}, func(v float64) float64 { return (v - 32) * 5 / 9 }}
	kg         = unit{"kg", []string{"Kg", "kilogram"}, same}
	pound      = unit{"[lb_av]", []string{"lb", "lbs", "[lb]"}, scale(0.45359237)}
	gram       = unit{"g", nil, scale(0.001)}
	cm         = unit{"cm", nil, same}
	inch       = unit{"[in_i]", []string{"in", "[in]"}, scale(2.54)}
	metre      = unit{"m", nil, scale(100)}
	mL         = unit{"mL", []string{"ml", "cm3"}, same}
	litre      = unit{"L", []string{"l"}, scale(1000)}
	pH         = unit{"[pH]", []string{"pH", "1", ""}, same}
	years      = unit{"a", []string{"{years}", "yr", "years", "year", "y"}, same}
)

// molar converts a molar concentration to a mass one with the molar mass in
// g/mol: 1 mmol/L = mw/10 mg/dL.
func molar(ucum string, aliases []string, mgdLPerUnit float64) unit {
	return unit{ucum, aliases, scale(mgdLPerUnit)}
}

// Codes is the LOINC map of every PhysioNet 2012 variable the outcome model
// reads. The package documentation shows it as a table.
var Codes = []Code{
	{"HR", "8867-4", "Heart rate", "/min", nil, []unit{perMin}},
	{"SysABP", "76215-3", "Invasive Systolic blood pressure", "mm[Hg]", nil, []unit{mmHg, kPa}},
	{"DiasABP", "76213-8", "Invasive Diastolic blood pressure", "mm[Hg]", nil, []unit{mmHg, kPa}},
	{"MAP", "76214-6", "Invasive Mean blood pressure", "mm[Hg]", nil, []unit{mmHg, kPa}},
	{"NISysABP", "76534-7", "Systolic blood pressure by Noninvasive", "mm[Hg]", []string{"8480-6"}, []unit{mmHg, kPa}},
	{"NIDiasABP", "76535-4", "Diastolic blood pressure by Noninvasive", "mm[Hg]", []string{"8462-4"}, []unit{mmHg, kPa}},
	{"NIMAP", "76536-2", "Mean blood pressure by Noninvasive", "mm[Hg]", []string{"8478-0"}, []unit{mmHg, kPa}},
	{"Temp", "8310-5", "Body temperature", "Cel", []string{"8329-5", "8331-1", "8328-7", "8333-7"}, []unit{celsius, fahrenheit}},
	{"GCS", "9269-2", "Glasgow coma score total", "{score}", nil, []unit{{"{score}", []string{"1", "", "{Score}", "{points}"}, same}}},
	{"RespRate", "9279-1", "Respiratory rate", "/min", nil, []unit{perMin}},
	{"SaO2", "2708-6", "Oxygen saturation in Arterial blood", "%", nil, []unit{percent, fracToPct}},
	{"FiO2", "3150-0", "Inhaled oxygen concentration", "1", nil, []unit{pctToFrac, fraction}},
	{"PaO2", "2703-7", "Oxygen [Partial pressure] in Arterial blood", "mm[Hg]", []string{"11556-8"}, []unit{mmHg, kPa}},
	{"PaCO2", "2019-8", "Carbon dioxide [Partial pressure] in Arterial blood", "mm[Hg]", []string{"11557-6"}, []unit{mmHg, kPa}},
	{"pH", "2744-1", "pH of Arterial blood", "[pH]", []string{"11558-4"}, []unit{pH}},
	{"HCO3", "1963-8", "Bicarbonate [Moles/volume] in Serum or Plasma", "mmol/L", []string{"1959-6", "1960-4", "2028-9", "20565-8"}, []unit{mmolL}},
	{"Lactate", "2524-7", "Lactate [Moles/volume] in Serum or Plasma", "mmol/L", []string{"32693-4"}, []unit{mmolL, molar("mg/dL", []string{"mg/dl"}, 1/9.008)}},
	{"Glucose", "2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", []string{"2339-0", "14749-6", "15074-8"}, []unit{mgdL, molar("mmol/L", []string{"mmol/l"}, 18.016)}},
	{"BUN", "3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", []string{"6299-2", "14937-7"}, []unit{mgdL, molar("mmol/L", []string{"mmol/l"}, 2.8014)}},
	{"Creatinine", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", []string{"14682-9", "38483-4"}, []unit{mgdL, molar("umol/L", []string{"µmol/L", "μmol/L", "umol/l"}, 1/88.42)}},
	{"Na", "2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", []string{"2947-0"}, []unit{mmolL}},
	{"K", "2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", []string{"6298-4"}, []unit{mmolL}},
	{"Mg", "19123-9", "Magnesium [Mass/volume] in Serum or Plasma", "mg/dL", []string{"2601-3"}, []unit{mgdL, molar("mmol/L", []string{"mmol/l"}, 2.4305), molar("meq/L", []string{"mEq/L"}, 1.21525)}},
	{"HCT", "4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", []string{"20570-8"}, []unit{percent, fracToPct}},
	{"Platelets", "777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", []string{"26515-7"}, []unit{perL9}},
	{"WBC", "6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", []string{"26464-8"}, []unit{perL9}},
	{"Bilirubin", "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", []string{"42719-5", "14631-6"}, []unit{mgdL, molar("umol/L", []string{"µmol/L", "μmol/L", "umol/l"}, 1/17.104)}},
	{"ALP", "6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", nil, []unit{enzyme, ukatL}},
	{"ALT", "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", nil, []unit{enzyme, ukatL}},
	{"AST", "1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", []string{"30239-8"}, []unit{enzyme, ukatL}},
	{"Albumin", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", nil, []unit{{"g/dL", []string{"g/dl"}, same}, {"g/L", []string{"g/l"}, scale(0.1)}}},
	{"Cholesterol", "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", []string{"14647-2", "35200-5"}, []unit{mgdL, molar("mmol/L", []string{"mmol/l"}, 38.67)}},
	{"TroponinI", "10839-9", "Troponin I.cardiac [Mass/volume] in Serum or Plasma", "ug/L", []string{"42757-5"}, []unit{ugL, ngL}},
	{"TroponinT", "6598-7", "Troponin T.cardiac [Mass/volume] in Serum or Plasma", "ug/L", nil, []unit{ugL, ngL}},
	{"Urine", "9187-6", "Urine output", "mL", nil, []unit{mL, litre}},
	{"Weight", "29463-7", "Body weight", "kg", []string{"3141-9"}, []unit{kg, pound, gram}},
	{"Height", "8302-2", "Body height", "cm", []string{"8306-3", "8308-9"}, []unit{cm, inch, metre}},
	{"Age", "30525-0", "Age", "a", nil, []unit{years}},
	{"MechVent", "", "", "1", nil, []unit{unitless}},
	{"ICUType", "", "", "1", nil, []unit{unitless}},
}

// Panels are the LOINC panels read through their components (blood
// pressure: 85354-9 and Synthea's 55284-4).
var Panels = []string{"85354-9", "55284-4"}

// PrefetchCodes returns every code FromBundle reads as "system|code" tokens
// for a FHIR search: each variable's LOINC code and aliases, the panels read
// through their components, and the PhysioNetSystem codes of MechVent and
// ICUType. Prefetch templates are built from it, so they cannot leave out a
// code the map reads.
func PrefetchCodes() []string {
	var out []string
	for _, c := range Codes {
		if c.LOINC == "" {
			out = append(out, PhysioNetSystem+"|"+c.Variable)
			continue
		}
		for _, code := range append([]string{c.LOINC}, c.Aliases...) {
			out = append(out, fhir.SystemLOINC+"|"+code)
		}
	}
	for _, p := range Panels {
		out = append(out, fhir.SystemLOINC+"|"+p)
	}
	return out
}

// hints explain LOINC codes that look related but are deliberately not read.
var hints = map[string]string{
	"59408-5": "SpO2 by pulse oximetry is not arterial SaO2 (2708-6)",
	"2710-2":  "SpO2 by pulse oximetry is not arterial SaO2 (2708-6)",
	"9267-6":  "a GCS component; send the total (9269-2)",
	"9268-4":  "a GCS component; send the total (9269-2)",
	"9270-0":  "a GCS component; send the total (9269-2)",
	"3151-8":  "oxygen flow rate is not FiO2 (3150-0)",
	"85354-9": "a blood pressure panel without systolic, diastolic or mean components",
	"2756-5":  "pH of urine is not arterial pH (2744-1)",
	"14629-0": "direct bilirubin is not total bilirubin (1975-2)",
	"1968-7":  "direct bilirubin is not total bilirubin (1975-2)",
	"96608-5": "a mean of blood pressures over a period is not one measurement",
	"96609-3": "a mean of blood pressures over a period is not one measurement",
	"55284-4": "a blood pressure panel without systolic, diastolic or mean components",
}

var (
	byLOINC    = map[string]*Code{}
	byVariable = map[string]*Code{}
)

func init() {
	for i := range Codes {
		c := &Codes[i]
		byVariable[c.Variable] = c
		if c.LOINC != "" {
			byLOINC[c.LOINC] = c
		}
		for _, a := range c.Aliases {
			byLOINC[a] = c
		}
	}
}

// ByLOINC returns the variable a LOINC code maps to.
func ByLOINC(code string) (Code, bool) {
	c, ok := byLOINC[code]
	if !ok {
		return Code{}, false
	}
	return *c, true
}

// ByVariable returns the LOINC mapping of a PhysioNet variable.
func ByVariable(name string) (Code, bool) {
	c, ok := byVariable[name]
	if !ok {
		return Code{}, false
	}
	return *c, true
}

// Units returns the UCUM codes accepted for the variable; the first is its
// PhysioNet unit or the one converted from most often.
func (c Code) Units() []string {
	var out []string
	for _, u := range c.units {
		out = append(out, u.ucum)
	}
	return out
}

// Convert converts a value given in q's unit to the variable's PhysioNet
// unit. It matches the UCUM code first (when the system is UCUM or absent),
// then the human-readable unit. ok is false when the unit is not accepted.
func (c Code) Convert(value float64, q *fhir.Quantity) (float64, bool) {
	var code, text string
	if q != nil {
		if q.System == "" || q.System == fhir.SystemUCUM {
			code = strings.TrimSpace(q.Code)
		}
		text = strings.TrimSpace(q.Unit)
	}
	if code != "" {
		// A code wins over the text, which is for people.
		if u, ok := c.unit(code); ok {
			return u.to(value), true
		}
		return 0, false
	}
	if u, ok := c.unit(text); ok {
		return u.to(value), true
	}
	return 0, false
}

// unit finds an accepted unit by UCUM code, then by alias.
func (c Code) unit(s string) (unit, bool) {
	for _, u := range c.units {
		if u.ucum == s {
			return u, true
		}
	}
	for _, u := range c.units {
		for _, a := range u.aliases {
			if a == s {
				return u, true
			}
		}
	}
	return unit{}, false
}
