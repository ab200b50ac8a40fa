package icustay_test

import (
	"math"
	"testing"

	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
)

// Conversion factors written out independently of loinc.go: UCUM's
// definitions (ucum-essence.xml) for the physical units, and standard
// molar masses (IUPAC atomic weights) for moles to mass. A mass
// concentration in mg/dL from a molar one in mmol/L is mmol/L × M / 10, with
// M in g/mol.
const (
	mmHgPerKPa   = 1000 / 133.322387415 // 1 mm[Hg] = 133.322387415 Pa
	kgPerLb      = 0.45359237           // [lb_av], exact
	cmPerIn      = 2.54                 // [in_i], exact
	unitPerUkat  = 60                   // 1 U = 1 umol/min, 1 kat = 1 mol/s
	mBilirubin   = 584.66               // C33H36N4O6, g/mol
	mLactate     = 90.08                // C3H6O3
	mGlucose     = 180.156              // C6H12O6
	mCreatinine  = 113.12               // C4H7N3O
	mUreaN       = 2 * 14.007           // the two nitrogens of urea: BUN counts nitrogen
	mCholesterol = 386.65               // C27H46O
	mMagnesium   = 24.305               // Mg
	valenceMg    = 2                    // Mg2+: 1 mmol = 2 mEq
)

// ucumRow is one conversion: value in the quantity's unit, and the value
// wanted in the variable's PhysioNet unit (ok false: refused).
type ucumRow struct {
	name     string
	variable string
	value    float64
	q        *fhir.Quantity
	want     float64
	ok       bool
}

// ucum is a quantity with a UCUM code and the UCUM system.
func ucum(code string) *fhir.Quantity { return &fhir.Quantity{System: fhir.SystemUCUM, Code: code} }

