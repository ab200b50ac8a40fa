// Package outcome predicts in-hospital mortality from the first 48 hours of
// an ICU stay, on the PhysioNet/CinC Challenge 2012 format.
//
// The package reads records (a directory or .tar.gz of per-stay files with
// header "Time,Parameter,Value" plus an outcomes file), turns a stay into
// hourly bins with observation masks and time since last observation,
// normalises each variable with statistics fitted on the training split only,
// trains a logistic-regression baseline on per-variable summaries and a GRU-D
// recurrent model, calibrates them on the validation split, and serves the
// result behind [Model.Predict] and an Open Inference Protocol v2 [Loader].
//
// # Physiologically impossible values
//
// A value outside the range below is dropped before binning and reported as a
// warning by [Model.Predict] (by variable name, never by value). The ranges
// are wide on purpose: they remove unit mix-ups and sentinel values (HR 0,
// Temp -17.8, pH 735, K 22.9, Height 431.8 occur in set A), not abnormal
// physiology. Descriptors: Age 0 – 120, Gender 0/1, Height 100 – 250 cm,
// ICUType 1 – 4, Weight 20 – 350 kg; -1 or an impossible descriptor is missing.
//
// # Intended population
//
// Adults: a stay whose Age is known and under [MinAge] (16) gets no risk;
// [Model.Predict] and [Model.Risk] return an EINVALID error wrapping
// [ErrOutsidePopulation] that says "outside the model's intended
// population" (see [CheckPopulation]). A missing age is not refused.
//
//	| variable | unit | plausible range | log before z-score |
//	|---|---|---|---|
//	| ALP | IU/L | 1 – 5000 | yes |
//	| ALT | IU/L | 1 – 20000 | yes |
//	| AST | IU/L | 1 – 20000 | yes |
//	| Albumin | g/dL | 0.5 – 8 | no |
//	| BUN | mg/dL | 0 – 300 | yes |
//	| Bilirubin | mg/dL | 0 – 80 | yes |
//	| Cholesterol | mg/dL | 10 – 1000 | no |
//	| Creatinine | mg/dL | 0.05 – 30 | yes |
//	| DiasABP | mmHg | 1 – 250 | no |
//	| FiO2 | fraction | 0.21 – 1 | no |
//	| GCS | score | 3 – 15 | no |
//	| Glucose | mg/dL | 10 – 2000 | yes |
//	| HCO3 | mmol/L | 2 – 60 | no |
//	| HCT | % | 5 – 75 | no |
//	| HR | bpm | 1 – 300 | no |
//	| K | mEq/L | 1 – 12 | no |
//	| Lactate | mmol/L | 0.1 – 40 | yes |
//	| MAP | mmHg | 1 – 300 | no |
//	| MechVent | 0/1 | 0 – 1 | no |
//	| Mg | mg/dL (PhysioNet says mmol/L; set A values fit mg/dL) | 0.2 – 10 | no |
//	| NIDiasABP | mmHg | 1 – 250 | no |
//	| NIMAP | mmHg | 1 – 300 | no |
//	| NISysABP | mmHg | 1 – 300 | no |
//	| Na | mEq/L | 90 – 200 | no |
//	| PaCO2 | mmHg | 5 – 150 | no |
//	| PaO2 | mmHg | 20 – 800 | no |
//	| Platelets | 10^3/uL | 1 – 2000 | yes |
//	| RespRate | /min | 0 – 100 | no |
//	| SaO2 | % | 20 – 100 | no |
//	| SysABP | mmHg | 1 – 300 | no |
//	| Temp | °C | 25 – 45 | no |
//	| TroponinI | ng/mL | 0 – 100 | yes |
//	| TroponinT | ng/mL | 0 – 50 | yes |
//	| Urine | mL | 0 – 10000 | yes |
//	| WBC | 10^3/uL | 0.05 – 250 | yes |
//	| Weight | kg | 20 – 350 | no |
//	| pH |  | 6.5 – 8 | no |
//
// # Split
//
// [Split] draws a stratified train/validation/test split (70/15/15) with a
// fixed seed (default 2012): deaths and survivors are shuffled separately
// with a PCG generator seeded by the seed, and each class is cut in the same
// proportions. On set A this gives 2,800/600/600 stays with 388/83/83 deaths.
//
// # Models
//
// The baseline is an L2 logistic regression (full-batch Adam, strength
// chosen on validation AUROC) on, per variable, the normalised mean, min,
// max, first and last value, log(1+count) and an observed flag, plus the
// static descriptors. The recurrent model is an ensemble of three GRU-D
// networks ([GRUD]) trained with BCE-with-logits (pos_weight =
// survivors/deaths), AdamW, gradient clipping and early stopping on
// validation AUROC; with TrainConfig.CheckpointDir each network saves its
// state after every epoch and a restarted run resumes it, bitwise. A third
// component, gradient-boosted trees ([Trees]) on the same summary features,
// can be left out (TrainConfig.NoTrees). Each component is Platt-scaled on
// validation; the shipped model blends their
// calibrated log-odds with weights chosen on validation AUROC (grid of step
// 0.25) and is Platt-scaled again. The decision threshold flags the training death rate of the
// validation stays (there false positives equal false negatives, so
// sensitivity equals positive predictivity, the Event-1 balance point); the
// "low" band ends where validation sensitivity is 90 %.
//
// [Model.Predict] explains a risk by occlusion: each observed variable (and
// descriptor) is removed in turn and the change of the risk reported; for
// the GRU-D part the change is estimated to first order by backpropagation
// through time, so an explanation costs about two forward passes.
// Predictions are flagged uncertain when fewer than 5 time-series variables
// are observed or when the baseline and GRU-D risks differ by more than 0.25.
package outcome
