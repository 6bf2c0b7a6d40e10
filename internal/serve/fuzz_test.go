package serve

import (
	"encoding/json"
	"errors"
	"testing"
)

var fuzzLimits = Limits{MaxBatch: 8, MaxIDs: 64}.withDefaults()

func checkDecodeErr(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Msg == "" {
		t.Fatalf("error %v is not a 4xx *Error with a message", err)
	}
}

// FuzzDecodeV1 feeds hostile bodies to the /v1/predict decoder: it must answer a 4xx error or
// a request within the limits, never panic.
func FuzzDecodeV1(f *testing.F) {
	for _, s := range []string{`{"text": "a"}`, ` { "text" :"x y" } `, `{"text":"é"}`, `{"text":"a\"b"}`, `{"text":"a"}}`, `{"text":"\xff"}`, `{"texts": ["a", "b"]}`, `{"ids": [1, 2]}`, `{"ids": [[1], [2, 3]]}`, `{"model": "m", "text": ""}`,
		`{"ids": [1e3, -0, 2.0]}`, `{"texts": null}`, `{"text": "a", "text": "b"}`, `[[[[`, `{"ids": [[[1]]]}`, "\x00", `{"texts": ["\ud800"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// The fast path for {"text": ...} must agree with encoding/json whenever it accepts.
		if text, ok := decodeV1Text(body); ok {
			var raw map[string]json.RawMessage
			var slow struct{ Text *string }
			if json.Unmarshal(body, &raw) != nil || len(raw) != 1 || json.Unmarshal(body, &slow) != nil || slow.Text == nil || *slow.Text != text {
				t.Fatalf("fast path read %q from %q, encoding/json disagrees (%v)", text, body, raw)
			}
		}
		req, err := decodeV1(body, fuzzLimits)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		if (req.Texts == nil) == (req.IDs == nil) {
			t.Fatalf("decoded both or neither of texts and ids: %+v", req)
		}
		if len(req.Texts) > fuzzLimits.MaxBatch || len(req.IDs) > fuzzLimits.MaxBatch {
			t.Fatalf("batch over the limit: %d %d", len(req.Texts), len(req.IDs))
		}
	})
}

// FuzzDecodeV2 does the same for the Open Inference Protocol's inference request.
func FuzzDecodeV2(f *testing.F) {
	for _, s := range []string{
		`{"id": "1", "inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]}`,
		`{"inputs": [{"name": "text", "shape": [2, 1], "datatype": "BYTES", "data": [["a"], ["b"]]}], "outputs": [{"name": "label"}]}`,
		`{"inputs": [{"name": "ids", "shape": [2, 2], "datatype": "INT64", "data": [[1, 2], [3, 4]]}]}`,
		`{"inputs": [{"name": "ids", "shape": [3], "datatype": "INT32", "data": [1, 2, 3]}]}`,
		`{"inputs": [{"name": "ids", "shape": [0, 5], "datatype": "INT32", "data": []}]}`,
		`{"inputs": [{"name": "ids", "shape": [-1], "datatype": "INT32", "data": [1]}]}`,
		`{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1.5]}]}`,
		`{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": "a"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeV2(body, fuzzLimits)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		if len(req.Texts) > fuzzLimits.MaxBatch || len(req.IDs) > fuzzLimits.MaxBatch {
			t.Fatalf("batch over the limit: %d %d", len(req.Texts), len(req.IDs))
		}
		for _, r := range req.IDs {
			if len(r) > fuzzLimits.MaxIDs {
				t.Fatalf("id row over the limit: %d", len(r))
			}
		}
	})
}
