package convert

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// Classes a tokenizer pickle may name. Nothing else is ever resolved: unpickling here only
// builds Go values (gopickle runs no Python), and the allow-list keeps it to the objects a
// pickled keras Tokenizer really contains.
var (
	pickleTokenizerModules = map[string]bool{
		"keras_preprocessing.text":            true,
		"keras.preprocessing.text":            true,
		"keras.src.preprocessing.text":        true,
		"keras.src.legacy.preprocessing.text": true, // Keras 3
		"keras.legacy.preprocessing.text":     true,
		"tf_keras.src.preprocessing.text":     true, // tf_keras (Keras 2 for TF >= 2.16)
		"tf_keras.preprocessing.text":         true,
	}
)

// pyTokenizer is an unpickled keras Tokenizer: its __dict__.
type pyTokenizer struct {
	class string
	dict  map[string]any
}

func (t *pyTokenizer) PyDictSet(k, v any) error {
	s, ok := k.(string)
	if !ok {
		return fmt.Errorf("Tokenizer attribute name %v is not a string", k)
	}
	t.dict[s] = v
	return nil
}

type pyTokenizerClass struct{ name string }

func (c *pyTokenizerClass) PyNew(args ...any) (any, error) {
	if len(args) != 0 {
		return nil, fmt.Errorf("%s created with arguments", c.name)
	}
	return &pyTokenizer{class: c.name, dict: map[string]any{}}, nil
}

// pyDefaultDict is collections.defaultdict(int): a dict.
type pyDefaultDictClass struct{}

func (pyDefaultDictClass) Call(args ...any) (any, error) {
	if len(args) > 1 {
		return nil, fmt.Errorf("collections.defaultdict called with %d arguments", len(args))
	}
	if len(args) == 1 {
		if _, ok := args[0].(pyIntClass); !ok {
			return nil, fmt.Errorf("collections.defaultdict with factory %T; only int is allowed", args[0])
		}
	}
	return types.NewDict(), nil
}

type pyIntClass struct{}

func (pyIntClass) Call(args ...any) (any, error) {
	return nil, fmt.Errorf("builtins.int called in a tokenizer pickle")
}

func pickleFindClass(module, name string) (any, error) {
	switch {
	case name == "Tokenizer" && pickleTokenizerModules[module]:
		return &pyTokenizerClass{name: module + "." + name}, nil
	case module == "collections" && name == "defaultdict":
		return pyDefaultDictClass{}, nil
	case (module == "builtins" && name == "int") || (module == "__builtin__" && (name == "int" || name == "long")):
		return pyIntClass{}, nil
	}
	return nil, fmt.Errorf("the pickle references %s.%s, which is not a Keras Tokenizer class (keras_preprocessing, keras, Keras 3 legacy or tf_keras), OrderedDict, defaultdict or int; refusing to load it (re-save the tokenizer with tokenizer.to_json())", module, name)
}

