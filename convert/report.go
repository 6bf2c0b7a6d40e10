package convert

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/edgewatt/edgewatt/quant"
	"github.com/edgewatt/edgewatt/runtime"
	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// Report is what a quantized conversion cost. JSON gives the form stored in the model file's
// "report" metadata (and shown by inspect); Print the readable one.
type Report struct {
	Embedding, Dense string // schemes
	Weights          []weightStat
	TensorBytesF32   int // all tensors except the vocabulary, as float32
	TensorBytesQuant int // the same tensors as stored (scales included)
	VocabBytes       int
	PaddingFolded    bool   // embedding row 0 folded into dense.0's bias
	Source           string // what fed the per-layer measurement
	Inputs           int
	Layers           []layerStat
	Calibration      *calibReport
	Eval             *evalReport
}

type layerStat struct {
	Name  string
	Stats quant.Stats // quantized model's layer output against float32's
	Min   float32     // float32 model's output range over the inputs
	Max   float32
	Lo    float32 // calibrated range (percentile)
	Hi    float32
	Sat   float64 // share of values outside [Lo, Hi]
}

type calibReport struct {
	Percentile float64
	Sampled    bool // percentiles from a reservoir sample
}

type evalReport struct {
	Source             string
	Rows               int
	AccF32, AccQuant   float64
	DropPoints         float64
	Agreement          float64
	Disagree           int
	MaxDiff, MeanDiff  float64 // |score difference| over every output unit
	RuntimeVsReference float64 // max |runtime score - float64 reference of the same stored weights|
	FullInt            *fullIntReport
}

// fullIntReport is the simulated TFLite full-integer scheme (int8 activations from the
// calibrated ranges, int32 biases) on the eval rows, for comparison with what edgewatt runs.
type fullIntReport struct {
	Acc, Agreement float64
	MaxDiff        float64
	Saturation     float64 // share of activation values clamped on the eval rows
}

// refNet is a float64 reference forward pass over a model file's stored (dequantized)
// weights, used for per-layer errors and the full-integer simulation.
type refNet struct {
	v, d     int
	pooling  string // modelfile Arch.Pooling
	maxlen   int
	emb      []float32
	maskZero bool
	oov      int32
	layers   []refLayer
}

type refLayer struct {
	name    string
	in, out int
	act     string
	w, b    []float32
	q       []int8    // int8-channel only
	s       []float32 // int8-channel only
}

func newRefNet(f *modelfile.File) (*refNet, error) {
	a := f.Meta.Arch
	embS, err := quant.Lookup(f.Meta.Quant.Embedding)
	if err != nil {
		return nil, err
	}
	denseS, err := quant.Lookup(f.Meta.Quant.Dense)
	if err != nil {
		return nil, err
	}
	scaleData := func(name string) []byte {
		if t := f.Tensor(name); t != nil {
			return t.Data
		}
		return nil
	}
	et, err := quant.FromStored(embS, a.Embedding.InputDim, a.Embedding.OutputDim, f.Tensor(modelfile.TensorEmbedding).Data, scaleData(modelfile.TensorEmbeddingScale))
	if err != nil {
		return nil, err
	}
	n := &refNet{v: a.Embedding.InputDim, d: a.Embedding.OutputDim, emb: et.Dequantize(), maskZero: a.Embedding.MaskZero, oov: int32(f.Meta.Tokenizer.OOVID),
		pooling: a.Pooling, maxlen: f.Meta.Preprocess.MaxLen}
	for i, d := range a.Dense {
		wt, err := quant.FromStored(denseS, d.Out, d.In, f.Tensor(modelfile.DenseWeight(i)).Data, scaleData(modelfile.DenseScale(i)))
		if err != nil {
			return nil, err
		}
		n.layers = append(n.layers, refLayer{name: fmt.Sprintf("dense.%d %s (%s)", i, d.Name, d.Activation), in: d.In, out: d.Out, act: d.Activation,
			w: wt.Dequantize(), b: quant.GetF32(f.Tensor(modelfile.DenseBias(i)).Data), q: wt.Q, s: wt.Scales})
	}
	return n, nil
}

// newOuts allocates one output vector per layer: pooled, then each dense layer.
func (n *refNet) newOuts() [][]float64 {
	outs := [][]float64{make([]float64, modelfile.PoolWidth(n.pooling, n.maxlen, n.d))}
	for _, l := range n.layers {
		outs = append(outs, make([]float64, l.out))
	}
	return outs
}

