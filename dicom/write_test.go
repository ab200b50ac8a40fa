package dicom

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
)

// The helpers below write DICOM test files byte by byte from the standard
// (PS3.5 section 7 and annex G), independently of the parser.

// el is one element to write; items make it a sequence, frags encapsulated
// pixel data.
type el struct {
	tag       Tag
	vr        string
	val       []byte
	items     [][]el
	frags     [][]byte
	undefined bool
}

type writer struct {
	bo       binary.ByteOrder
	explicit bool
	buf      bytes.Buffer
}

func (w *writer) u16(v uint16) { _ = binary.Write(&w.buf, w.bo, v) }
func (w *writer) u32(v uint32) { _ = binary.Write(&w.buf, w.bo, v) }
func (w *writer) tag(t Tag)    { w.u16(uint16(t >> 16)); w.u16(uint16(t)) }

func (w *writer) header(t Tag, vr string, n uint32) {
	w.tag(t)
	if !w.explicit {
		w.u32(n)
		return
	}
	w.buf.WriteString(vr)
	if longLengthVR[vr] {
		w.u16(0)
		w.u32(n)
	} else {
		w.u16(uint16(n))
	}
}

func (w *writer) elements(es []el) {
	for _, e := range es {
		switch {
		case e.items != nil:
			if e.undefined {
				w.header(e.tag, "SQ", undefinedLength)
				for _, it := range e.items {
					w.tag(tagItem)
					w.u32(undefinedLength)
					w.elements(it)
					w.tag(tagItemDelimitation)
					w.u32(0)
				}
				w.tag(tagSequenceDelimitation)
				w.u32(0)
				continue
			}
			sub := &writer{bo: w.bo, explicit: w.explicit}
			for _, it := range e.items {
				inner := &writer{bo: w.bo, explicit: w.explicit}
				inner.elements(it)
				sub.tag(tagItem)
				sub.u32(uint32(inner.buf.Len()))
				sub.buf.Write(inner.buf.Bytes())
			}
			w.header(e.tag, "SQ", uint32(sub.buf.Len()))
			w.buf.Write(sub.buf.Bytes())
		case e.frags != nil:
			w.header(e.tag, "OB", undefinedLength)
			w.tag(tagItem)
			w.u32(0) // empty basic offset table
			for _, f := range e.frags {
				w.tag(tagItem)
				w.u32(uint32(len(f)))
				w.buf.Write(f)
			}
			w.tag(tagSequenceDelimitation)
			w.u32(0)
		default:
			w.header(e.tag, e.vr, uint32(len(e.val)))
			w.buf.Write(e.val)
		}
	}
}

// part10 writes a Part 10 file: preamble, DICM, meta group with the
// transfer syntax, then the data set in that syntax.
func part10(ts string, ds []el) []byte {
	meta := &writer{bo: binary.LittleEndian, explicit: true}
	meta.elements([]el{
		{tag: NewTag(2, 1), vr: "OB", val: []byte{0, 1}},
		{tag: TagTransferSyntaxUID, vr: "UI", val: pad([]byte(ts), 0)},
	})
	out := &writer{bo: binary.LittleEndian, explicit: true}
	out.buf.Write(make([]byte, 128))
	out.buf.WriteString("DICM")
	out.elements([]el{{tag: tagFileMetaGroupLength, vr: "UL", val: le32(uint32(meta.buf.Len()))}})
	out.buf.Write(meta.buf.Bytes())
	body := &writer{bo: binary.LittleEndian, explicit: ts != ImplicitVRLittleEndian}
	if ts == ExplicitVRBigEndian {
		body.bo = binary.BigEndian
	}
	body.elements(ds)
	if ts == DeflatedExplicitVRLittleEndian {
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, flate.BestCompression)
		fw.Write(body.buf.Bytes())
		fw.Close()
		out.buf.Write(z.Bytes())
	} else {
		out.buf.Write(body.buf.Bytes())
	}
	return out.buf.Bytes()
}

func pad(b []byte, with byte) []byte {
	if len(b)%2 == 1 {
		return append(b, with)
	}
	return b
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func us(bo binary.ByteOrder, v uint16) []byte { b := make([]byte, 2); bo.PutUint16(b, v); return b }

func text(s string) []byte { return pad([]byte(s), ' ') }

// packBitsLiteral encodes b as PackBits literal runs only.
func packBitsLiteral(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		n := min(128, len(b))
		out = append(out, byte(n-1))
		out = append(out, b[:n]...)
		b = b[n:]
	}
	return out
}
