// Package icustay converts FHIR R4 Bundles of LOINC-coded Observations
// (and a Patient) into ICU stays for the outcome model, in the units and
// time frame of the PhysioNet/CinC 2012 data the model was trained on.
//
// # LOINC map
//
// Each PhysioNet 2012 variable is read from the LOINC code below (the one
// Galen asks for in CDS Hooks prefetch templates) or from the codes in
// "also read". Values are converted to the PhysioNet unit from the units in
// "converted from"; any other unit is reported and the value left out.
// Units are matched by UCUM code (Quantity.system http://unitsofmeasure.org
// or no system), else by the human-readable Quantity.unit, so "mmHg",
// "bpm", "°F", "lbs" and "mEq/L" are understood too.
//
//	| variable    | LOINC   | also read                       | unit (UCUM) | converted from |
//	|-------------|---------|---------------------------------|-------------|----------------|
//	| HR          | 8867-4  |                                 | /min        |                |
//	| SysABP      | 76215-3 |                                 | mm[Hg]      | kPa            |
//	| DiasABP     | 76213-8 |                                 | mm[Hg]      | kPa            |
//	| MAP         | 76214-6 |                                 | mm[Hg]      | kPa            |
//	| NISysABP    | 76534-7 | 8480-6                          | mm[Hg]      | kPa            |
//	| NIDiasABP   | 76535-4 | 8462-4                          | mm[Hg]      | kPa            |
//	| NIMAP       | 76536-2 | 8478-0                          | mm[Hg]      | kPa            |
//	| Temp        | 8310-5  | 8329-5, 8331-1, 8328-7, 8333-7  | Cel         | [degF]         |
//	| GCS         | 9269-2  |                                 | {score}     |                |
//	| RespRate    | 9279-1  |                                 | /min        |                |
//	| SaO2        | 2708-6  |                                 | %           | 1              |
//	| FiO2        | 3150-0  |                                 | 1           | %              |
//	| PaO2        | 2703-7  | 11556-8                         | mm[Hg]      | kPa            |
//	| PaCO2       | 2019-8  | 11557-6                         | mm[Hg]      | kPa            |
//	| pH          | 2744-1  | 11558-4                         | [pH]        |                |
//	| HCO3        | 1963-8  | 1959-6, 1960-4, 2028-9, 20565-8 | mmol/L      |                |
//	| Lactate     | 2524-7  | 32693-4                         | mmol/L      | mg/dL          |
//	| Glucose     | 2345-7  | 2339-0, 14749-6, 15074-8        | mg/dL       | mmol/L         |
//	| BUN         | 3094-0  | 6299-2, 14937-7                 | mg/dL       | mmol/L         |
//	| Creatinine  | 2160-0  | 14682-9, 38483-4                | mg/dL       | umol/L         |
//	| Na          | 2951-2  | 2947-0                          | mmol/L      |                |
//	| K           | 2823-3  | 6298-4                          | mmol/L      |                |
//	| Mg          | 19123-9 | 2601-3                          | mg/dL       | mmol/L, meq/L  |
//	| HCT         | 4544-3  | 20570-8                         | %           | 1              |
//	| Platelets   | 777-3   | 26515-7                         | 10*3/uL     |                |
//	| WBC         | 6690-2  | 26464-8                         | 10*3/uL     |                |
//	| Bilirubin   | 1975-2  | 42719-5, 14631-6                | mg/dL       | umol/L         |
//	| ALP         | 6768-6  |                                 | U/L         | ukat/L         |
//	| ALT         | 1742-6  |                                 | U/L         | ukat/L         |
//	| AST         | 1920-8  | 30239-8                         | U/L         | ukat/L         |
//	| Albumin     | 1751-7  |                                 | g/dL        | g/L            |
//	| Cholesterol | 2093-3  | 14647-2, 35200-5                | mg/dL       | mmol/L         |
//	| TroponinI   | 10839-9 | 42757-5                         | ug/L        | ng/L           |
//	| TroponinT   | 6598-7  |                                 | ug/L        | ng/L           |
//	| Urine       | 9187-6  |                                 | mL          | L              |
//	| Weight      | 29463-7 | 3141-9                          | kg          | [lb_av], g     |
//	| Height      | 8302-2  | 8306-3, 8308-9                  | cm          | [in_i], m      |
//	| Age         | 30525-0 |                                 | a           |                |
//	| MechVent    | -       |                                 | 1           |                |
//	| ICUType     | -       |                                 | 1           |                |
//
// Conversions: °F to °C (F-32)*5/9; kPa to mmHg x 7.500617; lb to kg x
// 0.45359237; in to cm x 2.54; glucose mmol/L x 18.016 (180.16 g/mol);
// urea mmol/L to BUN mg/dL x 2.8014 (two nitrogen atoms, 28.014 g/mol);
// creatinine µmol/L / 88.42; bilirubin µmol/L / 17.104; lactate mg/dL /
// 9.008; magnesium mmol/L x 2.4305 and mEq/L x 1.21525; cholesterol mmol/L
// x 38.67; albumin g/L / 10; troponin ng/L / 1000; enzymes µkat/L x 60;
// FiO2 % / 100 (PhysioNet FiO2 is a fraction); SaO2 and HCT fractions x 100.
// Na, K and HCO3 in mEq/L equal mmol/L. The PhysioNet documentation gives
// Mg in mmol/L, but set A's values (median 2.0) are mg/dL, so mg/dL it is.
//
// The generic blood pressure codes 8480-6, 8462-4 and 8478-0 are read as
// non-invasive (cuff) values, the usual case outside arterial lines; the
// invasive codes map to SysABP, DiasABP and MAP. Blood pressure panels
// (85354-9) are read through their components. SpO2 (59408-5) is not SaO2
// and GCS components are not the total; both are reported, not read. When
// an Observation carries a code that is deliberately not read next to one
// that is (US Core pulse oximetry: 2708-6 and 59408-5), it is not read.
// Urine pH (2756-5), direct bilirubin (14629-0, 1968-7) and means of blood
// pressures over a period (96608-5, 96609-3) are reported, not read.
//
// Total CO2 in serum or blood (2028-9, 20565-8; "CO2" of a chemistry panel)
// is read as HCO3: it is bicarbonate plus about 1.2 mmol/L of dissolved CO2,
// and the chemistry-panel value is what ICU records (and PhysioNet's
// MIMIC-II source) call bicarbonate. Creatinine in blood (38483-4, which
// Synthea writes) and in serum or plasma are the same measurement; so are
// lying, standing and unspecified body height. Molar codes (15074-8 glucose,
// 14937-7 urea nitrogen, 14647-2 and 35200-5 cholesterol) are converted by
// their unit like the mass codes.
// MechVent and ICUType have no LOINC code: send them with code system
// PhysioNetSystem (MechVent as valueBoolean true or 1, ICUType 1 coronary
// care, 2 cardiac surgery recovery, 3 medical, 4 surgical).
//
// # Times and descriptors
//
// Minutes are counted from Options.Admission or, when it is zero, from the
// earliest observation with a time of day (with none, the earliest date at
// 00:00 UTC is the admission day). Only values from admission to
// Options.Window after it (DefaultWindow, the model's 48 hours) are read,
// descriptors included: a height from years before or a weight from a later
// encounter is left out, and a Bundle with no time-series value in the
// window is an error that says so. A date-only effective[x] counts at
// admission when it is the admission's calendar day and is left out on any
// other day (its place in the window is unknown); an Observation without
// effective[x] is read at its issued time. Each is reported as a warning.
// Gender comes from Patient.gender, age from Patient.birthDate at
// admission (or an Age observation), height, weight and ICU type from
// observations. As in the PhysioNet files, a weight at minute 0 is the
// admission descriptor and later ones form the time series; without one,
// the first weight is both. Values outside the model's physiological
// ranges (outcome.Plausible) are left out here, so that Result.Basis lists
// exactly the observations the model reads. BundleFromStay goes the other
// way, for tests and load generators.
package icustay
