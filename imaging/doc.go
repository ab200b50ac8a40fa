// Package imaging classifies medical images: a small residual CNN (nn/)
// that tells pneumonia from normal on a frontal paediatric chest X-ray,
// trained on PneumoniaMNIST, with Grad-CAM saliency maps.
//
// Readers: MedMNIST .npz files (ReadMedMNIST, over an own .npy reader),
// and single images in PNG, JPEG or DICOM Part 10 (Decode; DICOM through
// package dicom), turned into grey pixels and resized to the model's input
// (Input.Resize: centre crop, area averaging). Every reader is strict,
// names where input is wrong, bounds what it allocates before it
// allocates, and has a fuzz target.
package imaging