// pool is the model's pooling over the embedding rows of padded ids: GlobalAveragePooling1D
// (masked with mask_zero), GlobalMaxPooling1D or Flatten (never masked).
func (n *refNet) pool(padded []int32, dst []float64) {
	clear(dst)
	cnt := 0
	if n.pooling == modelfile.PoolMax || n.pooling == modelfile.PoolFlatten {
		for c := range dst {
			dst[c] = math.Inf(-1)
		}
		for p, id := range padded {
			if id < 0 || int(id) >= n.v {
				id = max(n.oov, 0)
			}
			for c, w := range n.emb[int(id)*n.d : int(id)*n.d+n.d] {
				if n.pooling == modelfile.PoolFlatten {
					dst[p*n.d+c] = float64(w)
				} else {
					dst[c] = math.Max(dst[c], float64(w))
				}
			}
		}
		return
	}
	for _, id := range padded {
		if id < 0 || int(id) >= n.v {
			id = max(n.oov, 0)
		}
		if n.maskZero && id == 0 {
			continue
		}
		cnt++
		row := n.emb[int(id)*n.d : int(id)*n.d+n.d]
		for c, w := range row {
			dst[c] += float64(w)
		}
	}
	if cnt == 0 {
		clear(dst)
		return
	}
	for c := range dst {
		dst[c] /= float64(cnt)
	}
}

func activate64(x []float64, act string) {
	switch act {
	case "relu":
		for i, v := range x {
			x[i] = math.Max(v, 0)
		}
	case "sigmoid":
		for i, v := range x {
			x[i] = 1 / (1 + math.Exp(-v))
		}
	case "tanh":
		for i, v := range x {
			x[i] = math.Tanh(v)
		}
	case "softmax":
		mx := x[0]
		for _, v := range x {
			mx = math.Max(mx, v)
		}
		var s float64
		for i, v := range x {
			x[i] = math.Exp(v - mx)
			s += x[i]
		}
		for i := range x {
			x[i] /= s
		}
	}
}

// forward fills outs (from newOuts) for padded ids.
func (n *refNet) forward(padded []int32, outs [][]float64) {
	n.pool(padded, outs[0])
	for i, l := range n.layers {
		x, y := outs[i], outs[i+1]
		for o := 0; o < l.out; o++ {
			acc := float64(l.b[o])
			for k, w := range l.w[o*l.in : o*l.in+l.in] {
				acc += float64(w) * x[k]
			}
			y[o] = acc
		}
		activate64(y, l.act)
	}
}

// fullInt simulates TFLite's full-integer inference: each layer's input quantized to int8
// with asymmetric per-tensor parameters from calibration, int8 x int8 products summed in
// int32 with an int32 bias, rescaled, activated, and the final sigmoid/softmax output
// quantized with TFLite's fixed scale 1/256 and zero point -128.
type fullInt struct {
	net      *refNet
	in       []quant.ActParams // input of dense layer i
	xq       []int8
	clamped  int64
	quantize int64
}

func (s *fullInt) forward(padded []int32, outs [][]float64) {
	n := s.net
	n.pool(padded, outs[0])
	for i, l := range n.layers {
		x, y := outs[i], outs[i+1]
		p := s.in[i]
		s.xq = s.xq[:0]
		for _, v := range x {
			q, sat := p.Quantize(float32(v))
			if sat {
				s.clamped++
			}
			s.quantize++
			s.xq = append(s.xq, q)
		}
		for o := 0; o < l.out; o++ {
			m := float64(l.s[o]) * float64(p.Scale)
			acc := biasInt32(float64(l.b[o]), m)
			for k, w := range l.q[o*l.in : o*l.in+l.in] {
				acc += int32(w) * (int32(s.xq[k]) - p.ZeroPoint)
			}
			y[o] = float64(acc) * m
		}
		activate64(y, l.act)
		if i == len(n.layers)-1 && (l.act == "sigmoid" || l.act == "softmax") {
			for o, v := range y {
				y[o] = (math.Max(-128, math.Min(127, math.Round(v*256)-128)) + 128) / 256
			}
		}
	}
}

// biasInt32 quantizes a bias to the int32 grid of step m (0 when m is 0), clamped to the
// int32 range as TFLite does. A tiny activation scale makes b/m overflow int32, and Go's
// float-to-int32 conversion of such a value differs between amd64 and arm.
func biasInt32(b, m float64) int32 {
	if !(m > 0) {
		return 0
	}
	return int32(math.Max(math.MinInt32, math.Min(math.MaxInt32, math.Round(b/m))))
}

