package mcpclient

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Event is one dispatched Server-Sent Event.
type Event struct {
	// Type is the event field; "message" when the server named none.
	Type string
	// Data is the data lines joined with "\n".
	Data string
	// ID is the last event id in effect when the event was dispatched ("" if
	// the server never sent one).
	ID string
	// Retry is the reconnection time the server asked for, 0 if none.
	Retry time.Duration
}

// SSEParser reads an event stream incrementally, following the WHATWG
// "event stream interpretation" rules: lines end in CRLF, LF or CR; a blank
// line dispatches the event; lines starting with ":" are comments; a field
// with no colon has an empty value; one space after the colon is dropped; an
// id containing NUL is ignored; an event with no data is not dispatched.
// Feed it bytes as they arrive; it keeps a partial line between calls.
type SSEParser struct {
	line    []byte // the current, unterminated line
	sawCR   bool   // the last byte fed was a CR: a following LF belongs to it
	started bool   // past the optional leading BOM

	eventType string
	data      strings.Builder
	hasData   bool
	lastID    string
	retry     time.Duration
}

// Feed parses p and returns the events it completed.
func (p *SSEParser) Feed(b []byte) []Event {
	var out []Event
	if !p.started {
		if len(b) == 0 {
			return nil
		}
		// A UTF-8 BOM may open the stream once. It can arrive split across
		// feeds; buffer until the first three bytes are known.
		p.line = append(p.line, b...)
		if len(p.line) < 3 && bytes.HasPrefix([]byte("\xEF\xBB\xBF"), p.line) {
			return nil
		}
		p.started = true
		b = bytes.TrimPrefix(p.line, []byte("\xEF\xBB\xBF"))
		p.line = nil
	}
	for len(b) > 0 {
		if p.sawCR {
			p.sawCR = false
			if b[0] == '\n' {
				b = b[1:]
				continue
			}
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			p.line = append(p.line, b...)
			return out
		}
		p.line = append(p.line, b[:i]...)
		if b[i] == '\r' {
			p.sawCR = true
		}
		b = b[i+1:]
		if ev, ok := p.processLine(p.line); ok {
			out = append(out, ev)
		}
		p.line = p.line[:0]
	}
	return out
}

// Pending reports whether a partial event is held: bytes of an event (or of
// a line) that no blank line has completed. At the end of a stream it means
// the stream was cut inside an event.
func (p *SSEParser) Pending() bool {
	partialLine := len(p.line) > 0 && p.line[0] != ':' // a cut comment carries nothing
	return partialLine || p.hasData || p.eventType != ""
}

// PendingData is the data gathered for the unfinished event, for evidence.
func (p *SSEParser) PendingData() string {
	d := p.data.String()
	if len(p.line) > 0 && p.line[0] != ':' {
		line := string(p.line)
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			line = strings.TrimPrefix(v, " ")
		} else if line == "data" {
			line = ""
		} else {
			return d // an unfinished event, id or retry line holds no data
		}
		if p.hasData {
			d += "\n"
		}
		d += line
	}
	return d
}

// LastID is the last event id the stream set.
func (p *SSEParser) LastID() string { return p.lastID }

func (p *SSEParser) processLine(line []byte) (Event, bool) {
	if len(line) == 0 {
		return p.dispatch()
	}
	if line[0] == ':' {
		return Event{}, false // comment
	}
	field, value := string(line), ""
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field = string(line[:i])
		v := line[i+1:]
		if len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
		value = string(v)
	}
	switch field {
	case "event":
		p.eventType = value
	case "data":
		if p.hasData {
			p.data.WriteByte('\n')
		}
		p.data.WriteString(value)
		p.hasData = true
	case "id":
		if !strings.ContainsRune(value, 0) {
			p.lastID = value
		}
	case "retry":
		if value != "" && strings.Trim(value, "0123456789") == "" {
			if ms, err := strconv.ParseInt(value, 10, 64); err == nil && ms <= int64(time.Duration(1<<62)/time.Millisecond) {
				p.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	return Event{}, false
}

func (p *SSEParser) dispatch() (Event, bool) {
	if !p.hasData {
		p.eventType = ""
		return Event{}, false
	}
	ev := Event{Type: p.eventType, Data: p.data.String(), ID: p.lastID, Retry: p.retry}
	if ev.Type == "" {
		ev.Type = "message"
	}
	p.eventType = ""
	p.data.Reset()
	p.hasData = false
	return ev, true
}

// ParseSSE parses a whole captured stream. ended says whether the server
// ended it (EOF); when it did and an event was left unfinished, cut is true
// and partial holds that event's data.
func ParseSSE(body []byte, ended bool) (events []Event, cut bool, partial string) {
	var p SSEParser
	events = p.Feed(body)
	if ended && p.Pending() {
		return events, true, p.PendingData()
	}
	return events, false, ""
}
