package convert

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/edgewatt/edgewatt/internal/safeio"
)

// Limits on what a .keras archive member may hold before it is read.
const (
	maxConfigBytes  = 16 << 20
	maxWeightsBytes = safeio.MaxModelFile
)

// ReadKeras reads a Keras 3 native .keras archive (zip with config.json, metadata.json and
// model.weights.h5).
func ReadKeras(path string) (*Model, error) {
	zf, size, err := openInput(path, "model")
	if err != nil {
		return nil, err
	}
	defer zf.Close()
	if size > safeio.MaxModelFile {
		return nil, fmt.Errorf("convert: model %s is %d bytes, more than the %d edgewatt reads", path, size, int64(safeio.MaxModelFile))
	}
	zr, err := zip.NewReader(zf, size)
	if err != nil {
		return nil, fmt.Errorf("convert: %s is not a readable .keras zip archive (%v); is it truncated?", path, err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	cfgF, ok := files["config.json"]
	if !ok {
		return nil, fmt.Errorf("convert: %s has no config.json: not a Keras 3 .keras archive", path)
	}
	cfg, err := readZipMember(cfgF, maxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: config.json: %v", path, err)
	}
	m, err := parseModelConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	m.Format = "keras"
	m.TextVec, err = extractTextVec(m, func(name string) ([]byte, bool, error) {
		f, ok := files[name]
		if !ok {
			return nil, false, nil
		}
		b, err := readZipMember(f, maxConfigBytes)
		if err == nil {
			m.TextVecData = b
		}
		return b, true, err
	})
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	if m.TextVec != nil && m.TextVecData == nil {
		m.TextVecData = cfg
	}
	if mf, ok := files["metadata.json"]; ok {
		if b, err := readZipMember(mf, maxConfigBytes); err == nil {
			var md struct {
				KerasVersion string `json:"keras_version"`
			}
			if json.Unmarshal(b, &md) == nil {
				m.KerasVersion = md.KerasVersion
			}
		}
	}
	wf, ok := files["model.weights.h5"]
	if !ok {
		if _, sharded := files["model.weights.json"]; sharded {
			return nil, fmt.Errorf("convert: %s holds sharded weights (model.weights.json), which edgewatt does not read; save with model.save(\"model.keras\") without max_shard_size", path)
		}
		return nil, fmt.Errorf("convert: %s has no model.weights.h5: %w", path, ErrNoWeights)
	}
	// The member is read into memory (no temporary file), never past the size its zip
	// header declares nor past maxWeightsBytes: a member that inflates to more is refused
	// after that many bytes.
	wb, err := readZipMember(wf, maxWeightsBytes)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: model.weights.h5: %v", path, err)
	}
	if err := readKerasWeightsH5(wb, path+":model.weights.h5", m); err != nil {
		return nil, err
	}
	return m, nil
}

// readZipMember reads a zip member whose header declares at most max bytes, streaming
// into a buffer of the declared size: it fails as soon as the data would exceed the declared
// size (a decompression bomb, or a lying header) and when it is shorter.
func readZipMember(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("its zip header declares %d bytes, more than the %d edgewatt reads; this is not a text classifier for a small board (or the archive is hostile)", f.UncompressedSize64, max)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(f.UncompressedSize64))
	n, err := io.Copy(&buf, io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, fmt.Errorf("%v; the archive is corrupt, truncated or inflates past the %d bytes its header declares", err, f.UncompressedSize64)
	}
	if uint64(n) != f.UncompressedSize64 {
		return nil, fmt.Errorf("inflates to more or fewer than the %d bytes its zip header declares; the archive is corrupt or hostile", f.UncompressedSize64)
	}
	return buf.Bytes(), nil
}
