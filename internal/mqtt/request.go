package mqtt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// DefaultMaxPayload bounds a request payload (64 KiB): a notification's text is far shorter.
const DefaultMaxPayload = 64 << 10

// Request is one decoded classify request.
type Request struct {
	Text string
	// ID is the request's "id" exactly as sent (a JSON string or number), echoed in the
	// result; nil when the request had none (plain text, or JSON without "id").
	ID json.RawMessage
}

// DecodeRequest decodes a classify payload: either plain UTF-8 text, classified as is, or
// a JSON object {"text": "...", "id": "..."} (id optional, a string or a number). A payload
// whose first non-space byte is '{' is read as JSON. Errors say what is wrong and how to fix
// it; they become error results, never a crash.
func DecodeRequest(payload []byte, maxPayload int) (Request, error) {
	if maxPayload <= 0 {
		maxPayload = DefaultMaxPayload
	}
	if len(payload) > maxPayload {
		return Request{}, fmt.Errorf("request of %d bytes is larger than the %d-byte limit: send shorter text", len(payload), maxPayload)
	}
	if len(payload) == 0 {
		return Request{}, errors.New(`empty request: send the text to classify, or {"text": "...", "id": "..."}`)
	}
	if !utf8.Valid(payload) {
		return Request{}, errors.New("request is not valid UTF-8: send the text as UTF-8")
	}
	trimmed := bytes.TrimLeft(payload, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Request{Text: string(payload)}, nil
	}
	var in struct {
		Text *string         `json:"text"`
		ID   json.RawMessage `json:"id"`
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Request{}, fmt.Errorf(`malformed JSON request (%v): want {"text": "...", "id": "..."}, or plain text not starting with '{'`, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Request{}, errors.New(`malformed JSON request: data after the object; send one {"text": "...", "id": "..."} per message`)
	}
	var r Request
	if len(in.ID) > 0 && !bytes.Equal(in.ID, []byte("null")) {
		id, err := checkID(in.ID)
		if err != nil {
			return Request{}, err
		}
		r.ID = id
	}
	if in.Text == nil {
		return r, errors.New(`JSON request has no "text" string: want {"text": "...", "id": "..."}`)
	}
	r.Text = *in.Text
	return r, nil
}

// maxIDBytes bounds an id: it is kept in the duplicate window and echoed in every result.
const maxIDBytes = 256

// checkID accepts a JSON string or number and returns it compacted.
func checkID(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) > maxIDBytes {
		return nil, fmt.Errorf(`"id" is %d bytes long: use an id of at most %d bytes`, len(raw), maxIDBytes)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf(`"id": %v`, err)
	}
	switch v.(type) {
	case string, float64:
	default:
		return nil, fmt.Errorf(`"id" must be a string or a number, not %s`, raw)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf(`"id": %v`, err)
	}
	return b.Bytes(), nil
}

// idOf returns the request id inside a payload that failed to decode, when one can be read,
// so that even an error result reaches the requester that is waiting for that id.
func idOf(payload []byte) json.RawMessage {
	var in struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(payload, &in) != nil || len(in.ID) == 0 {
		return nil
	}
	id, err := checkID(in.ID)
	if err != nil {
		return nil
	}
	return id
}
