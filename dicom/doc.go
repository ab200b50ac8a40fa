// Package dicom reads DICOM Part 10 files (PS3.10): the preamble and file
// meta group, then the data set in implicit VR little endian, explicit VR
// little endian, explicit VR big endian or deflated explicit VR little
// endian, with undefined lengths and nested sequences; and decodes pixel
// data that is native or RLE Lossless (8 or 16 bits, signed or unsigned,
// MONOCHROME1, MONOCHROME2 or RGB, interleaved or planar, one frame of a
// multi-frame image), with the rescale slope and intercept and the VOI
// window applied for display (Image.Gray8).
//
// JPEG-family transfer syntaxes parse (their fragments are kept) but their
// pixel data is an error, as are truncated files and lengths that run past
// the data: every error is an EINVALID galen error wrapping an *Error that
// names the tag and byte offset. Lengths are checked against the bytes
// present before anything is sliced, deflated data sets and RLE frames
// are bounded, and a frame's size is checked against Options.MaxPixels
// before it is allocated, so hostile input costs little memory.
//
// Values are never put into error messages: a header's patient name or
// ID cannot leak through an error or a log line. Callers echo only the
// attributes they choose (Galen's API returns the study and series
// instance UIDs).
//
// The reader is checked against Debian's dcmtk (dcmdump, dcm2pnm) on the
// six sample files in ../shared/data/dicom-samples (TestAgainstDcmtk).
package dicom
