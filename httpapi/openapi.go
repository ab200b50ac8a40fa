package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// openAPI builds the OpenAPI 3.1 document of routes. Schemas come from the
// Go types of each route's Request and Response by reflection.
func openAPI(routes []route, version string) map[string]any {
	g := &schemaGen{components: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		if len(rt.Roles) == 0 {
			op["security"] = []any{}
		} else {
			roles := make([]string, len(rt.Roles))
			for i, r := range rt.Roles {
				roles[i] = string(r)
			}
			op["x-galen-roles"] = roles
			op["x-galen-audited"] = rt.Audit
			if rt.Authn != nil { // CDS routes: an API key or a CDS client JWT
				op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"cdsClientJWT": []string{}}}
			}
		}
		var params []any
		for _, p := range pathParams(rt.Pattern) {
			params = append(params, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request))}}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
		}
		errorBody := map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}
		responses := map[string]any{
			strconv.Itoa(status): ok,
			"default":            map[string]any{"description": "Error", "content": errorBody},
		}
		if rt.Method == "POST" && (rt.Tag == "oip" || rt.Tag == "outcome") {
			responses["422"] = map[string]any{"description": "The model's output for this input is not a finite number (an overflow or NaN)", "content": errorBody}
		}
		op["responses"] = responses
		if paths[rt.Pattern] == nil {
			paths[rt.Pattern] = map[string]any{}
		}
		paths[rt.Pattern][strings.ToLower(rt.Method)] = op
	}
	g.components["Error"] = map[string]any{"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{"type": "string"}}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Galen", "version": version,
			"description": "Medical AI models as a service: Open Inference Protocol v2 and Galen's /v1 API."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "a Galen API key (glk_...)"},
				"cdsClientJWT": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
					"description": "CDS Hooks 2.0 client JWT signed by an EHR trusted with --cds-trust"},
			},
		},
		"security": []any{map[string]any{"bearer": []string{}}},
	}
}

var pathParamRE = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

func pathParams(pattern string) []string {
	var ps []string
	for _, m := range pathParamRE.FindAllStringSubmatch(pattern, -1) {
		ps = append(ps, m[1])
	}
	return ps
}

// operationID derives a stable id such as "get_v1_models_name".
func operationID(rt route) string {
	id := strings.ToLower(rt.Method)
	for _, part := range strings.Split(rt.Pattern, "/") {
		part = strings.Trim(part, "{}.")
		if part != "" {
			id += "_" + strings.NewReplacer(".", "_", "-", "_").Replace(part)
		}
	}
	return id
}

type schemaGen struct{ components map[string]any }

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// schema returns the JSON Schema of t; named structs become components.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "any JSON value; for tensors an array, flat or nested"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return g.structSchema(t)
		}
		if _, ok := g.components[name]; !ok {
			g.components[name] = nil // placeholder against recursion
			g.components[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	s := map[string]any{"type": "object", "properties": props}
	if required != nil {
		s["required"] = required
	}
	return s
}
