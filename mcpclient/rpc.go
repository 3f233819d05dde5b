package mcpclient

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// RPCError is a JSON-RPC error object as a server sent it.
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

// rpcMessage is any JSON-RPC message, loosely.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Result  json.RawMessage `json:"result"`
	Error   *RPCError       `json:"error"`
}

func (m *rpcMessage) isResponse() bool {
	return m.Method == "" && (m.Result != nil || m.Error != nil)
}

// ParseRPCError reads a JSON-RPC error envelope ({"jsonrpc":"2.0","error":{…},"id":…}).
func ParseRPCError(body []byte) (*RPCError, bool) {
	var m rpcMessage
	if json.Unmarshal(bytes.TrimSpace(body), &m) != nil || m.Error == nil || m.Method != "" {
		return nil, false
	}
	return m.Error, true
}

// Response is the JSON-RPC response an exchange carried.
type Response struct {
	ID     json.RawMessage
	Result json.RawMessage // nil when Error is set
	Error  *RPCError
}

// ResponseIn finds the first JSON-RPC response in an exchange: the JSON
// body, or the data of a complete event of a stream.
func ResponseIn(ex *Exchange) (*Response, bool) {
	if ex == nil {
		return nil, false
	}
	var candidates [][]byte
	if ex.IsSSE() {
		events, _, _ := ex.Events()
		for _, e := range events {
			candidates = append(candidates, []byte(e.Data))
		}
	} else {
		candidates = append(candidates, ex.Body)
	}
	for _, c := range candidates {
		c = bytes.TrimSpace(c)
		if len(c) > 0 && c[0] == '[' {
			var batch []rpcMessage
			if json.Unmarshal(c, &batch) == nil {
				for _, m := range batch {
					if m.isResponse() {
						return &Response{ID: m.ID, Result: m.Result, Error: m.Error}, true
					}
				}
			}
			continue
		}
		var m rpcMessage
		if json.Unmarshal(c, &m) == nil && m.isResponse() {
			return &Response{ID: m.ID, Result: m.Result, Error: m.Error}, true
		}
	}
	return nil, false
}

// RPCErrorIn is the JSON-RPC error an exchange carried, if any.
func RPCErrorIn(ex *Exchange) (*RPCError, bool) {
	r, ok := ResponseIn(ex)
	if !ok || r.Error == nil {
		return nil, false
	}
	return r.Error, true
}