// ReadPickle reads a pickled keras Tokenizer (pickle.dump(tokenizer, f)) through a strict
// allow-list: only the Keras Tokenizer classes, collections.OrderedDict,
// collections.defaultdict, builtins.int and plain values.
func ReadPickle(data []byte) (tok *Tokenizer, err error) {
	data, err = scanPickle(data)
	if err != nil {
		return nil, fmt.Errorf("convert: tokenizer pickle: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			tok, err = nil, fmt.Errorf("convert: tokenizer pickle is corrupt (%v)", r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = pickleFindClass
	v, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("convert: tokenizer pickle: %v", err)
	}
	t, ok := v.(*pyTokenizer)
	if !ok {
		return nil, fmt.Errorf("convert: the pickle holds a %s, not a keras Tokenizer", pyTypeName(v))
	}
	return tokenizerFromPy(t)
}

func pyTypeName(v any) string {
	switch v.(type) {
	case *types.Dict, *types.OrderedDict:
		return "dict"
	case *types.List:
		return "list"
	case string:
		return "str"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}

// pyField sets *dst to the unpickled attribute key when the Tokenizer has it; a value of
// another Python type (pyType names the wanted one) is an error.
func pyField[T any](d map[string]any, key string, dst *T, pyType string) error {
	v, ok := d[key]
	if !ok {
		return nil
	}
	x, ok := v.(T)
	if !ok {
		return fmt.Errorf("convert: tokenizer pickle: %s is %s, not %s", key, pyTypeName(v), pyType)
	}
	*dst = x
	return nil
}

func tokenizerFromPy(t *pyTokenizer) (*Tokenizer, error) {
	d := t.dict
	cfg := kerasTokConfig{Filters: defaultFilters, Lower: true, Split: " "}
	for _, e := range []error{pyField(d, "filters", &cfg.Filters, "str"), pyField(d, "split", &cfg.Split, "str"),
		pyField(d, "lower", &cfg.Lower, "bool"), pyField(d, "char_level", &cfg.CharLevel, "bool")} {
		if e != nil {
			return nil, e
		}
	}
	if v, ok := d["num_words"]; ok && v != nil {
		n, ok := pyInt(v)
		if !ok || n < 0 {
			return nil, fmt.Errorf("convert: tokenizer pickle: num_words is %v, not a non-negative int", v)
		}
		cfg.NumWords = n
	}
	if v, ok := d["oov_token"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("convert: tokenizer pickle: oov_token is %s, not str", pyTypeName(v))
		}
		cfg.OOVToken = &s
	}
	if v, ok := d["analyzer"]; ok && v != nil {
		return nil, fmt.Errorf("convert: tokenizer pickle: the Tokenizer has a custom analyzer, which edgewatt cannot reproduce")
	}
	wi := map[string]int{}
	add := func(k, v any) error {
		w, ok := k.(string)
		if !ok {
			return fmt.Errorf("convert: tokenizer pickle: word_index key %v is not str", k)
		}
		id, ok := pyInt(v)
		if !ok {
			return fmt.Errorf("convert: tokenizer pickle: word_index[%q] = %v is not an int", w, v)
		}
		wi[w] = id
		return nil
	}
	switch x := d["word_index"].(type) {
	case *types.Dict:
		for _, e := range *x {
			if err := add(e.Key, e.Value); err != nil {
				return nil, err
			}
		}
	case *types.OrderedDict:
		for el := x.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			if err := add(e.Key, e.Value); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("convert: tokenizer pickle: word_index is %s, not a dict; was the tokenizer fitted (fit_on_texts)?", pyTypeName(d["word_index"]))
	}
	cfg.wordIndex = wi
	return cfg.tokenizer("keras-pickle")
}

func pyInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return int(n), true
	case *big.Int:
		if n.IsInt64() && n.Int64() >= -1<<31 && n.Int64() < 1<<31 {
			return int(n.Int64()), true
		}
	}
	return 0, false
}

// scanPickle walks the opcodes of a pickle before gopickle sees it: it refuses opcodes a
// tokenizer pickle never contains (persistent ids, extension registry, INST/OBJ, buffers)
// and checks every length field against the bytes that remain, so a corrupt or hostile
// length cannot make the unpickler allocate gigabytes. Protocol 0's UNICODE opcode holds
// raw-unicode-escape text, which gopickle does not decode: such pickles are returned
// rewritten with each UNICODE as the equivalent BINUNICODE (UTF-8).
func scanPickle(b []byte) ([]byte, error) {
	if err := scanOps(b); err != nil {
		return nil, err
	}
	if !hasOp(b, 'V') {
		return b, nil
	}
	if hasOp(b, 0x95) {
		return nil, fmt.Errorf("mixes protocol 0 text strings with protocol 4 frames")
	}
	var out []byte
	i := 0
	for i < len(b) {
		n := opLen(b, i)
		if b[i] == 'V' {
			s := decodeRawUnicodeEscape(b[i+1 : i+n-1])
			out = append(out, 'X')
			out = binary.LittleEndian.AppendUint32(out, uint32(len(s)))
			out = append(out, s...)
		} else {
			out = append(out, b[i:i+n]...)
		}
		if b[i] == '.' {
			break // what follows STOP was never scanned and is never read
		}
		i += n
	}
	return out, nil
}

// hasOp reports whether the (already scanned) pickle contains opcode op.
func hasOp(b []byte, op byte) bool {
	for i := 0; i < len(b); i += opLen(b, i) {
		if b[i] == op {
			return true
		}
		if b[i] == '.' {
			break
		}
	}
	return false
}

// opLen returns the length of the opcode at b[i] with its argument; b has passed scanOps.
// FRAME counts as its 9 header bytes (the framed opcodes follow inline).
func opLen(b []byte, i int) int {
	switch b[i] {
	case 0x80, 'K', 'h', 'q':
		return 2
	case 'M':
		return 3
	case 'J', 'j', 'r':
		return 5
	case 'G', 0x95:
		return 9
	case 'U', 0x8c, 'C', 0x8a:
		return 2 + int(b[i+1])
	case 'T', 'X', 'B':
		return 5 + int(binary.LittleEndian.Uint32(b[i+1:]))
	case 0x8d, 0x8e:
		return 9 + int(binary.LittleEndian.Uint64(b[i+1:]))
	case 'I', 'L', 'S', 'V', 'F', 'g', 'p':
		return 1 + bytes.IndexByte(b[i+1:], '\n') + 1
	case 'c':
		j := i + 1 + bytes.IndexByte(b[i+1:], '\n') + 1
		return j + bytes.IndexByte(b[j:], '\n') + 1 - i
	}
	return 1
}

