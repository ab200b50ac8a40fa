package dicom

import (
	"encoding/binary"
	"fmt"
)

// decodeRLE decodes one RLE Lossless frame (PS3.5 annex G): a 64-byte
// header with the segment count and 15 offsets, then one PackBits segment
// per byte plane, most significant byte first within each sample. The
// result is native little endian with samples interleaved.
func decodeRLE(frag []byte, pixels, samples, bps int) ([]byte, error) {
	if len(frag) < 64 {
		return nil, fmt.Errorf("header of %d bytes, want 64", len(frag))
	}
	nseg := int(binary.LittleEndian.Uint32(frag))
	if nseg != samples*bps {
		return nil, fmt.Errorf("%d segments, want %d (samples × bytes per sample)", nseg, samples*bps)
	}
	out := make([]byte, pixels*samples*bps)
	for s := range nseg {
		start := int64(binary.LittleEndian.Uint32(frag[4+4*s:]))
		end := int64(len(frag))
		if s+1 < nseg {
			end = int64(binary.LittleEndian.Uint32(frag[8+4*s:]))
		}
		if start < 64 || start > end || end > int64(len(frag)) {
			return nil, fmt.Errorf("segment %d spans bytes %d to %d of a %d-byte fragment", s, start, end, len(frag))
		}
		sample, plane := s/bps, s%bps
		// Segment 0 of a sample holds its most significant byte; little
		// endian puts that last.
		byteIdx := bps - 1 - plane
		stride := samples * bps
		offset := sample*bps + byteIdx
		if err := unpackBits(frag[start:end], out, offset, stride, pixels); err != nil {
			return nil, fmt.Errorf("segment %d: %v", s, err)
		}
	}
	return out, nil
}

// unpackBits decodes a PackBits stream into dst[offset + k·stride] for
// k < n; it fails when the stream holds fewer than n bytes. Extra bytes
// (padding) are ignored.
func unpackBits(src, dst []byte, offset, stride, n int) error {
	k := 0
	put := func(b byte) {
		if k < n {
			dst[offset+k*stride] = b
		}
		k++
	}
	for i := 0; i < len(src) && k < n; {
		c := int8(src[i])
		i++
		switch {
		case c >= 0:
			cnt := int(c) + 1
			if i+cnt > len(src) {
				return fmt.Errorf("literal run of %d bytes past the segment's end", cnt)
			}
			for _, b := range src[i : i+cnt] {
				put(b)
			}
			i += cnt
		case c != -128:
			if i >= len(src) {
				return fmt.Errorf("replicate run past the segment's end")
			}
			for range 1 - int(c) {
				put(src[i])
			}
			i++
		}
	}
	if k < n {
		return fmt.Errorf("decodes to %d bytes, the frame needs %d", k, n)
	}
	return nil
}
