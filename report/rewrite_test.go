package report

import (
	"reflect"
	"strings"
	"testing"
)

// fill sets every string the model can hold, through every struct,
// pointer, slice and map, to a value holding mark; it returns how many.
func fill(v reflect.Value, mark string) int {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x " + mark + " y")
		return 1
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return fill(v.Elem(), mark)
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += fill(v.Field(i), mark)
			}
		}
		return n
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		return fill(v.Index(0), mark) + fill(v.Index(1), mark)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		e := reflect.New(v.Type().Elem()).Elem()
		n := fill(e, mark)
		v.SetMapIndex(reflect.ValueOf("k").Convert(v.Type().Key()), e)
		return n
	}
	return 0
}

// leftovers lists the strings that still hold mark.
func leftovers(v reflect.Value, path, mark string) []string {
	switch v.Kind() {
	case reflect.String:
		if strings.Contains(v.String(), mark) {
			return []string{path}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return leftovers(v.Elem(), path, mark)
		}
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, leftovers(v.Field(i), path+"."+v.Type().Field(i).Name, mark)...)
		}
		return out
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, leftovers(v.Index(i), path+"[]", mark)...)
		}
		return out
	case reflect.Map:
		var out []string
		for _, k := range v.MapKeys() {
			out = append(out, leftovers(v.MapIndex(k), path+"{}", mark)...)
		}
		return out
	}
	return nil
}

// Every string field of the report, present and future, is rewritten.
func TestRewriteStringsReachesEveryField(t *testing.T) {
	var rep Report
	n := fill(reflect.ValueOf(&rep).Elem(), "SECRET")
	if n < 25 {
		t.Fatalf("filled only %d strings: the model walk is broken", n)
	}
	rep.RewriteStrings(func(s string) string { return strings.ReplaceAll(s, "SECRET", "[redacted]") })
	if left := leftovers(reflect.ValueOf(rep), "Report", "SECRET"); len(left) > 0 {
		t.Errorf("not rewritten: %v", left)
	}
}
