package fhir

import "encoding/json"

// Bundle is a container of resources: a search result, a collection, a
// transaction.
type Bundle struct {
	ID        string        `json:"id,omitempty"`
	Type      string        `json:"type"`
	Timestamp string        `json:"timestamp,omitempty"`
	Total     *int64        `json:"total,omitempty"`
	Entry     []BundleEntry `json:"entry,omitempty"`
}

// BundleEntry is one entry of a Bundle.
type BundleEntry struct {
	FullURL  string   `json:"fullUrl,omitempty"`
	Resource Resource `json:"resource,omitempty"`
}

// ResourceType implements Resource.
func (*Bundle) ResourceType() string { return "Bundle" }

// MarshalJSON writes the bundle with its resourceType.
func (b *Bundle) MarshalJSON() ([]byte, error) {
	type plain Bundle
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"`
		*plain
	}{"Bundle", (*plain)(b)})
}

// BundleTypes are the values of Bundle.type.
var BundleTypes = []string{"document", "message", "transaction", "transaction-response",
	"batch", "batch-response", "history", "searchset", "collection"}

var (
	bundleFields      = fields(resourceFields, "identifier type timestamp total link entry signature")
	bundleEntryFields = fields(backboneFields, "link fullUrl resource search request response")
)

func decodeBundle(d *decoder, obj int) Resource {
	d.check(obj, bundleFields)
	b := &Bundle{
		ID:        d.str(obj, "id", false),
		Type:      d.code(obj, "type", true, BundleTypes...),
		Timestamp: d.instant(obj, "timestamp"),
	}
	if t := d.integer(obj, "total"); t != nil {
		b.Total = t
	}
	if n := d.arrayLen(obj, "entry"); n > 0 {
		b.Entry = d.entries.take(min(n, 4096))
	}
	d.array(obj, "entry", false, func(m int) {
		d.check(m, bundleEntryFields)
		e := BundleEntry{FullURL: d.str(m, "fullUrl", false)}
		if r, ok := d.object(m, "resource", false); ok {
			mark := d.push("resource")
			e.Resource = d.resource(r)
			d.pop(mark)
		}
		b.Entry = append(b.Entry, e)
	})
	if len(b.Entry) == 0 {
		b.Entry = nil
	}
	return b
}
