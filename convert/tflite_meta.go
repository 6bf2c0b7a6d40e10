package convert

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/edgewatt/edgewatt/convert/internal/tflmeta"
)

// TFLite Metadata: the TFLITE_METADATA entry of Model.metadata is a FlatBuffer of
// tflite-support's metadata_schema.fbs (identifier "M001") naming the associated files
// (vocabulary, labels) and, in Model Maker's text classifiers, a RegexTokenizerOptions
// (delimiter regex + vocabulary file) on the input tensor. The associated files themselves
// are members of a zip archive appended to the .tflite (the MetadataPopulator's layout).

// Limits on the appended zip.
const (
	maxTFLiteZipMembers = 64
	maxTFLiteZipMember  = 64 << 20
)

// tfMeta is what edgewatt reads from TFLITE_METADATA.
type tfMeta struct {
	name, version string
	vocabFile     string   // associated file holding the vocabulary ("" when none)
	labelsFiles   []string // associated files typed TENSOR_AXIS_LABELS, in metadata order
	delimRegex    string   // RegexTokenizerOptions.delim_regex_pattern ("" when absent)
}

// parseTFLiteMetadata reads a TFLITE_METADATA buffer.
func parseTFLiteMetadata(b []byte) (md *tfMeta, err error) {
	if len(b) < 8 || string(b[4:8]) != "M001" {
		return nil, errors.New("convert: TFLITE_METADATA is not a TFLite Metadata flatbuffer (no M001 identifier)")
	}
	defer func() {
		if r := recover(); r != nil {
			md, err = nil, fmt.Errorf("convert: TFLITE_METADATA is corrupt (%v)", r)
		}
	}()
	if int(binary.LittleEndian.Uint32(b)) >= len(b) {
		return nil, errors.New("convert: TFLITE_METADATA is corrupt: root offset outside the buffer")
	}
	vec := func(what string, n, size int) error {
		if n < 0 || n > len(b)/size {
			return fmt.Errorf("convert: TFLITE_METADATA is corrupt: %s has %d entries", what, n)
		}
		return nil
	}
	mm := tflmeta.GetRootAsModelMetadata(b, 0)
	md = &tfMeta{name: string(mm.Name()), version: string(mm.Version())}
	var af tflmeta.AssociatedFile
	files := func(n int, get func(*tflmeta.AssociatedFile, int) bool) error {
		if err := vec("associated files", n, 4); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if !get(&af, i) {
				continue
			}
			switch af.Type() {
			case tflmeta.AssociatedFileTypeVOCABULARY:
				if md.vocabFile == "" {
					md.vocabFile = string(af.Name())
				}
			case tflmeta.AssociatedFileTypeTENSOR_AXIS_LABELS:
				md.labelsFiles = append(md.labelsFiles, string(af.Name()))
			}
		}
		return nil
	}
	units := func(n int, get func(*tflmeta.ProcessUnit, int) bool) error {
		if err := vec("process units", n, 4); err != nil {
			return err
		}
		var pu tflmeta.ProcessUnit
		for i := 0; i < n; i++ {
			if !get(&pu, i) {
				continue
			}
			switch pu.OptionsType() {
			case tflmeta.ProcessUnitOptionsRegexTokenizerOptions:
				var t flatbuffers.Table
				if !pu.Options(&t) {
					continue
				}
				var ro tflmeta.RegexTokenizerOptions
				ro.Init(t.Bytes, t.Pos)
				md.delimRegex = string(ro.DelimRegexPattern())
				if err := vec("vocabulary files", ro.VocabFileLength(), 4); err != nil {
					return err
				}
				if ro.VocabFileLength() > 0 && ro.VocabFile(&af, 0) {
					md.vocabFile = string(af.Name())
				}
			case tflmeta.ProcessUnitOptionsBertTokenizerOptions, tflmeta.ProcessUnitOptionsSentencePieceTokenizerOptions:
				return fmt.Errorf("convert: %w: the TFLite metadata asks for a %s, a sub-word tokenizer of BERT-style models; edgewatt runs word-level (regex) tokenizers", ErrUnsupportedLayer, pu.OptionsType())
			}
		}
		return nil
	}
	if err := files(mm.AssociatedFilesLength(), mm.AssociatedFiles); err != nil {
		return nil, err
	}
	if err := vec("subgraph metadata", mm.SubgraphMetadataLength(), 4); err != nil {
		return nil, err
	}
	if mm.SubgraphMetadataLength() > 0 {
		var sg tflmeta.SubGraphMetadata
		mm.SubgraphMetadata(&sg, 0)
		if err := files(sg.AssociatedFilesLength(), sg.AssociatedFiles); err != nil {
			return nil, err
		}
		if err := units(sg.InputProcessUnitsLength(), sg.InputProcessUnits); err != nil {
			return nil, err
		}
		var tm tflmeta.TensorMetadata
		for _, list := range []struct {
			n   int
			get func(*tflmeta.TensorMetadata, int) bool
		}{{sg.InputTensorMetadataLength(), sg.InputTensorMetadata}, {sg.OutputTensorMetadataLength(), sg.OutputTensorMetadata}} {
			if err := vec("tensor metadata", list.n, 4); err != nil {
				return nil, err
			}
			for i := 0; i < list.n; i++ {
				if !list.get(&tm, i) {
					continue
				}
				if err := files(tm.AssociatedFilesLength(), tm.AssociatedFiles); err != nil {
					return nil, err
				}
				if err := units(tm.ProcessUnitsLength(), tm.ProcessUnits); err != nil {
					return nil, err
				}
			}
		}
	}
	return md, nil
}

// tfliteZip returns the members of the zip appended to a .tflite (nil when there is none).
func tfliteZip(b []byte) (map[string][]byte, error) {
	// The end-of-central-directory record is in the last 64 KiB + 22 bytes.
	tail := b[max(0, len(b)-(1<<16+22)):]
	if !bytes.Contains(tail, []byte("PK\x05\x06")) {
		return nil, nil
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("convert: the zip of associated files appended to the TFLite model is corrupt (%v)", err)
	}
	if len(zr.File) > maxTFLiteZipMembers {
		return nil, fmt.Errorf("convert: the TFLite model's appended zip has %d members, more than edgewatt reads (%d)", len(zr.File), maxTFLiteZipMembers)
	}
	out := map[string][]byte{}
	var total uint64
	for _, f := range zr.File {
		// Bounded by the size each member declares (readZipMember), and all of them together
		// by maxTFLiteZipMember too: 64 honest 64 MiB members would be 4 GiB.
		total += f.UncompressedSize64
		if total > maxTFLiteZipMember {
			return nil, fmt.Errorf("convert: the TFLite model's associated files declare more than %d bytes together, more than edgewatt reads", maxTFLiteZipMember)
		}
		data, err := readZipMember(f, maxTFLiteZipMember)
		if err != nil {
			return nil, fmt.Errorf("convert: the TFLite model's associated file %s: %v", f.Name, err)
		}
		out[f.Name] = data
	}
	return out, nil
}
