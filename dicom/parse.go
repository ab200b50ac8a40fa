package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/galenhealth/galen"
)

// Tag is a DICOM attribute tag, group in the high 16 bits.
type Tag uint32

// NewTag returns the tag (group, element).
func NewTag(group, element uint16) Tag { return Tag(uint32(group)<<16 | uint32(element)) }

// Group returns the tag's group number.
func (t Tag) Group() uint16 { return uint16(t >> 16) }

// String formats t as (GGGG,EEEE).
func (t Tag) String() string { return fmt.Sprintf("(%04X,%04X)", uint16(t>>16), uint16(t)) }

// Tags Galen reads.
var (
	TagTransferSyntaxUID           = NewTag(0x0002, 0x0010)
	TagSOPClassUID                 = NewTag(0x0008, 0x0016)
	TagModality                    = NewTag(0x0008, 0x0060)
	TagPatientName                 = NewTag(0x0010, 0x0010)
	TagPatientID                   = NewTag(0x0010, 0x0020)
	TagStudyInstanceUID            = NewTag(0x0020, 0x000D)
	TagSeriesInstanceUID           = NewTag(0x0020, 0x000E)
	TagSamplesPerPixel             = NewTag(0x0028, 0x0002)
	TagPhotometric                 = NewTag(0x0028, 0x0004)
	TagPlanarConfiguration         = NewTag(0x0028, 0x0006)
	TagNumberOfFrames              = NewTag(0x0028, 0x0008)
	TagRows                        = NewTag(0x0028, 0x0010)
	TagColumns                     = NewTag(0x0028, 0x0011)
	TagBitsAllocated               = NewTag(0x0028, 0x0100)
	TagBitsStored                  = NewTag(0x0028, 0x0101)
	TagHighBit                     = NewTag(0x0028, 0x0102)
	TagPixelRepresentation         = NewTag(0x0028, 0x0103)
	TagWindowCenter                = NewTag(0x0028, 0x1050)
	TagWindowWidth                 = NewTag(0x0028, 0x1051)
	TagRescaleIntercept            = NewTag(0x0028, 0x1052)
	TagRescaleSlope                = NewTag(0x0028, 0x1053)
	TagPixelData                   = NewTag(0x7FE0, 0x0010)
	tagItem                        = NewTag(0xFFFE, 0xE000)
	tagItemDelimitation            = NewTag(0xFFFE, 0xE00D)
	tagSequenceDelimitation        = NewTag(0xFFFE, 0xE0DD)
	tagFileMetaGroupLength         = NewTag(0x0002, 0x0000)
	undefinedLength         uint32 = 0xFFFFFFFF
)

// Transfer syntax UIDs.
const (
	ImplicitVRLittleEndian         = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian         = "1.2.840.10008.1.2.1"
	DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"
	ExplicitVRBigEndian            = "1.2.840.10008.1.2.2"
	RLELossless                    = "1.2.840.10008.1.2.5"
)

// Limits that keep hostile input from costing much: nesting of sequences,
// the size a deflated data set may inflate to, and the elements of one
// file.
const (
	maxDepth       = 32
	maxInflated    = 256 << 20
	maxElements    = 1 << 20
	maxInflateRate = 1024 // inflated bytes per deflated byte, at most
)

// Element is one data element. Value holds its bytes (a sub-slice of the
// input, in the data set's byte order) unless it is a sequence (Items) or
// encapsulated pixel data (Fragments, without the basic offset table,
// which is in OffsetTable).
type Element struct {
	Tag         Tag
	VR          string // "" for implicit VR elements not in the small dictionary
	Offset      int64  // of the element's tag in the file (in the inflated stream for deflated files)
	Value       []byte
	Items       []*Dataset
	Fragments   [][]byte
	OffsetTable []byte
	Undefined   bool // written with undefined length
}

// Dataset is a list of elements in file order.
type Dataset struct {
	Elements  []*Element
	byteOrder binary.ByteOrder
}

// Find returns the element with tag t at the top level of d, or nil.
func (d *Dataset) Find(t Tag) *Element {
	for _, e := range d.Elements {
		if e.Tag == t {
			return e
		}
	}
	return nil
}

// File is a parsed DICOM Part 10 file.
type File struct {
	Meta           *Dataset
	Dataset        *Dataset
	TransferSyntax string
}

// Error is a parse failure at a place in the file. Its message names the
// tag and byte offset, never an element's value, so that patient data in a
// header cannot leak through an error.
type Error struct {
	Tag    Tag
	Offset int64
	Msg    string
}