// measure compares the quantized model q with the float32 model f.
func measure(f, q *modelfile.File, qi *quantInfo, calib []string, opts QuantOptions, evalRows []EvalRow) (*Report, error) {
	rep := &Report{Embedding: q.Meta.Quant.Embedding, Dense: q.Meta.Quant.Dense, Weights: qi.weights, PaddingFolded: qi.shift != nil}
	for _, t := range f.Tensors {
		if t.Name != modelfile.TensorVocab {
			rep.TensorBytesF32 += len(t.Data)
		} else {
			rep.VocabBytes = len(t.Data)
		}
	}
	for _, t := range q.Tensors {
		if t.Name != modelfile.TensorVocab {
			rep.TensorBytesQuant += len(t.Data)
		}
	}
	fnet, err := newRefNet(f)
	if err != nil {
		return nil, err
	}
	qnet, err := newRefNet(q)
	if err != nil {
		return nil, err
	}
	mf, err := runtime.New(f)
	if err != nil {
		return nil, fmt.Errorf("convert: float32 model: %w", err)
	}
	mq, err := runtime.New(q)
	if err != nil {
		return nil, fmt.Errorf("convert: quantized model: %w", err)
	}
	pre := f.Meta.Preprocess
	pad := func(ids []int32) []int32 { return runtime.Pad(make([]int32, pre.MaxLen), ids, pre) }

	// Inputs for the per-layer error and the activation ranges.
	var inputs [][]int32
	tok := mf.Tokenizer()
	if len(calib) > 0 {
		rep.Source = "calibration texts"
		if opts.CalibFile != "" {
			rep.Source += " from " + opts.CalibFile
		}
		for _, t := range calib {
			inputs = append(inputs, pad(tok.AppendIDs(nil, t)))
		}
	} else {
		ns := opts.SampleSeqs
		if ns <= 0 {
			ns = 2000
		}
		rep.Source = "random id sequences (no --calib)"
		r := rand.New(rand.NewPCG(0xed6e, 0x3a77))
		for i := 0; i < ns; i++ {
			ids := make([]int32, 1+r.IntN(min(pre.MaxLen, 40)))
			for j := range ids {
				ids[j] = int32(1 + r.IntN(max(fnet.v-1, 1)))
			}
			inputs = append(inputs, pad(ids))
		}
	}
	rep.Inputs = len(inputs)
	fo, qo := fnet.newOuts(), qnet.newOuts()
	obs := make([]quant.Observer, len(fo))
	var obsIn0 quant.Observer // dense.0's input as the quantized model computes it (shifted)
	pooled := make([]float64, len(qo[0]))
	rep.Layers = make([]layerStat, len(fo))
	rep.Layers[0].Name = "embedding+pooling"
	for i, l := range fnet.layers {
		rep.Layers[i+1].Name = l.name
	}
	buf := make([]float32, 0, 64)
	for _, in := range inputs {
		fnet.forward(in, fo)
		qnet.forward(in, qo)
		buf = buf[:0]
		for c, v := range qo[0] {
			buf = append(buf, float32(v))
			pooled[c] = v
			if qi.shift != nil {
				pooled[c] += float64(qi.shift[c%len(qi.shift)])
			}
		}
		if err := obsIn0.Observe(buf); err != nil {
			return nil, fmt.Errorf("convert: quantized model's pooling: %w", err)
		}
		for i := range fo {
			if i == 0 {
				rep.Layers[i].Stats.AddSlices64(fo[0], pooled)
			} else {
				rep.Layers[i].Stats.AddSlices64(fo[i], qo[i])
			}
			buf = buf[:0]
			for _, v := range fo[i] {
				buf = append(buf, float32(v))
			}
			if err := obs[i].Observe(buf); err != nil {
				return nil, fmt.Errorf("convert: float32 model's %s: %w", rep.Layers[i].Name, err)
			}
		}
	}
	rep.Calibration = &calibReport{Percentile: opts.Percentile}
	for i := range obs {
		ls := &rep.Layers[i]
		ls.Min, ls.Max = obs[i].Min, obs[i].Max
		if ls.Lo, ls.Hi, err = obs[i].Range(opts.Percentile); err != nil {
			return nil, fmt.Errorf("convert: calibration: %w", err)
		}
		ls.Sat = obs[i].Saturation(ls.Lo, ls.Hi)
		rep.Calibration.Sampled = rep.Calibration.Sampled || obs[i].Sampled()
	}
	if len(evalRows) == 0 {
		return rep, nil
	}

	// Accuracy on the labelled rows, with the runtime's own kernels.
	var fi *fullInt
	if rep.Dense == quant.Int8Channel.Name {
		fi = &fullInt{net: qnet}
		for i := range qnet.layers {
			lo, hi := rep.Layers[i].Lo, rep.Layers[i].Hi
			if i == 0 {
				if lo, hi, err = obsIn0.Range(opts.Percentile); err != nil {
					return nil, fmt.Errorf("convert: calibration: %w", err)
				}
			}
			p, err := quant.ActivationParams(lo, hi)
			if err != nil {
				return nil, fmt.Errorf("convert: calibration: %w", err)
			}
			fi.in = append(fi.in, p)
		}
	}
	ev := &evalReport{Source: opts.EvalFile, Rows: len(evalRows)}
	if ev.Source == "" {
		ev.Source = "eval rows"
	}
	pf, pq := mf.NewPredictor(), mq.NewPredictor()
	var okF, okQ, agree, okI, agreeI int
	var sumDiff float64
	var nDiff int
	var fiMax float64
	nout := mf.Outputs()
	fscores := make([]float32, nout)
	for _, row := range evalRows {
		rf := pf.PredictText(row.Text)
		copy(fscores, rf.Scores)
		rq := pq.PredictText(row.Text)
		if rf.Label == row.Label {
			okF++
		}
		if rq.Label == row.Label {
			okQ++
		}
		if rf.Label == rq.Label {
			agree++
		}
		for j := range fscores {
			d := math.Abs(float64(fscores[j]) - float64(rq.Scores[j]))
			ev.MaxDiff = math.Max(ev.MaxDiff, d)
			sumDiff += d
			nDiff++
		}
		padded := pad(pq.Tokens())
		qnet.forward(padded, qo)
		last := qo[len(qo)-1]
		for j := range last {
			ev.RuntimeVsReference = math.Max(ev.RuntimeVsReference, math.Abs(last[j]-float64(rq.Scores[j])))
		}
		if fi != nil {
			fi.forward(padded, qo)
			li := labelOf(qo[len(qo)-1], qnet.layers[len(qnet.layers)-1].act)
			if li == row.Label {
				okI++
			}
			if li == rf.Label {
				agreeI++
			}
			for j := range fscores {
				fiMax = math.Max(fiMax, math.Abs(float64(fscores[j])-qo[len(qo)-1][j]))
			}
		}
	}
	n := float64(len(evalRows))
	ev.AccF32, ev.AccQuant = float64(okF)/n, float64(okQ)/n
	ev.DropPoints = 100 * (ev.AccF32 - ev.AccQuant)
	ev.Agreement = float64(agree) / n
	ev.Disagree = len(evalRows) - agree
	ev.MeanDiff = sumDiff / float64(nDiff)
	if fi != nil {
		ev.FullInt = &fullIntReport{Acc: float64(okI) / n, Agreement: float64(agreeI) / n, MaxDiff: fiMax,
			Saturation: float64(fi.clamped) / float64(max(fi.quantize, 1))}
	}
	rep.Eval = ev
	return rep, nil
}

