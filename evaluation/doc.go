// Package evaluation scores binary risk predictions: discrimination (AUROC
// with tied scores, average precision), the PhysioNet/CinC 2012 Event-1 score
// min(sensitivity, positive predictivity) at a threshold and its threshold
// selection, calibration (Brier score, expected calibration error, the
// calibration curve) and post-hoc calibration by Platt or temperature scaling.
//
// Scores are probabilities or any monotone score; labels are true for the
// positive class. Functions that need both classes return NaN when one is
// absent, and panic only on mismatched lengths (a programming error).
package evaluation
