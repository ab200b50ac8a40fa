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

func decodeBundle(d *decoder, path string, obj map[string]any) Resource {
	d.check(path, obj, bundleFields)
	b := &Bundle{
		ID:        d.str(path, obj, "id", false),
		Type:      d.code(path, obj, "type", true, BundleTypes...),
		Timestamp: d.instant(path, obj, "timestamp"),
	}
	if t := d.integer(path, obj, "total"); t != nil {
		b.Total = t
	}
	d.array(path, obj, "entry", false, func(p string, m map[string]any) {
		d.check(p, m, bundleEntryFields)
		e := BundleEntry{FullURL: d.str(p, m, "fullUrl", false)}
		if r, rp := d.object(p, m, "resource", false); r != nil {
			e.Resource = d.resource(rp, r)
		}
		b.Entry = append(b.Entry, e)
	})
	return b
}
