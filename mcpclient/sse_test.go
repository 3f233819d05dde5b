package mcpclient

import (
	"reflect"
	"testing"
	"time"
)

func TestParseSSE(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ended   bool
		want    []Event
		cut     bool
		partial string
	}{
		{
			name: "context7 initialize", ended: true,
			in:   "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1}\n\n",
			want: []Event{{Type: "message", Data: `{"jsonrpc":"2.0","id":1}`}},
		},
		{
			name: "default type, no space after colon", ended: true,
			in:   "data:x\n\n",
			want: []Event{{Type: "message", Data: "x"}},
		},
		{
			name: "only one leading space is dropped", ended: true,
			in:   "data:  two\n\n",
			want: []Event{{Type: "message", Data: " two"}},
		},
		{
			name: "multi-line data joined with LF", ended: true,
			in:   "data: a\ndata: b\ndata:\n\n",
			want: []Event{{Type: "message", Data: "a\nb\n"}},
		},
		{
			name: "CRLF and CR line endings", ended: true,
			in:   "event: e\r\ndata: 1\r\n\r\ndata: 2\r\rdata: 3\n\n",
			want: []Event{{Type: "e", Data: "1"}, {Type: "message", Data: "2"}, {Type: "message", Data: "3"}},
		},
		{
			name: "comments and unknown fields are ignored", ended: true,
			in:   ": keep-alive\nfoo: bar\ndata: x\n\n: bye\n",
			want: []Event{{Type: "message", Data: "x"}},
		},
		{
			name: "event without data is not dispatched", ended: true,
			in:   "event: ping\n\nid: 7\n\ndata: y\n\n",
			want: []Event{{Type: "message", Data: "y", ID: "7"}},
		},
		{
			name: "id with NUL is ignored; retry needs digits", ended: true,
			in:   "id: 1\nretry: 250\ndata: a\n\nid: 2\x003\nretry: 5s\ndata: b\n\n",
			want: []Event{{Type: "message", Data: "a", ID: "1", Retry: 250 * time.Millisecond}, {Type: "message", Data: "b", ID: "1", Retry: 250 * time.Millisecond}},
		},
		{
			name: "field name without colon", ended: true,
			in:   "data\ndata\n\n",
			want: []Event{{Type: "message", Data: "\n"}},
		},
		{
			name: "leading BOM", ended: true,
			in:   "\xEF\xBB\xBFdata: z\n\n",
			want: []Event{{Type: "message", Data: "z"}},
		},
		{
			name: "cut inside the data line", ended: true,
			in:  "event: message\ndata: {\"jsonrpc\":\"2.0\",\"res",
			cut: true, partial: `{"jsonrpc":"2.0","res`,
		},
		{
			name: "cut after the data line, before the blank line", ended: true,
			in:  "event: message\ndata: {}\n",
			cut: true, partial: "{}",
		},
		{
			name: "cut after the event line", ended: true,
			in:   "data: a\n\nevent: message\n",
			want: []Event{{Type: "message", Data: "a"}},
			cut:  true,
		},
		{
			name: "stream still open is not cut", ended: false,
			in:   "data: a\n\ndata: b",
			want: []Event{{Type: "message", Data: "a"}},
		},
		{
			name: "empty stream", ended: true, in: "",
		},
		{
			name: "a trailing comment is not an event", ended: true,
			in:   "data: a\n\n: done",
			want: []Event{{Type: "message", Data: "a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut, partial := ParseSSE([]byte(tt.in), tt.ended)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events = %#v, want %#v", got, tt.want)
			}
			if cut != tt.cut {
				t.Errorf("cut = %v, want %v", cut, tt.cut)
			}
			if tt.partial != "" && partial != tt.partial {
				t.Errorf("partial = %q, want %q", partial, tt.partial)
			}
		})
	}
}

// Feeding a stream in pieces gives the same events as feeding it whole,
// wherever the pieces break (inside a CRLF, inside the BOM…).
func TestSSEParserChunked(t *testing.T) {
	in := []byte("\xEF\xBB\xBFevent: a\r\ndata: 1\r\n\r\nid: 9\rdata: 2\r\r: c\ndata: 3\n\ndata: tail")
	var whole SSEParser
	want := whole.Feed(in)
	for size := 1; size <= len(in); size++ {
		var p SSEParser
		var got []Event
		for i := 0; i < len(in); i += size {
			got = append(got, p.Feed(in[i:min(i+size, len(in))])...)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("chunk size %d: %#v, want %#v", size, got, want)
		}
		if p.PendingData() != whole.PendingData() || p.Pending() != whole.Pending() {
			t.Fatalf("chunk size %d: pending %q, want %q", size, p.PendingData(), whole.PendingData())
		}
	}
	if len(want) != 3 || want[2].ID != "9" || whole.PendingData() != "tail" {
		t.Fatalf("unexpected parse: %#v pending %q", want, whole.PendingData())
	}
}
