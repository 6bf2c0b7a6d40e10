package serve

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestV1API(t *testing.T) {
	dir := t.TempDir()
	pa, pb := writeModel(t, dir, "a.safetensors", optA), writeModel(t, dir, "b.safetensors", optB)
	refA, refB := newReference(t, pa), newReference(t, pb)
	s := startServer(t, Options{Models: []ModelSpec{{"a", pa}, {"b", pb}}}, HTTPOptions{})

	texts := []string{"Fire alarm in the kitchen!", "the door is open", "hello", "", "words unknown to it"}
	for _, model := range []string{"", "a", "b"} {
		ref := refA
		if model == "b" {
			ref = refB
		}
		var resp v1Response
		body := fmt.Sprintf(`{"model": %q, "texts": %s}`, model, jsonString(texts))
		if code := s.do(t, "POST", "/v1/predict", body, &resp); code != 200 {
			t.Fatalf("model %q: status %d", model, code)
		}
		if resp.SHA256 != ref.sha || len(resp.Predictions) != len(texts) || resp.Latency <= 0 {
			t.Fatalf("model %q: response %+v", model, resp)
		}
		for i, p := range resp.Predictions {
			label, scores := ref.text(texts[i])
			if p.Label != label || fmt.Sprint(p.Scores) != fmt.Sprint(scores) || p.Score == nil || *p.Score != scores[0] {
				t.Errorf("model %q text %q: got %s %v, want %s %v", model, texts[i], p.Label, p.Scores, label, scores)
			}
		}
	}
	// One text, and ids as one row and as rows.
	var one v1Response
	if code := s.do(t, "POST", "/v1/predict", `{"text": "smoke"}`, &one); code != 200 || len(one.Predictions) != 1 {
		t.Fatalf("text: %d %+v", code, one)
	}
	if l, _ := refA.text("smoke"); one.Predictions[0].Label != l || one.Model != "a" {
		t.Errorf("text: %+v", one)
	}
	var ids v1Response
	if code := s.do(t, "POST", "/v1/predict", `{"model":"b","ids": [[1, 2, 3], [7, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9]]}`, &ids); code != 200 || len(ids.Predictions) != 2 {
		t.Fatalf("ids: %d %+v", code, ids)
	}
	for i, row := range [][]int32{{1, 2, 3}, {7, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9}} {
		if l, sc := refB.ids(row); ids.Predictions[i].Label != l || fmt.Sprint(ids.Predictions[i].Scores) != fmt.Sprint(sc) {
			t.Errorf("ids row %d: %+v, want %s %v", i, ids.Predictions[i], l, sc)
		}
	}
	if code := s.do(t, "POST", "/v1/predict", `{"ids": [4, 5]}`, &ids); code != 200 || len(ids.Predictions) != 1 {
		t.Fatalf("one id row: %d %+v", code, ids)
	}

	var models struct{ Models []ModelInfo }
	if code := s.do(t, "GET", "/v1/models", "", &models); code != 200 || len(models.Models) != 2 {
		t.Fatalf("models: %d %+v", code, models)
	}
	m := models.Models[1]
	if m.Name != "b" || m.SHA256 != refB.sha || m.Quant.Embedding != "f32" || strings.Join(m.Labels, ",") != "calm,alert" ||
		m.Accuracy["float32_accuracy"] != 0.9 || m.Default || !models.Models[0].Default || !strings.Contains(m.Architecture, "Dense(1,sigmoid)") {
		t.Errorf("models[1] = %+v", m)
	}

	// Errors: status and a message that says what to send.
	for _, c := range []struct {
		body string
		code int
		want string
	}{
		{`{"text": "a", "texts": ["b"]}`, 400, "exactly one of"},
		{`{}`, 400, "exactly one of"},
		{`{"txt": "a"}`, 400, `unknown field "txt"`},
		{`{"text": 5}`, 400, `field "text"`},
		{`{"text": "a"`, 400, "request body"},
		{``, 400, "empty body"},
		{`[1]`, 400, "object"},
		{`{"text": "a"} {"text": "b"}`, 400, "one object"},
		{`{"texts": []}`, 400, "at least one"},
		{`{"ids": [[1, 99]]}`, 400, "outside the model's vocabulary"},
		{`{"ids": [[1, -1]]}`, 400, "outside the model's vocabulary"},
		{`{"ids": [1.5]}`, 400, "not an integer"},
		{`{"ids": [3000000000]}`, 400, "out of range"},
		{`{"ids": "1,2"}`, 400, "token ids"},
		{`{"model": "zzz", "text": "a"}`, 404, `no model named "zzz"`},
	} {
		var e errBody
		if code := s.do(t, "POST", "/v1/predict", c.body, &e); code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s: %d %q, want %d containing %q", c.body, code, e.Error, c.code, c.want)
		}
	}
	var e errBody
	if code := s.do(t, "GET", "/v1/predict", "", &e); code != http.StatusMethodNotAllowed || !strings.Contains(e.Error, "takes POST") {
		t.Errorf("GET /v1/predict: %d %q", code, e.Error)
	}
	if code := s.do(t, "DELETE", "/v2/models/a/ready", "", &e); code != http.StatusMethodNotAllowed || !strings.Contains(e.Error, "takes GET") {
		t.Errorf("DELETE ready: %d %q", code, e.Error)
	}
	if code := s.do(t, "GET", "/nope", "", &e); code != 404 || !strings.Contains(e.Error, "no such endpoint") {
		t.Errorf("/nope: %d %q", code, e.Error)
	}
}