// labelOf is the runtime's decision rule: argmax, or for one unit score > 0.5 (sigmoid) or > 0.
func labelOf(x []float64, act string) int {
	if len(x) == 1 {
		thr := 0.0
		if act == "sigmoid" {
			thr = 0.5
		}
		if x[0] > thr {
			return 1
		}
		return 0
	}
	best := 0
	for j := range x {
		if x[j] > x[best] {
			best = j
		}
	}
	return best
}

// JSON returns the report as stored in the model file's metadata.
func (r *Report) JSON() map[string]any {
	ws := []any{}
	for _, w := range r.Weights {
		m := map[string]any{"tensor": w.Tensor, "scheme": w.Scheme, "bytes": w.Bytes, "float32_bytes": w.F32Bytes,
			"sqnr_db": num(round(w.Stats.SQNR(), 2)), "max_abs_err": num(w.Stats.MaxAbs), "mean_abs_err": num(w.Stats.MeanAbs())}
		if w.ZeroRows > 0 {
			m["zero_rows"] = w.ZeroRows
		}
		if w.Underflow > 0 {
			m["underflow"] = w.Underflow
		}
		ws = append(ws, m)
	}
	ls := []any{}
	for _, l := range r.Layers {
		ls = append(ls, map[string]any{"layer": l.Name, "sqnr_db": num(round(l.Stats.SQNR(), 2)),
			"max_abs_err": num(l.Stats.MaxAbs), "mean_abs_err": num(l.Stats.MeanAbs()),
			"min": num(float64(l.Min)), "max": num(float64(l.Max)), "range": []any{num(float64(l.Lo)), num(float64(l.Hi))},
			"saturation": num(l.Sat)})
	}
	out := map[string]any{
		"scheme":       map[string]any{"embedding": r.Embedding, "dense": r.Dense, "dense_compute": "dequantize on the fly (float32 activations)", "padding_row_folded": r.PaddingFolded},
		"tensor_bytes": map[string]any{"float32": r.TensorBytesF32, "quantized": r.TensorBytesQuant, "ratio": round(float64(r.TensorBytesQuant)/float64(r.TensorBytesF32), 4), "vocab": r.VocabBytes},
		"weights":      ws,
		"layers":       ls,
		"layer_inputs": map[string]any{"source": r.Source, "count": r.Inputs},
		"calibration":  map[string]any{"percentile": r.Calibration.Percentile, "sampled": r.Calibration.Sampled},
	}
	if e := r.Eval; e != nil {
		m := map[string]any{"file": e.Source, "rows": e.Rows, "accuracy_float32": round(e.AccF32, 6), "accuracy_quantized": round(e.AccQuant, 6),
			"drop_points": round(e.DropPoints, 4), "agreement": round(e.Agreement, 6), "disagreements": e.Disagree,
			"max_abs_score_diff": num(e.MaxDiff), "mean_abs_score_diff": num(e.MeanDiff), "runtime_vs_reference_max_abs": num(e.RuntimeVsReference)}
		if fi := e.FullInt; fi != nil {
			m["full_integer_simulated"] = map[string]any{"accuracy": round(fi.Acc, 6), "agreement": round(fi.Agreement, 6),
				"max_abs_score_diff": num(fi.MaxDiff), "activation_saturation": num(fi.Saturation)}
		}
		out["eval"] = m
	}
	return out
}