var ucumRows = []ucumRow{
	// Units that need no conversion: the PhysioNet unit itself.
	{"HR /min", "HR", 80, ucum("/min"), 80, true},
	{"RespRate /min", "RespRate", 18, ucum("/min"), 18, true},
	{"GCS {score}", "GCS", 14, ucum("{score}"), 14, true},
	{"Temp Cel", "Temp", 37.2, ucum("Cel"), 37.2, true},
	{"SaO2 %", "SaO2", 97, ucum("%"), 97, true},
	{"FiO2 1", "FiO2", 0.4, ucum("1"), 0.4, true},
	{"pH [pH]", "pH", 7.4, ucum("[pH]"), 7.4, true},
	{"HCO3 mmol/L", "HCO3", 24, ucum("mmol/L"), 24, true},
	{"Lactate mmol/L", "Lactate", 2, ucum("mmol/L"), 2, true},
	{"Glucose mg/dL", "Glucose", 100, ucum("mg/dL"), 100, true},
	{"BUN mg/dL", "BUN", 14, ucum("mg/dL"), 14, true},
	{"Creatinine mg/dL", "Creatinine", 1.1, ucum("mg/dL"), 1.1, true},
	{"Na mmol/L", "Na", 140, ucum("mmol/L"), 140, true},
	{"K mmol/L", "K", 4, ucum("mmol/L"), 4, true},
	{"Mg mg/dL", "Mg", 2, ucum("mg/dL"), 2, true},
	{"HCT %", "HCT", 30, ucum("%"), 30, true},
	{"Platelets 10*3/uL", "Platelets", 250, ucum("10*3/uL"), 250, true},
	{"WBC 10*3/uL", "WBC", 8, ucum("10*3/uL"), 8, true},
	{"Bilirubin mg/dL", "Bilirubin", 1.2, ucum("mg/dL"), 1.2, true},
	{"ALP U/L", "ALP", 90, ucum("U/L"), 90, true},
	{"ALT U/L", "ALT", 30, ucum("U/L"), 30, true},
	{"AST U/L", "AST", 30, ucum("U/L"), 30, true},
	{"Albumin g/dL", "Albumin", 3.5, ucum("g/dL"), 3.5, true},
	{"Cholesterol mg/dL", "Cholesterol", 180, ucum("mg/dL"), 180, true},
	{"TroponinI ug/L", "TroponinI", 0.5, ucum("ug/L"), 0.5, true},
	{"TroponinT ug/L", "TroponinT", 0.5, ucum("ug/L"), 0.5, true},
	{"Urine mL", "Urine", 120, ucum("mL"), 120, true},
	{"Weight kg", "Weight", 80, ucum("kg"), 80, true},
	{"Height cm", "Height", 175, ucum("cm"), 175, true},
	{"Age a", "Age", 64, ucum("a"), 64, true},
	{"MechVent 1", "MechVent", 1, ucum("1"), 1, true},
	{"ICUType 1", "ICUType", 3, ucum("1"), 3, true},

	// Pressures.
	{"SysABP kPa", "SysABP", 16, ucum("kPa"), 16 * mmHgPerKPa, true},
	{"DiasABP kPa", "DiasABP", 10, ucum("kPa"), 10 * mmHgPerKPa, true},
	{"MAP kPa", "MAP", 12, ucum("kPa"), 12 * mmHgPerKPa, true},
	{"NISysABP kPa", "NISysABP", 16, ucum("kPa"), 16 * mmHgPerKPa, true},
	{"NIDiasABP kPa", "NIDiasABP", 10, ucum("kPa"), 10 * mmHgPerKPa, true},
	{"NIMAP kPa", "NIMAP", 12, ucum("kPa"), 12 * mmHgPerKPa, true},
	{"PaO2 kPa", "PaO2", 10, ucum("kPa"), 10 * mmHgPerKPa, true},
	{"PaCO2 kPa", "PaCO2", 5.3, ucum("kPa"), 5.3 * mmHgPerKPa, true},
	{"SysABP mm[Hg]", "SysABP", 120, ucum("mm[Hg]"), 120, true},
	{"DiasABP mm[Hg]", "DiasABP", 70, ucum("mm[Hg]"), 70, true},
	{"MAP mm[Hg]", "MAP", 85, ucum("mm[Hg]"), 85, true},
	{"NISysABP mm[Hg]", "NISysABP", 120, ucum("mm[Hg]"), 120, true},
	{"NIDiasABP mm[Hg]", "NIDiasABP", 70, ucum("mm[Hg]"), 70, true},
	{"NIMAP mm[Hg]", "NIMAP", 85, ucum("mm[Hg]"), 85, true},
	{"PaO2 mm[Hg]", "PaO2", 90, ucum("mm[Hg]"), 90, true},
	{"PaCO2 mm[Hg]", "PaCO2", 40, ucum("mm[Hg]"), 40, true},

	// Temperature, fractions and percentages.
	{"Temp [degF]", "Temp", 101.3, ucum("[degF]"), (101.3 - 32) * 5 / 9, true},
	{"SaO2 fraction", "SaO2", 0.95, ucum("1"), 95, true},
	{"FiO2 %", "FiO2", 60, ucum("%"), 0.6, true},
	{"HCT fraction", "HCT", 0.42, ucum("1"), 42, true},

	// Moles and mass.
	{"Bilirubin umol/L", "Bilirubin", 34.2, ucum("umol/L"), 34.2 * mBilirubin / 10000, true},
	{"Bilirubin umol/L, 1 mg/dL", "Bilirubin", 17.1, ucum("umol/L"), 17.1 * mBilirubin / 10000, true},
	{"Lactate mg/dL", "Lactate", 18, ucum("mg/dL"), 18 * 10 / mLactate, true},
	{"Glucose mmol/L", "Glucose", 7, ucum("mmol/L"), 7 * mGlucose / 10, true},
	{"BUN mmol/L", "BUN", 7.1, ucum("mmol/L"), 7.1 * mUreaN / 10, true},
	{"Creatinine umol/L", "Creatinine", 150, ucum("umol/L"), 150 * mCreatinine / 10000, true},
	{"Cholesterol mmol/L", "Cholesterol", 5.2, ucum("mmol/L"), 5.2 * mCholesterol / 10, true},
	{"Mg mmol/L", "Mg", 0.9, ucum("mmol/L"), 0.9 * mMagnesium / 10, true},
	{"Mg meq/L", "Mg", 1.8, ucum("meq/L"), 1.8 / valenceMg * mMagnesium / 10, true},
	{"Mg mEq/L text", "Mg", 1.8, &fhir.Quantity{Unit: "mEq/L"}, 1.8 / valenceMg * mMagnesium / 10, true},
	{"Albumin g/L", "Albumin", 35, ucum("g/L"), 3.5, true},
	{"TroponinI ng/L", "TroponinI", 40, ucum("ng/L"), 0.04, true},
	{"TroponinT ng/L", "TroponinT", 14, ucum("ng/L"), 0.014, true},
	{"TroponinT pg/mL text", "TroponinT", 14, &fhir.Quantity{Unit: "pg/mL"}, 0.014, true},
	{"TroponinI ng/mL text", "TroponinI", 0.5, &fhir.Quantity{Unit: "ng/mL"}, 0.5, true},
	{"Platelets 10*9/L text", "Platelets", 250, &fhir.Quantity{Unit: "10*9/L"}, 250, true},

	// Enzyme activity.
	{"ALP ukat/L", "ALP", 1.5, ucum("ukat/L"), 1.5 * unitPerUkat, true},
	{"ALT ukat/L", "ALT", 0.5, ucum("ukat/L"), 0.5 * unitPerUkat, true},
	{"AST ukat/L", "AST", 0.6, ucum("ukat/L"), 0.6 * unitPerUkat, true},

	// Body size and volume.
	{"Weight g", "Weight", 3500, ucum("g"), 3.5, true},
	{"Weight [lb_av]", "Weight", 176, ucum("[lb_av]"), 176 * kgPerLb, true},
	{"Height m", "Height", 1.75, ucum("m"), 175, true},
	{"Height [in_i]", "Height", 70, ucum("[in_i]"), 70 * cmPerIn, true},
	{"Urine L", "Urine", 0.25, ucum("L"), 250, true},

	// Where the code and the system come from.
	{"code without a system is UCUM", "Bilirubin", 34.2, &fhir.Quantity{Code: "umol/L"}, 34.2 * mBilirubin / 10000, true},
	{"code without a system, no conversion", "HR", 72, &fhir.Quantity{Code: "/min"}, 72, true},
	{"non-UCUM code without text is refused", "Bilirubin", 34.2, &fhir.Quantity{System: "urn:local", Code: "umol/L"}, 0, false},
	{"unknown UCUM code is refused", "Bilirubin", 34.2, ucum("mmol/L"), 0, false},
	{"mass unit for a pressure is refused", "PaO2", 10, ucum("g"), 0, false},
}

