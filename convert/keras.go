package convert

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits on what a .keras archive member may hold before it is read.
const (
	maxConfigBytes  = 16 << 20
	maxWeightsBytes = 4 << 30
)

// ReadKeras reads a Keras 3 native .keras archive (zip with config.json, metadata.json and
// model.weights.h5).
func ReadKeras(path string) (*Model, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("convert: %s is not a readable .keras zip archive (%v); is it truncated?", path, err)
	}
	defer zr.Close()
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
	if wf.UncompressedSize64 > maxWeightsBytes {
		return nil, fmt.Errorf("convert: %s: model.weights.h5 is %d bytes, more than edgewatt handles", path, wf.UncompressedSize64)
	}
	// The HDF5 reader needs a file: copy the member out.
	tmp, err := os.CreateTemp("", "edgewatt-*.weights.h5")
	if err != nil {
		return nil, fmt.Errorf("convert: %v", err)
	}
	defer os.Remove(tmp.Name())
	rc, err := wf.Open()
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("convert: %s: model.weights.h5: %v", path, err)
	}
	_, err = io.Copy(tmp, io.LimitReader(rc, maxWeightsBytes))
	rc.Close()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("convert: %s: extracting model.weights.h5: %v; the archive is corrupt or truncated", path, err)
	}
	if err := readKerasWeightsH5(tmp.Name(), path+":model.weights.h5", m); err != nil {
		return nil, err
	}
	return m, nil
}

func readZipMember(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%d bytes is too large", f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errors.New("member larger than its header says")
	}
	return b, nil
}