func round(x float64, digits int) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func db(x float64) string {
	if math.IsInf(x, 1) {
		return "exact"
	}
	return fmt.Sprintf("%.1f dB", x)
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "quantization: embedding %s, dense %s (dequantized on the fly, float32 activations)\n", r.Embedding, r.Dense)
	if r.PaddingFolded {
		fmt.Fprintf(w, "  padding row 0 folded into dense.0's bias (rows stored relative to it; same function)\n")
	}
	fmt.Fprintf(w, "  tensor bytes: %d -> %d (%.1f%% of float32, scales included); vocabulary %d bytes\n",
		r.TensorBytesF32, r.TensorBytesQuant, 100*float64(r.TensorBytesQuant)/float64(r.TensorBytesF32), r.VocabBytes)
	fmt.Fprintf(w, "  weights:\n")
	for _, s := range r.Weights {
		extra := ""
		if s.ZeroRows > 0 {
			extra += fmt.Sprintf(", %d all-zero rows", s.ZeroRows)
		}
		if s.Underflow > 0 {
			extra += fmt.Sprintf(", %d underflowed to 0", s.Underflow)
		}
		fmt.Fprintf(w, "    %-18s %-12s SQNR %-9s max|err| %.3g  mean|err| %.3g%s\n", s.Tensor, s.Scheme, db(s.Stats.SQNR()), s.Stats.MaxAbs, s.Stats.MeanAbs(), extra)
	}
	pct := "min/max"
	if p := r.Calibration.Percentile; p != 0 && p != 100 {
		pct = fmt.Sprintf("%g percentile", p)
	}
	fmt.Fprintf(w, "  layer outputs over %d %s (range: %s):\n", r.Inputs, r.Source, pct)
	for _, l := range r.Layers {
		fmt.Fprintf(w, "    %-28s SQNR %-9s max|err| %.3g  range [%.4g, %.4g] (seen [%.4g, %.4g], %.3f%% outside)\n",
			l.Name, db(l.Stats.SQNR()), l.Stats.MaxAbs, l.Lo, l.Hi, l.Min, l.Max, 100*l.Sat)
	}
	e := r.Eval
	if e == nil {
		fmt.Fprintf(w, "  accuracy: not measured (give --eval FILE with label,text rows)\n")
		return
	}
	fmt.Fprintf(w, "  accuracy on %d rows of %s: float32 %.2f%%, quantized %.2f%% (%+.2f points)\n", e.Rows, e.Source, 100*e.AccF32, 100*e.AccQuant, -e.DropPoints)
	fmt.Fprintf(w, "  decisions agree on %.2f%% (%d differ); |score difference| max %.3g, mean %.3g\n", 100*e.Agreement, e.Disagree, e.MaxDiff, e.MeanDiff)
	if fi := e.FullInt; fi != nil {
		fmt.Fprintf(w, "  (for comparison, full-integer int8 activations simulated: accuracy %.2f%%, agreement %.2f%%, max |score diff| %.3g, %.3f%% of activations clamped)\n",
			100*fi.Acc, 100*fi.Agreement, fi.MaxDiff, 100*fi.Saturation)
	}
}
