package mcpclient

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzSSE feeds arbitrary bytes to the event-stream parser: it must never
// panic, must give the same events however the bytes are split, and every
// event it dispatches must come from a data field (so its data appears in
// the input, line by line).
func FuzzSSE(f *testing.F) {
	for _, s := range []string{
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
		"data: a\r\ndata: b\r\n\r\n",
		"\xEF\xBB\xBFid: 1\rretry: 10\rdata: x\r\r",
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"res",
		": comment\n\ndata\n\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		var whole SSEParser
		want := whole.Feed(in)
		var p SSEParser
		var got []Event
		step := int(split)%7 + 1
		for i := 0; i < len(in); i += step {
			got = append(got, p.Feed(in[i:min(i+step, len(in))])...)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("split by %d: %#v, whole: %#v", step, got, want)
		}
		if p.Pending() != whole.Pending() || p.PendingData() != whole.PendingData() {
			t.Fatalf("split by %d: pending differs", step)
		}
		norm := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(in))
		for _, ev := range want {
			if ev.Type == "" {
				t.Fatalf("event without a type: %#v", ev)
			}
			for _, line := range strings.Split(ev.Data, "\n") {
				if line != "" && !strings.Contains(norm, line) {
					t.Fatalf("data line %q is not in the input", line)
				}
			}
		}
		_, cut, _ := ParseSSE(in, true)
		if cut != whole.Pending() {
			t.Fatalf("ParseSSE cut = %v, Pending = %v", cut, whole.Pending())
		}
	})
}
