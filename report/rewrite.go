package report

import "reflect"

// RewriteStrings passes every string of the report through f, wherever it
// sits: a field added to the model later is covered without a change here.
// Redaction goes through it before any renderer sees the report, because a
// renderer that escapes (Markdown "_" to "\_", XML "&" to "&amp;") would hide
// a secret from a redactor working on the rendered bytes.
func (r *Report) RewriteStrings(f func(string) string) {
	rewrite(reflect.ValueOf(r).Elem(), f)
}

func rewrite(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			rewrite(v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			rewrite(v.Field(i), f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			rewrite(v.Index(i), f)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			rewrite(e, f)
			v.SetMapIndex(k, e)
		}
	}
}
