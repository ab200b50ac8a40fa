// Package imaging classifies medical images: a small residual CNN (nn/)
// that tells pneumonia from normal on a frontal paediatric chest X-ray,
// trained on PneumoniaMNIST (Train, Evaluate), shipped as the built-in
// model pneumonia-xray (Builtin, MODEL_CARD.md), with Grad-CAM saliency
// maps as a float grid and a PNG overlay (Model.GradCAM, Saliency.Overlay)
// and an OIP v2 predictor (Loader: "image" FP32 or UINT8 [N,1,28,28] in,
// "probabilities" [N,2] out).
//
// Readers: MedMNIST .npz files (ReadMedMNIST, over an own .npy reader),
// and single images in PNG, JPEG or DICOM Part 10 (Decode; DICOM through
// package dicom), turned into grey pixels and resized to the model's input
// (Input.Resize: centre crop, area averaging). Every reader is strict,
// names where input is wrong, bounds what it allocates before it
// allocates, and has a fuzz target.
//
// Every setting of a trained model (the epoch kept, test-time
// augmentation, the threshold, the bands and the uncertain range) is
// chosen on the validation split; the test split is measured once.
package imaging