func jsonString(v []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q", s)
	}
	b.WriteByte(']')
	return b.String()
}

func TestV2API(t *testing.T) {
	dir := t.TempDir()
	pa := writeModel(t, dir, "a.safetensors", optA)
	ref := newReference(t, pa)
	s := startServer(t, Options{Models: []ModelSpec{{"sarcasm", pa}}}, HTTPOptions{})
	ver := ref.sha[:12]

	var live struct{ Live bool }
	if code := s.do(t, "GET", "/v2/health/live", "", &live); code != 200 || !live.Live {
		t.Errorf("live: %d %+v", code, live)
	}
	var ready struct{ Ready bool }
	if code := s.do(t, "GET", "/v2/health/ready", "", &ready); code != 200 || !ready.Ready {
		t.Errorf("ready: %d %+v", code, ready)
	}
	var meta struct {
		Name       string
		Version    string
		Extensions []string
	}
	if code := s.do(t, "GET", "/v2", "", &meta); code != 200 || meta.Name != "edgewatt" || meta.Extensions == nil {
		t.Errorf("server metadata: %d %+v", code, meta)
	}
	var mm struct {
		Name     string
		Versions []string
		Platform string
		Inputs   []v2TensorMeta
		Outputs  []v2TensorMeta
	}
	for _, p := range []string{"/v2/models/sarcasm", "/v2/models/sarcasm/versions/" + ver} {
		if code := s.do(t, "GET", p, "", &mm); code != 200 || mm.Name != "sarcasm" || mm.Versions[0] != ver ||
			fmt.Sprint(mm.Inputs) != "[{text BYTES [-1]} {input_ids INT32 [-1 8]}]" || fmt.Sprint(mm.Outputs) != "[{label BYTES [-1]} {scores FP32 [-1 1]}]" {
			t.Errorf("%s: %d %+v", p, code, mm)
		}
	}
	var mr struct {
		Name  string
		Ready bool
	}
	if code := s.do(t, "GET", "/v2/models/sarcasm/ready", "", &mr); code != 200 || !mr.Ready || mr.Name != "sarcasm" {
		t.Errorf("model ready: %d %+v", code, mr)
	}
	var e errBody
	for _, p := range []string{"/v2/models/nope", "/v2/models/nope/ready", "/v2/models/sarcasm/versions/0123/ready"} {
		if code := s.do(t, "GET", p, "", &e); code != 404 || e.Error == "" {
			t.Errorf("%s: %d %+v", p, code, e)
		}
	}

	type out struct {
		Name     string
		Shape    []int64
		Datatype string
		Data     []any
	}
	var resp struct {
		ModelName    string `json:"model_name"`
		ModelVersion string `json:"model_version"`
		ID           string
		Outputs      []out
	}
	texts := []string{"fire alarm", "quiet kitchen", "hello door"}
	body := `{"id": "42", "parameters": {"x": 1}, "inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": ` + jsonString(texts) + `}]}`
	if code := s.do(t, "POST", "/v2/models/sarcasm/infer", body, &resp); code != 200 {
		t.Fatalf("infer: %d", code)
	}
	if resp.ModelName != "sarcasm" || resp.ModelVersion != ver || resp.ID != "42" || len(resp.Outputs) != 2 {
		t.Fatalf("infer: %+v", resp)
	}
	lab, sc := resp.Outputs[0], resp.Outputs[1]
	if lab.Name != "label" || lab.Datatype != "BYTES" || fmt.Sprint(lab.Shape) != "[3]" || sc.Name != "scores" || sc.Datatype != "FP32" || fmt.Sprint(sc.Shape) != "[3 1]" {
		t.Fatalf("outputs: %+v", resp.Outputs)
	}
	for i, txt := range texts {
		l, scores := ref.text(txt)
		if lab.Data[i] != l || float32(sc.Data[i].(float64)) != scores[0] {
			t.Errorf("%q: %v %v, want %s %v", txt, lab.Data[i], sc.Data[i], l, scores)
		}
	}
	// Token ids, nested [2, 3] INT64, only the scores requested, through the version path.
	body = `{"inputs": [{"name": "input_ids", "shape": [2, 3], "datatype": "INT64", "data": [[1, 2, 3], [4, 5, 6]]}], "outputs": [{"name": "scores"}]}`
	resp.ID = ""
	if code := s.do(t, "POST", "/v2/models/sarcasm/versions/"+ver+"/infer", body, &resp); code != 200 || len(resp.Outputs) != 1 || resp.Outputs[0].Name != "scores" || resp.ID != "" {
		t.Fatalf("ids infer: %d %+v", code, resp)
	}
	for i, row := range [][]int32{{1, 2, 3}, {4, 5, 6}} {
		if _, scores := ref.ids(row); float32(resp.Outputs[0].Data[i].(float64)) != scores[0] {
			t.Errorf("row %d: %v, want %v", i, resp.Outputs[0].Data[i], scores)
		}
	}
	// Flat INT32 and [N,1] BYTES.
	if code := s.do(t, "POST", "/v2/models/sarcasm/infer", `{"inputs":[{"name":"x","shape":[1,3],"datatype":"INT32","data":[1,2,3]}]}`, &resp); code != 200 {
		t.Errorf("flat INT32: %d", code)
	}
	if code := s.do(t, "POST", "/v2/models/sarcasm/infer", `{"inputs":[{"name":"text","shape":[2,1],"datatype":"BYTES","data":[["a"],["b"]]}]}`, &resp); code != 200 || resp.Outputs[0].Shape[0] != 2 {
		t.Errorf("[2,1] BYTES: %d %+v", code, resp)
	}

	for _, c := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"/v2/models/sarcasm/infer", `{"inputs": []}`, 400, "exactly one"},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"text","shape":[2],"datatype":"BYTES","data":["a"]}]}`, 400, "holds 2 elements but data has 1"},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"text","shape":[1],"datatype":"FP32","data":[1.0]}]}`, 400, "BYTES (texts) or INT32/INT64"},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"text","shape":[1],"data":["a"]}]}`, 400, "missing \"datatype\""},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"text","shape":[1],"datatype":"BYTES","data":[1]}]}`, 400, "must be strings"},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"ids","shape":[1,2],"datatype":"INT32","data":[1,"2"]}]}`, 400, "integer token ids"},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"ids","shape":[1,2],"datatype":"INT32","data":[1,500]}]}`, 400, "outside the model's vocabulary"},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"text","shape":[1],"datatype":"BYTES","data":[[[["a"]]]]}]}`, 400, "nested deeper"},
		{"/v2/models/sarcasm/infer", `{"inputs": [{"name":"text","shape":[1],"datatype":"BYTES","data":["a"]}], "outputs":[{"name":"probabilities"}]}`, 400, "unknown output"},
		{"/v2/models/sarcasm/infer", `not json`, 400, "inference request"},
		{"/v2/models/nope/infer", `{"inputs": [{"name":"text","shape":[1],"datatype":"BYTES","data":["a"]}]}`, 404, "no model named"},
		{"/v2/models/sarcasm/versions/abc/infer", `{"inputs": [{"name":"text","shape":[1],"datatype":"BYTES","data":["a"]}]}`, 404, "no version"},
	} {
		var e errBody
		if code := s.do(t, "POST", c.path, c.body, &e); code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s %s: %d %q, want %d containing %q", c.path, c.body, code, e.Error, c.code, c.want)
		}
	}
	var eb errBody
	if code := s.do(t, "POST", "/v2/models/sarcasm/infer", `{}`, &eb, "Inference-Header-Content-Length", "10"); code != 400 || !strings.Contains(eb.Error, "binary") {
		t.Errorf("binary extension: %d %q", code, eb.Error)
	}
}