// decodeRawUnicodeEscape decodes Python's raw-unicode-escape: bytes are Latin-1 code
// points, except \uXXXX and \UXXXXXXXX escapes.
func decodeRawUnicodeEscape(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) && (b[i+1] == 'u' || b[i+1] == 'U') {
			n := 4
			if b[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(b) {
				if v, err := strconv.ParseUint(string(b[i+2:i+2+n]), 16, 32); err == nil && v <= unicode.MaxRune {
					sb.WriteRune(rune(v))
					i += 1 + n
					continue
				}
			}
		}
		sb.WriteRune(rune(b[i]))
	}
	return sb.String()
}

func scanOps(b []byte) error {
	i := 0
	need := func(n uint64) error {
		if n > uint64(len(b)-i) {
			return fmt.Errorf("truncated or corrupt: an opcode at byte %d needs %d bytes, %d remain", i, n, len(b)-i)
		}
		return nil
	}
	line := func() error {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return fmt.Errorf("truncated: unterminated text argument at byte %d", i)
		}
		i += j + 1
		return nil
	}
	for i < len(b) {
		op := b[i]
		at := i
		i++
		switch op {
		case '.': // STOP
			return nil
		case '(', '0', '1', '2', 'N', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 's', 't', ')', 'u',
			0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x93, 0x94, 0x8f, 0x90, 0x91:
		case 0x80, 'K', 'h', 'q': // PROTO, BININT1, BINGET, BINPUT
			if err := need(1); err != nil {
				return err
			}
			i++
		case 'M':
			if err := need(2); err != nil {
				return err
			}
			i += 2
		case 'J', 'j', 'r':
			if err := need(4); err != nil {
				return err
			}
			i += 4
		case 'G':
			if err := need(8); err != nil {
				return err
			}
			i += 8
		case 0x95: // FRAME: the frame's opcodes follow inline
			if err := need(8); err != nil {
				return err
			}
			n := binary.LittleEndian.Uint64(b[i:])
			i += 8
			if err := need(n); err != nil {
				return err
			}
		case 0x8a: // LONG1: 1-byte length + two's-complement integer
			if err := need(1); err != nil {
				return err
			}
			n := int(b[i])
			i++
			if n > 4 {
				return errInt32(at)
			}
			if err := need(uint64(n)); err != nil {
				return err
			}
			i += n
		case 0x8b: // LONG4: only for integers of 256 bytes or more
			return errInt32(at)
		case 'U', 0x8c, 'C': // 1-byte length + data
			if err := need(1); err != nil {
				return err
			}
			n := uint64(b[i])
			i++
			if err := need(n); err != nil {
				return err
			}
			i += int(n)
		case 'T', 'X', 'B': // 4-byte length + data
			if err := need(4); err != nil {
				return err
			}
			n := uint64(binary.LittleEndian.Uint32(b[i:]))
			i += 4
			if err := need(n); err != nil {
				return err
			}
			i += int(n)
		case 0x8d, 0x8e: // 8-byte length + data
			if err := need(8); err != nil {
				return err
			}
			n := binary.LittleEndian.Uint64(b[i:])
			i += 8
			if err := need(n); err != nil {
				return err
			}
			i += int(n)
		case 'I', 'L': // INT, LONG: decimal text (LONG may end in 'L')
			if err := line(); err != nil {
				return err
			}
			text := strings.TrimSuffix(string(b[at+1:i-1]), "L")
			if _, err := strconv.ParseInt(text, 10, 32); err != nil {
				return errInt32(at)
			}
		case 'S', 'V', 'F', 'g', 'p':
			if err := line(); err != nil {
				return err
			}
		case 'c': // GLOBAL module\nname\n
			if err := line(); err != nil {
				return err
			}
			if err := line(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("opcode 0x%02x at byte %d (persistent id, extension, INST/OBJ, NEWOBJ_EX or buffer) is not allowed in a tokenizer pickle", op, at)
		}
	}
	return fmt.Errorf("truncated: no STOP opcode")
}

// errInt32 refuses an integer beyond 32 bits. A keras Tokenizer pickle holds none, and the
// unpickler would truncate it to a 32-bit int on GOARCH=arm, turning a bad id into a valid one.
func errInt32(at int) error {
	return fmt.Errorf("integer at byte %d does not fit in 32 bits; a keras Tokenizer pickle holds no such number (is the file corrupt?)", at)
}
