package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// v1Request is a decoded POST /v1/predict body: exactly one of texts and ids is set.
type v1Request struct {
	Model string
	Texts []string
	IDs   [][]int32
}

// decodeV1 decodes {"text": ...}, {"texts": [...]} or {"ids": [...] | [[...], ...]}, with an
// optional "model". Every error says what to send instead.
func decodeV1(body []byte, lim Limits) (v1Request, error) {
	if t, ok := decodeV1Text(body); ok {
		return v1Request{Texts: []string{t}}, nil
	}
	var raw struct {
		Model string          `json:"model"`
		Text  *string         `json:"text"`
		Texts []string        `json:"texts"`
		IDs   json.RawMessage `json:"ids"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&raw); err != nil {
		return v1Request{}, badRequest("request body: %s; send a JSON object such as {\"text\": \"the door is open\"}, {\"texts\": [\"a\", \"b\"]} or {\"ids\": [[3, 14, 15]]}", jsonErr(err))
	}
	if d.More() {
		return v1Request{}, badRequest("request body: more than one JSON value; send one object")
	}
	n := 0
	if raw.Text != nil {
		n++
	}
	if raw.Texts != nil {
		n++
	}
	if raw.IDs != nil {
		n++
	}
	if n != 1 {
		return v1Request{}, badRequest(`give exactly one of "text" (a string), "texts" (an array of strings) or "ids" (token ids: [3, 14] or [[3, 14], [15]])`)
	}
	req := v1Request{Model: raw.Model, Texts: raw.Texts}
	switch {
	case raw.Text != nil:
		req.Texts = []string{*raw.Text}
	case raw.IDs != nil:
		rows, err := decodeIDRows(raw.IDs)
		if err != nil {
			return v1Request{}, err
		}
		req.IDs = rows
	}
	if len(req.Texts) > lim.MaxBatch || len(req.IDs) > lim.MaxBatch {
		return v1Request{}, &Error{Status: 413, Msg: fmt.Sprintf("%d inputs in one request; the limit is %d (--max-batch): split the batch", max(len(req.Texts), len(req.IDs)), lim.MaxBatch)}
	}
	return req, nil
}

// decodeIDRows accepts one row [3, 14] or rows [[3, 14], [15]] of int32 token ids.
func decodeIDRows(b json.RawMessage) ([][]int32, error) {
	b = bytes.TrimSpace(b)
	const want = `"ids" must be token ids: one row [3, 14, 15] or rows [[3, 14], [15, 9]] of integers`
	var rows [][]json.Number
	if err := json.Unmarshal(b, &rows); err != nil {
		var row []json.Number
		if err2 := json.Unmarshal(b, &row); err2 != nil {
			return nil, badRequest(want)
		}
		rows = [][]json.Number{row}
	}
	out := make([][]int32, len(rows))
	for i, r := range rows {
		out[i] = make([]int32, len(r))
		for j, v := range r {
			id, err := toInt32(v)
			if err != nil {
				return nil, badRequest("ids[%d][%d]: %v; %s", i, j, err, want)
			}
			out[i][j] = id
		}
	}
	return out, nil
}

func toInt32(n json.Number) (int32, error) {
	v, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != math.Trunc(f) {
			return 0, fmt.Errorf("%s is not an integer", n)
		}
		if f < math.MinInt32 || f > math.MaxInt32 {
			return 0, fmt.Errorf("%s is out of range", n)
		}
		return int32(f), nil
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%s is out of range", n)
	}
	return int32(v), nil
}

// jsonErr shortens encoding/json's errors for a client.
func jsonErr(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at byte %d (%v)", se.Offset, se)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %q has the wrong type (got a JSON %s, want %s)", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("got a JSON %s where an object was expected", te.Value)
	case err.Error() == "EOF":
		return "empty body"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return err.Error()
}

// v2Request is a decoded Open Inference Protocol inference request.
type v2Request struct {
	ID      string
	Texts   []string  // BYTES input
	IDs     [][]int32 // INT32/INT64 input
	Outputs []string  // requested outputs; nil: all
}

type v2Tensor struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters"`
	Data       json.RawMessage `json:"data"`
}

// The output tensor names of every model.
const (
	outLabel  = "label"
	outScores = "scores"
)

// decodeV2 decodes $inference_request: one input, either BYTES texts (shape [N] or [N, 1])
// or INT32/INT64 token ids (shape [N, L], or [L] for one row), data flat or nested.
func decodeV2(body []byte, lim Limits) (v2Request, error) {
	var raw struct {
		ID         *string        `json:"id"`
		Parameters map[string]any `json:"parameters"`
		Inputs     []v2Tensor     `json:"inputs"`
		Outputs    []struct {
			Name       string         `json:"name"`
			Parameters map[string]any `json:"parameters"`
		} `json:"outputs"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&raw); err != nil {
		return v2Request{}, badRequest("inference request: %s; send {\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"the door is open\"]}]}", jsonErr(err))
	}
	if d.More() {
		return v2Request{}, badRequest("inference request: more than one JSON value; send one object")
	}
	var req v2Request
	if raw.ID != nil {
		req.ID = *raw.ID
	}
	if len(raw.Inputs) != 1 {
		return req, badRequest("inference request has %d inputs; these models take exactly one: a BYTES tensor of texts named %q or an INT32/INT64 tensor of token ids named %q", len(raw.Inputs), "text", "input_ids")
	}
	for _, o := range raw.Outputs {
		if o.Name != outLabel && o.Name != outScores {
			return req, badRequest("unknown output %q: the outputs are %q and %q", o.Name, outLabel, outScores)
		}
		req.Outputs = append(req.Outputs, o.Name)
	}
	in := raw.Inputs[0]
	n := int64(1)
	for _, dim := range in.Shape {
		if dim < 0 || dim > 1<<31 {
			return req, badRequest("input %q: shape %v: dimensions must be 0 or more", in.Name, in.Shape)
		}
		n *= dim
		if n > 1<<31 {
			return req, badRequest("input %q: shape %v is too large", in.Name, in.Shape)
		}
	}
	if len(in.Shape) == 0 {
		return req, badRequest("input %q: missing \"shape\" (e.g. [2] for two texts)", in.Name)
	}
	switch in.Datatype {
	case "BYTES":
		if len(in.Shape) > 2 || len(in.Shape) == 2 && in.Shape[1] != 1 {
			return req, badRequest("input %q: BYTES shape %v: want [N] or [N, 1], one text per row", in.Name, in.Shape)
		}
		if n > int64(lim.MaxBatch) {
			return req, &Error{Status: 413, Msg: fmt.Sprintf("input %q: %d texts in one request; the limit is %d (--max-batch)", in.Name, n, lim.MaxBatch)}
		}
		var texts []string
		if err := flatten(in.Data, func(v json.RawMessage) error {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("BYTES data must be strings, got %s", clip(v))
			}
			if int64(len(texts)) >= n {
				return fmt.Errorf("data has more than the %d elements of shape %v", n, in.Shape)
			}
			texts = append(texts, s)
			return nil
		}); err != nil {
			return req, badRequest("input %q: %v", in.Name, err)
		}
		if int64(len(texts)) != n {
			return req, badRequest("input %q: shape %v holds %d elements but data has %d", in.Name, in.Shape, n, len(texts))
		}
		req.Texts = texts
	case "INT32", "INT64", "UINT32", "UINT64", "INT16", "UINT16", "INT8", "UINT8":
		if len(in.Shape) > 2 {
			return req, badRequest("input %q: %s shape %v: want [N, L] (N rows of L token ids) or [L]", in.Name, in.Datatype, in.Shape)
		}
		rows, cols := int64(1), in.Shape[0]
		if len(in.Shape) == 2 {
			rows, cols = in.Shape[0], in.Shape[1]
		}
		if rows > int64(lim.MaxBatch) {
			return req, &Error{Status: 413, Msg: fmt.Sprintf("input %q: %d rows in one request; the limit is %d (--max-batch)", in.Name, rows, lim.MaxBatch)}
		}
		if cols > int64(lim.MaxIDs) {
			return req, &Error{Status: 413, Msg: fmt.Sprintf("input %q: rows of %d ids; the limit is %d", in.Name, cols, lim.MaxIDs)}
		}
		flat := make([]int32, 0, n)
		if err := flatten(in.Data, func(v json.RawMessage) error {
			id, err := toInt32(json.Number(bytes.TrimSpace(v)))
			if err != nil || !json.Valid(v) {
				return fmt.Errorf("%s data must be integer token ids, got %s", in.Datatype, clip(v))
			}
			if int64(len(flat)) >= n {
				return fmt.Errorf("data has more than the %d elements of shape %v", n, in.Shape)
			}
			flat = append(flat, id)
			return nil
		}); err != nil {
			return req, badRequest("input %q: %v", in.Name, err)
		}
		if int64(len(flat)) != n {
			return req, badRequest("input %q: shape %v holds %d elements but data has %d", in.Name, in.Shape, n, len(flat))
		}
		req.IDs = make([][]int32, rows)
		for i := range req.IDs {
			req.IDs[i] = flat[int64(i)*cols : int64(i+1)*cols]
		}
	case "":
		return req, badRequest("input %q: missing \"datatype\" (BYTES for texts, INT32 or INT64 for token ids)", in.Name)
	default:
		return req, badRequest("input %q: datatype %q: these models take BYTES (texts) or INT32/INT64 (token ids)", in.Name, in.Datatype)
	}
	return req, nil
}

// flatten calls f on every leaf of a JSON array nested up to three deep (row-major order):
// flat data, or rows, or rows of one-element rows.
func flatten(b json.RawMessage, f func(json.RawMessage) error) error { return flattenDepth(b, f, 0) }

func flattenDepth(b json.RawMessage, f func(json.RawMessage) error, depth int) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New(`missing "data"`)
	}
	if b[0] != '[' {
		return f(b)
	}
	if depth == 3 {
		return errors.New("\"data\" is nested deeper than the tensor's shape allows; send it flat in row-major order")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return fmt.Errorf("\"data\" is not a JSON array: %s", jsonErr(err))
	}
	for _, it := range items {
		if err := flattenDepth(it, f, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// decodeV1Text reads the common body {"text": "..."} (any JSON whitespace) without
// encoding/json's reflection. It accepts only a string without escapes, of valid UTF-8 and
// no control characters; anything else (ok false) takes the full decoder, which
// FuzzDecodeV1 checks gives the same answer whenever this one accepts.
func decodeV1Text(b []byte) (text string, ok bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", false
	}
	i = skipWS(b, i+1)
	const key = `"text"`
	if len(b)-i < len(key) || string(b[i:i+len(key)]) != key {
		return "", false
	}
	i = skipWS(b, i+len(key))
	if i >= len(b) || b[i] != ':' {
		return "", false
	}
	i = skipWS(b, i+1)
	if i >= len(b) || b[i] != '"' {
		return "", false
	}
	start := i + 1
	end := start
	for end < len(b) && b[end] != '"' {
		if c := b[end]; c == '\\' || c < 0x20 {
			return "", false
		}
		end++
	}
	if end >= len(b) || !utf8.Valid(b[start:end]) {
		return "", false
	}
	i = skipWS(b, end+1)
	if i >= len(b) || b[i] != '}' || skipWS(b, i+1) != len(b) {
		return "", false
	}
	return string(b[start:end]), true
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