func (e *Error) Error() string {
	if e.Tag == 0 {
		return fmt.Sprintf("dicom: offset %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("dicom: element %s at offset %d: %s", e.Tag, e.Offset, e.Msg)
}

// fail returns an EINVALID galen error wrapping an *Error.
func fail(t Tag, off int64, format string, args ...any) error {
	return failCode(galen.EINVALID, t, off, format, args...)
}

// failCode returns a galen error with code wrapping an *Error.
func failCode(code string, t Tag, off int64, format string, args ...any) error {
	e := &Error{Tag: t, Offset: off, Msg: fmt.Sprintf(format, args...)}
	return &galen.Error{Code: code, Message: e.Error(), Err: e}
}

// Parse reads a DICOM Part 10 file: the 128-byte preamble, "DICM", the
// file meta group (explicit VR little endian) and the data set in its
// transfer syntax (implicit or explicit VR little endian, explicit VR big
// endian, deflated explicit VR little endian; encapsulated syntaxes such as
// RLE Lossless or JPEG parse too, their pixel data kept as fragments).
// Every problem is an EINVALID error wrapping an *Error with tag and
// offset. Values are sub-slices of b, so Parse allocates little beyond the
// element list.
func Parse(b []byte) (*File, error) {
	if len(b) < 132 {
		return nil, fail(0, int64(len(b)), "file of %d bytes is shorter than the 128-byte preamble and \"DICM\"", len(b))
	}
	if string(b[128:132]) != "DICM" {
		return nil, fail(0, 128, "no \"DICM\" prefix after the preamble: not a DICOM Part 10 file")
	}
	p := &parser{buf: b, pos: 132, bo: binary.LittleEndian, explicit: true}
	meta := &Dataset{byteOrder: binary.LittleEndian}
	for p.pos+2 <= len(b) && binary.LittleEndian.Uint16(b[p.pos:]) == 0x0002 {
		e, err := p.element(0)
		if err != nil {
			return nil, err
		}
		meta.Elements = append(meta.Elements, e)
	}
	f := &File{Meta: meta}
	ts := meta.Find(TagTransferSyntaxUID)
	if ts == nil {
		return nil, fail(TagTransferSyntaxUID, 132, "file meta group has no transfer syntax UID")
	}
	f.TransferSyntax = trimValue(ts.Value)
	body := &parser{buf: b, pos: p.pos, base: 0}
	switch f.TransferSyntax {
	case ImplicitVRLittleEndian:
		body.bo, body.explicit = binary.LittleEndian, false
	case ExplicitVRBigEndian:
		body.bo, body.explicit = binary.BigEndian, true
	case DeflatedExplicitVRLittleEndian:
		inflated, err := inflate(b[p.pos:])
		if err != nil {
			return nil, fail(0, int64(p.pos), "deflated data set: %v", err)
		}
		body = &parser{buf: inflated, bo: binary.LittleEndian, explicit: true}
	default:
		// Explicit VR little endian and every encapsulated syntax
		// (RLE, JPEG family): the data set is explicit VR little endian.
		if !strings.HasPrefix(f.TransferSyntax, "1.2.840.10008.1.2") {
			return nil, fail(TagTransferSyntaxUID, ts.Offset, "unknown transfer syntax %q", clip(f.TransferSyntax))
		}
		body.bo, body.explicit = binary.LittleEndian, true
	}
	ds, err := body.dataset(len(body.buf), 0)
	if err != nil {
		return nil, err
	}
	f.Dataset = ds
	return f, nil
}

// inflate decompresses a raw deflate stream, refusing to grow past
// maxInflated or maxInflateRate times the input.
func inflate(b []byte) ([]byte, error) {
	limit := min(int64(maxInflated), int64(len(b))*maxInflateRate+1024)
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("inflates past %d bytes", limit)
	}
	return out, nil
}

type parser struct {
	buf      []byte
	pos      int
	base     int64 // file offset of buf[0]
	bo       binary.ByteOrder
	explicit bool
	count    int
}

func (p *parser) off(pos int) int64 { return p.base + int64(pos) }

// dataset reads elements up to end, or, when end is -1, up to an item
// delimitation (undefined-length item).
func (p *parser) dataset(end int, depth int) (*Dataset, error) {
	if depth > maxDepth {
		return nil, fail(0, p.off(p.pos), "sequences nested deeper than %d", maxDepth)
	}
	d := &Dataset{byteOrder: p.bo}
	for {
		if end >= 0 && p.pos >= end {
			return d, nil
		}
		if end < 0 && p.pos+8 <= len(p.buf) && p.tagAt(p.pos) == tagItemDelimitation {
			p.pos += 8
			return d, nil
		}
		if p.pos >= len(p.buf) {
			if end < 0 {
				return nil, fail(0, p.off(p.pos), "data ends inside an item of undefined length")
			}
			return d, nil
		}
		e, err := p.element(depth)
		if err != nil {
			return nil, err
		}
		d.Elements = append(d.Elements, e)
	}
}

func (p *parser) tagAt(pos int) Tag {
	return NewTag(p.bo.Uint16(p.buf[pos:]), p.bo.Uint16(p.buf[pos+2:]))
}

// longLengthVR are the explicit VRs with a 2-byte reserved field and a
// 4-byte length.
var longLengthVR = map[string]bool{"OB": true, "OD": true, "OF": true, "OL": true, "OV": true, "OW": true, "SQ": true, "SV": true, "UC": true, "UN": true, "UR": true, "UT": true, "UV": true}

// element reads one data element at p.pos.
func (p *parser) element(depth int) (*Element, error) {
	p.count++
	if p.count > maxElements {
		return nil, fail(0, p.off(p.pos), "more than %d elements", maxElements)
	}
	start := p.pos
	if len(p.buf)-start < 8 {
		return nil, fail(0, p.off(start), "truncated: %d bytes left where an element header needs 8", len(p.buf)-start)
	}
	e := &Element{Tag: p.tagAt(start), Offset: p.off(start)}
	var length uint32
	switch {
	case e.Tag == tagItem || e.Tag == tagItemDelimitation || e.Tag == tagSequenceDelimitation:
		return nil, fail(e.Tag, e.Offset, "item or delimiter outside a sequence")
	case p.explicit:
		vr := string(p.buf[start+4 : start+6])
		if !validVR(vr) {
			return nil, fail(e.Tag, e.Offset, "invalid VR bytes %q", clip(vr))
		}
		e.VR = vr
		if longLengthVR[vr] {
			if len(p.buf)-start < 12 {
				return nil, fail(e.Tag, e.Offset, "truncated element header")
			}
			length = p.bo.Uint32(p.buf[start+8:])
			p.pos = start + 12
		} else {
			length = uint32(p.bo.Uint16(p.buf[start+6:]))
			p.pos = start + 8
		}
	default:
		e.VR = implicitVR[e.Tag]
		length = p.bo.Uint32(p.buf[start+4:])
		p.pos = start + 8
	}
	if length == undefinedLength {
		e.Undefined = true
		switch {
		case e.Tag == TagPixelData:
			return e, p.fragments(e)
		case e.VR == "SQ" || e.VR == "" || e.VR == "UN":
			e.VR = "SQ"
			return e, p.sequence(e, -1, depth)
		default:
			return nil, fail(e.Tag, e.Offset, "undefined length on VR %s", e.VR)
		}
	}
	if int64(length) > int64(len(p.buf)-p.pos) {
		return nil, fail(e.Tag, e.Offset, "length %d runs past the end of the data (%d bytes left)", length, len(p.buf)-p.pos)
	}
	end := p.pos + int(length)
	if e.VR == "SQ" || (e.VR == "" && length >= 8 && p.tagAt(p.pos) == tagItem) {
		e.VR = "SQ"
		return e, p.sequence(e, end, depth)
	}
	e.Value = p.buf[p.pos:end]
	p.pos = end
	return e, nil
}

// sequence reads the items of e up to end, or up to a sequence
// delimitation when end is -1.
func (p *parser) sequence(e *Element, end int, depth int) error {
	for {
		if end >= 0 && p.pos >= end {
			if p.pos > end {
				return fail(e.Tag, e.Offset, "items run past the sequence's length")
			}
			return nil
		}
		if len(p.buf)-p.pos < 8 {
			return fail(e.Tag, e.Offset, "truncated inside the sequence at offset %d", p.off(p.pos))
		}
		t, l := p.tagAt(p.pos), p.bo.Uint32(p.buf[p.pos+4:])
		at := p.pos
		p.pos += 8
		switch t {
		case tagSequenceDelimitation:
			if end >= 0 {
				return fail(e.Tag, e.Offset, "sequence delimiter at offset %d in a sequence of defined length", p.off(at))
			}
			return nil
		case tagItem:
		default:
			return fail(e.Tag, e.Offset, "expected an item tag at offset %d, found %s", p.off(at), t)
		}
		var item *Dataset
		var err error
		if l == undefinedLength {
			item, err = p.dataset(-1, depth+1)
		} else {
			if int64(l) > int64(len(p.buf)-p.pos) || end >= 0 && p.pos+int(l) > end {
				return fail(e.Tag, e.Offset, "item at offset %d: length %d runs past its sequence", p.off(at), l)
			}
			item, err = p.dataset(p.pos+int(l), depth+1)
		}
		if err != nil {
			return err
		}
		e.Items = append(e.Items, item)
	}
}

// fragments reads encapsulated pixel data: the basic offset table item,
// then one item per fragment, then a sequence delimitation.
func (p *parser) fragments(e *Element) error {
	first := true
	for {
		if len(p.buf)-p.pos < 8 {
			return fail(e.Tag, e.Offset, "encapsulated pixel data truncated at offset %d", p.off(p.pos))
		}
		t, l := p.tagAt(p.pos), p.bo.Uint32(p.buf[p.pos+4:])
		at := p.pos
		p.pos += 8
		if t == tagSequenceDelimitation {
			return nil
		}
		if t != tagItem {
			return fail(e.Tag, e.Offset, "expected a fragment item at offset %d, found %s", p.off(at), t)
		}
		if l == undefinedLength || int64(l) > int64(len(p.buf)-p.pos) {
			return fail(e.Tag, e.Offset, "fragment at offset %d: length %d runs past the end of the data (%d bytes left)", p.off(at), l, len(p.buf)-p.pos)
		}
		v := p.buf[p.pos : p.pos+int(l)]
		p.pos += int(l)
		if first {
			e.OffsetTable, first = v, false
			continue
		}
		e.Fragments = append(e.Fragments, v)
	}
}

func validVR(vr string) bool {
	return len(vr) == 2 && vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z'
}

// implicitVR is the small dictionary used for implicit VR data sets: the
// attributes Galen reads. Other elements keep their bytes with VR "".
var implicitVR = map[Tag]string{
	TagSOPClassUID: "UI", TagModality: "CS", TagPatientName: "PN", TagPatientID: "LO",
	TagStudyInstanceUID: "UI", TagSeriesInstanceUID: "UI",
	TagSamplesPerPixel: "US", TagPhotometric: "CS", TagPlanarConfiguration: "US", TagNumberOfFrames: "IS",
	TagRows: "US", TagColumns: "US", TagBitsAllocated: "US", TagBitsStored: "US", TagHighBit: "US",
	TagPixelRepresentation: "US", TagWindowCenter: "DS", TagWindowWidth: "DS",
	TagRescaleIntercept: "DS", TagRescaleSlope: "DS", TagPixelData: "OW",
}

// trimValue returns a text value without trailing NUL and space padding.
func trimValue(b []byte) string { return strings.TrimRight(string(b), "\x00 ") }

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Text returns the text value of t (trailing padding removed).
func (d *Dataset) Text(t Tag) (string, bool) {
	e := d.Find(t)
	if e == nil || e.Value == nil && e.Items == nil {
		return "", e != nil
	}
	return strings.TrimSpace(trimValue(e.Value)), true
}

// Int returns the first value of an integer attribute (US, SS, UL, SL or
// IS; an implicit VR attribute is read by its dictionary VR). ok is false
// when absent or empty; err names the tag when the value is malformed.
func (d *Dataset) Int(t Tag) (v int, ok bool, err error) {
	e := d.Find(t)
	if e == nil || len(e.Value) == 0 {
		return 0, false, nil
	}
	switch e.VR {
	case "US":
		if len(e.Value) < 2 {
			return 0, false, fail(t, e.Offset, "US value of %d bytes", len(e.Value))
		}
		return int(d.byteOrder.Uint16(e.Value)), true, nil
	case "SS":
		if len(e.Value) < 2 {
			return 0, false, fail(t, e.Offset, "SS value of %d bytes", len(e.Value))
		}
		return int(int16(d.byteOrder.Uint16(e.Value))), true, nil
	case "UL", "SL":
		if len(e.Value) < 4 {
			return 0, false, fail(t, e.Offset, "%s value of %d bytes", e.VR, len(e.Value))
		}
		u := d.byteOrder.Uint32(e.Value)
		if e.VR == "SL" {
			return int(int32(u)), true, nil
		}
		return int(u), true, nil
	case "IS":
		s, _ := d.Text(t)
		s, _, _ = strings.Cut(s, `\`)
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, false, fail(t, e.Offset, "IS value is not an integer")
		}
		return n, true, nil
	}
	return 0, false, fail(t, e.Offset, "VR %q is not an integer VR", e.VR)
}

// Floats returns the values of a decimal string (DS) attribute, or of FL
// and FD attributes. ok is false when absent or empty.
func (d *Dataset) Floats(t Tag) (vs []float64, ok bool, err error) {
	e := d.Find(t)
	if e == nil || len(e.Value) == 0 {
		return nil, false, nil
	}
	switch e.VR {
	case "DS", "IS":
		s, _ := d.Text(t)
		for _, part := range strings.Split(s, `\`) {
			f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, false, fail(t, e.Offset, "%s value is not a finite number", e.VR)
			}
			vs = append(vs, f)
		}
		return vs, true, nil
	}
	return nil, false, fail(t, e.Offset, "VR %q is not a decimal VR", e.VR)
}