// TestUCUMConversions converts each row's value and compares it with the
// value the independent factors above give, to 5 parts in 10⁴: loinc.go
// rounds some factors (creatinine 88.42 µmol/L per mg/dL where M = 113.12
// g/mol gives 88.40; cholesterol 38.67 mg/dL per mmol/L for 38.665), which
// is clinically nothing, while an inverted or wrong factor is off by far more.
func TestUCUMConversions(t *testing.T) {
	for _, tt := range ucumRows {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := icustay.ByVariable(tt.variable)
			if !ok {
				t.Fatalf("no code for %s", tt.variable)
			}
			got, ok := c.Convert(tt.value, tt.q)
			if ok != tt.ok {
				t.Fatalf("%v %+v: ok = %v, want %v", tt.value, *tt.q, ok, tt.ok)
			}
			if ok && math.Abs(got-tt.want) > 5e-4*math.Max(1, math.Abs(tt.want)) {
				t.Errorf("%v %+v: got %.6g %s, want %.6g", tt.value, *tt.q, got, c.Unit, tt.want)
			}
		})
	}
}

// TestUCUMRowsCoverEveryUnit fails when loinc.go accepts a UCUM code for a
// variable that no row of ucumRows converts: a unit added without a checked
// factor.
func TestUCUMRowsCoverEveryUnit(t *testing.T) {
	covered := map[string]bool{}
	for _, r := range ucumRows {
		if r.ok && r.q.System == fhir.SystemUCUM {
			covered[r.variable+" "+r.q.Code] = true
		}
	}
	for _, c := range icustay.Codes {
		for _, u := range c.Units() {
			if !covered[c.Variable+" "+u] {
				t.Errorf("%s in %s has no row in ucumRows (ucum_test.go)", c.Variable, u)
			}
		}
	}
}
