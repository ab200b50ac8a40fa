package outcome

// variable describes one PhysioNet 2012 time-series variable: its unit, the
// range outside which a value is physiologically impossible (dropped and
// flagged), and whether it is log-transformed before normalisation because
// its distribution is heavy-tailed. The table is repeated in doc.go.
type variable struct {
	Name     string
	Unit     string
	Min, Max float64
	Log      bool
}

var variables = []variable{
	{"ALP", "IU/L", 1, 5000, true},
	{"ALT", "IU/L", 1, 20000, true},
	{"AST", "IU/L", 1, 20000, true},
	{"Albumin", "g/dL", 0.5, 8, false},
	{"BUN", "mg/dL", 0, 300, true},
	{"Bilirubin", "mg/dL", 0, 80, true},
	{"Cholesterol", "mg/dL", 10, 1000, false},
	{"Creatinine", "mg/dL", 0.05, 30, true},
	{"DiasABP", "mmHg", 1, 250, false},
	{"FiO2", "fraction", 0.21, 1, false},
	{"GCS", "score", 3, 15, false},
	{"Glucose", "mg/dL", 10, 2000, true},
	{"HCO3", "mmol/L", 2, 60, false},
	{"HCT", "%", 5, 75, false},
	{"HR", "bpm", 1, 300, false},
	{"K", "mEq/L", 1, 12, false},
	{"Lactate", "mmol/L", 0.1, 40, true},
	{"MAP", "mmHg", 1, 300, false},
	{"MechVent", "0/1", 0, 1, false},
	{"Mg", "mg/dL", 0.2, 10, false}, // PhysioNet lists mmol/L, but set A (median 2.0, 5-95 % 1.4-2.7) is in mg/dL
	{"NIDiasABP", "mmHg", 1, 250, false},
	{"NIMAP", "mmHg", 1, 300, false},
	{"NISysABP", "mmHg", 1, 300, false},
	{"Na", "mEq/L", 90, 200, false},
	{"PaCO2", "mmHg", 5, 150, false},
	{"PaO2", "mmHg", 20, 800, false},
	{"Platelets", "10^3/uL", 1, 2000, true},
	{"RespRate", "/min", 0, 100, false},
	{"SaO2", "%", 20, 100, false},
	{"SysABP", "mmHg", 1, 300, false},
	{"Temp", "°C", 25, 45, false},
	{"TroponinI", "ng/mL", 0, 100, true},
	{"TroponinT", "ng/mL", 0, 50, true},
	{"Urine", "mL", 0, 10000, true},
	{"WBC", "10^3/uL", 0.05, 250, true},
	{"Weight", "kg", 20, 350, false},
	{"pH", "", 6.5, 8, false},
}

// descriptorRanges are the plausible ranges of the static descriptors;
// values outside are treated as missing and flagged. A child's age is
// possible but outside the intended population (see CheckPopulation).
var descriptorRanges = map[string][2]float64{
	"Age":     {0, 120},
	"Gender":  {0, 1},
	"Height":  {100, 250},
	"ICUType": {1, 4},
	"Weight":  {20, 350},
}

var variableIndex = func() map[string]int {
	m := make(map[string]int, len(variables))
	for i, v := range variables {
		m[v.Name] = i
	}
	return m
}()

// Variables returns the names of the PhysioNet time-series variables the
// models use, in feature order.
func Variables() []string {
	out := make([]string, len(variables))
	for i, v := range variables {
		out[i] = v.Name
	}
	return out
}

// Plausible reports whether value is inside the physiologically possible
// range of the named variable or descriptor. Unknown names are not plausible.
func Plausible(name string, value float64) bool {
	if i, ok := variableIndex[name]; ok {
		return value >= variables[i].Min && value <= variables[i].Max
	}
	if r, ok := descriptorRanges[name]; ok {
		return value >= r[0] && value <= r[1]
	}
	return false
}
