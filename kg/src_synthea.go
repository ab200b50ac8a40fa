package kg

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// syntheaReference is the reference date of the synthea-ca-59 run
// (run_metadata.json referenceTime); ages of living patients are taken then.
var syntheaReference = time.Date(2022, 3, 4, 0, 0, 0, 0, time.UTC)

var (
	uuidPattern   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	digitsPattern = regexp.MustCompile(`^[0-9]{1,18}$`)
)

// bloodPressure are the LOINC codes of the blood-pressure observations
// kept (latest per patient, as patient attributes and an edge).
var bloodPressure = map[string]string{"8480-6": "systolic_bp", "8462-4": "diastolic_bp"}

// readSynthea reads a Synthea CSV export: patients (age, gender, no names),
// practitioners, conditions (SNOMED CT), medications (RxNorm) and the
// latest blood pressure of each patient.
func readSynthea(ctx context.Context, dir string, b *builder) error {
	if err := readSyntheaPatients(ctx, dir, b); err != nil {
		return err
	}
	provider := map[string]string{} // encounter -> practitioner node
	err := readTable(ctx, b, dir, "providers.csv", ',', []string{"Id", "SPECIALITY", "GENDER"}, func(r row) error {
		id := r.get("Id")
		if !uuidPattern.MatchString(id) {
			b.rep.drop("providers.csv", r.Line, "bad provider id")
			return nil
		}
		n := b.node("Practitioner:"+id, TypePractitioner, "practitioner "+id[:8])
		n.Attrs = append(n.Attrs, text("speciality", strings.ToLower(r.get("SPECIALITY"))), text("gender", r.get("GENDER")))
		return nil
	})
	if err != nil {
		return err
	}
	err = readTable(ctx, b, dir, "encounters.csv", ',', []string{"Id", "PATIENT", "PROVIDER"}, func(r row) error {
		pat, prov := "Patient:"+r.get("PATIENT"), "Practitioner:"+r.get("PROVIDER")
		if !b.has(pat) || !b.has(prov) {
			b.rep.drop("encounters.csv", r.Line, "unknown patient or provider")
			return nil
		}
		provider[r.get("Id")] = prov
		b.edgeOnce(pat, EdgeTreatedBy, prov)
		return nil
	})
	if err != nil {
		return err
	}
	err = readTable(ctx, b, dir, "conditions.csv", ',', []string{"START", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION"}, func(r row) error {
		pat, code := "Patient:"+r.get("PATIENT"), r.get("CODE")
		switch {
		case !b.has(pat):
			b.rep.drop("conditions.csv", r.Line, "unknown patient")
			return nil
		case !digitsPattern.MatchString(code):
			b.rep.drop("conditions.csv", r.Line, "bad SNOMED CT code")
			return nil
		}
		b.node("SNOMEDCT:"+code, TypeCondition, r.get("DESCRIPTION"))
		b.edgeOnce(pat, EdgeDiagnosedWith, "SNOMEDCT:"+code, date("first_diagnosed", r.get("START")))
		if prov, ok := provider[r.get("ENCOUNTER")]; ok {
			b.edgeOnce(prov, EdgeDiagnoses, "SNOMEDCT:"+code)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = readTable(ctx, b, dir, "medications.csv", ',', []string{"START", "PATIENT", "CODE", "DESCRIPTION", "REASONCODE", "REASONDESCRIPTION"}, func(r row) error {
		pat, code := "Patient:"+r.get("PATIENT"), r.get("CODE")
		switch {
		case !b.has(pat):
			b.rep.drop("medications.csv", r.Line, "unknown patient")
			return nil
		case !digitsPattern.MatchString(code):
			b.rep.drop("medications.csv", r.Line, "bad RxNorm code")
			return nil
		}
		b.node("RxNorm:"+code, TypeMedication, r.get("DESCRIPTION"))
		attrs := []Attr{date("first_prescribed", dateOnly(r.get("START")))}
		if rc := r.get("REASONCODE"); digitsPattern.MatchString(rc) {
			attrs = append(attrs, text("reason", r.get("REASONDESCRIPTION")))
		}
		b.edgeOnce(pat, EdgePrescribed, "RxNorm:"+code, attrs...)
		return nil
	})
	if err != nil {
		return err
	}
	return readSyntheaBloodPressure(ctx, dir, b)
}

// dateOnly returns the date part of an ISO date-time.
func dateOnly(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

func readSyntheaPatients(ctx context.Context, dir string, b *builder) error {
	const file = "patients.csv"
	return readTable(ctx, b, dir, file, ',', []string{"Id", "BIRTHDATE", "DEATHDATE", "GENDER"}, func(r row) error {
		id := r.get("Id")
		birth, err := time.Parse("2006-01-02", r.get("BIRTHDATE"))
		if !uuidPattern.MatchString(id) || err != nil {
			b.rep.drop(file, r.Line, "bad patient id or birth date")
			return nil
		}
		until := syntheaReference
		if d := r.get("DEATHDATE"); d != "" {
			if until, err = time.Parse("2006-01-02", d); err != nil {
				b.rep.drop(file, r.Line, "bad death date")
				return nil
			}
		}
		// Patients are named by a short id only: no names in the graph.
		n := b.node("Patient:"+id, TypePatient, "patient "+id[:8])
		n.Attrs = append(n.Attrs, num("age", float64(ageYears(birth, until)), "years"), date("birth_date", r.get("BIRTHDATE")), text("gender", r.get("GENDER")))
		if d := r.get("DEATHDATE"); d != "" {
			n.Attrs = append(n.Attrs, date("death_date", d))
		}
		return nil
	})
}

// ageYears returns whole years from birth to t.
func ageYears(birth, t time.Time) int {
	a := t.Year() - birth.Year()
	if t.YearDay() < birth.YearDay() {
		a--
	}
	return max(a, 0)
}

func readSyntheaBloodPressure(ctx context.Context, dir string, b *builder) error {
	const file = "observations.csv"
	type obs struct {
		date  string
		value float64
		unit  string
	}
	latest := map[string]obs{} // patient + code
	var order []string
	err := readTable(ctx, b, dir, file, ',', []string{"DATE", "PATIENT", "CODE", "DESCRIPTION", "VALUE", "UNITS"}, func(r row) error {
		attr, ok := bloodPressure[r.get("CODE")]
		if !ok {
			return nil
		}
		pat := "Patient:" + r.get("PATIENT")
		v, err := parseNumber(r.get("VALUE"))
		if !b.has(pat) || err != nil {
			b.rep.drop(file, r.Line, "blood pressure of an unknown patient or not a number")
			return nil
		}
		b.node("LOINC:"+r.get("CODE"), TypeLabTest, r.get("DESCRIPTION"))
		k := pat + " " + attr
		o, seen := latest[k]
		if !seen {
			order = append(order, k)
		}
		if d := r.get("DATE"); !seen || d >= o.date {
			latest[k] = obs{d, v, strings.Trim(r.get("UNITS"), "[]")}
		}
		return nil
	})
	if err != nil {
		return err
	}
	codeOf := map[string]string{"systolic_bp": "8480-6", "diastolic_bp": "8462-4"}
	for _, k := range order {
		pat, attr, _ := strings.Cut(k, " ")
		o := latest[k]
		n := b.node(pat, TypePatient, "")
		n.Attrs = append(n.Attrs, num(attr, o.value, "mmHg"), date(attr+"_date", dateOnly(o.date)))
		b.edgeOnce(pat, EdgeHasObs, "LOINC:"+codeOf[attr], num("latest_value", o.value, "mmHg"), date("date", dateOnly(o.date)))
	}
	return nil
}
