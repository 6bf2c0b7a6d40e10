package modelfile

import (
	"bytes"
	"encoding/binary"
)

// Sniff names the model container data holds, from its first bytes, or returns "" when it
// is none edgewatt knows: "a Keras legacy .h5 model (HDF5)", "a zip archive (a Keras 3
// .keras model)", "a TF.js model.json", "a TFLite flatbuffer" or "an edgewatt model file".
// Commands use it to say what a wrong file is: a Keras model given to predict needs
// 'edgewatt convert' first; a model given as --tokenizer is the wrong argument.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89HDF\r\n\x1a\n")):
		return "a Keras legacy .h5 model (HDF5)"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "a zip archive (a Keras 3 .keras model)"
	case len(data) >= 8 && string(data[4:8]) == "TFL3":
		return "a TFLite flatbuffer"
	}
	head := data[:min(len(data), 1<<16)]
	if t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"); len(t) > 0 && t[0] == '{' && bytes.Contains(head, []byte(`"modelTopology"`)) {
		return "a TF.js model.json"
	}
	if len(data) >= 8 {
		n := binary.LittleEndian.Uint64(data[:8])
		if n > 0 && n <= MaxHeader && n <= uint64(len(data)-8) && bytes.Contains(data[8:8+n], []byte(`"format":"`+Format+`"`)) {
			return "an edgewatt model file"
		}
	}
	return ""
}

// notConverted is Parse's error for a Keras/TF.js/TFLite model given where an edgewatt model
// file belongs.
func notConverted(what string) error {
	return &NotConvertedError{What: what}
}

// NotConvertedError is returned by Parse for a source model (Keras .h5, .keras, TF.js,
// TFLite) given where an edgewatt model file is needed.
type NotConvertedError struct{ What string }

func (e *NotConvertedError) Error() string {
	return "modelfile: this is " + e.What + ", not an edgewatt model file; convert it first: edgewatt convert MODEL --tokenizer TOKENIZER -o model.safetensors (then use model.safetensors)"
}
