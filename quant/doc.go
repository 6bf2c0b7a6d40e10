// Package quant specifies edgewatt's weight quantization schemes and holds their reference
// quantize and dequantize code, the float16 conversions they use, the error statistics that
// say what a scheme cost (max and mean absolute error, SQNR), and the calibration observers
// that measure activation ranges. It is the specification: the runtime's fast kernels must
// agree with Dequantize here (integer paths bit for bit, float paths within a stated
// tolerance). It depends only on the standard library and github.com/x448/float16, so the
// runtime may import it.
//
// Every scheme is a Scheme value (F32, F16, Int8Row, Int8Tensor, Int8Channel) whose Name is
// the string stored in the model file's "quant" metadata (package runtime/modelfile). A weight
// matrix is always seen as rows x cols, row-major: the embedding table is [V, D] (row = token
// id), a Dense kernel is [out, in] (row = output channel).
//
// All schemes refuse NaN and ±Inf weights with a *NonFiniteError: a model with such weights is
// broken, and quantizing it would hide that.
//
// # f32
//
// Layout: the weights as F32 [rows, cols]. Identity, listed so that every group has a scheme.
//
// # f16
//
// Layout: the weights as IEEE 754 binary16 (F16 [rows, cols], little-endian), computed in
// float32 after widening. Rounding is to nearest, ties to even (x448/float16). Magnitudes
// below 2^-24 round to zero, those up to 2^-14 become subnormals (kept); a finite weight of
// magnitude 65520 or more would become infinite and is refused. The relative error of a normal
// value is at most 2^-11.
//
// # int8-row
//
// Symmetric per-row int8, for the embedding table. Layout: I8 [rows, cols] and one F16 scale
// per row ([rows], 2 bytes each, so a 10000 x 16 table costs 160000 + 20000 bytes instead of
// 640000). For row r with m = max |w[r][c]|:
//
//	s  = m / 127, rounded UP to the next float16 (so that no |w| / s exceeds 127)
//	q  = clamp(round(w / s), -127, 127)      round half away from zero, computed in float64
//	w' = float32(q) * float32(s)
//
// The scale is rounded to float16 before quantizing, so the integers are the best ones for the
// scale the file actually stores, and |w - w'| <= s/2 for every element. An all-zero row gets
// s = 0 and q = 0 (dequantized exactly to 0). A row whose m/127 exceeds the float16 range
// (m > 65504*127) is refused: use int8-tensor. -128 is never produced, so negation and the
// int32 sums of the pooling are symmetric.
//
// Pooling (GlobalAveragePooling1D) over ids t_1..t_L sums q[t_i] per id in int32 and scales
// once per distinct id: mean_c = (1/L) * sum over distinct ids u of s_u * (sum of q[u][c] over
// the positions holding u). |q| <= 127, so an int32 accumulator is exact for any L < 2^24.
//
// # int8-tensor
//
// Symmetric int8 with one scale for the whole matrix (the TFLite dynamic-range choice for the
// embedding). Layout: I8 [rows, cols] and one F32 scale ([1]). s = m / 127 over the whole
// matrix, rounded UP to the next float32 (as int8-row rounds up to float16); q and w' as
// above. Pooling then sums all rows in int32 and scales once.
//
// # int8-channel
//
// Symmetric per-output-channel int8, for Dense kernels stored [out, in]. Layout: I8 [out, in]
// and F32 scales [out]; s_o = m_o / 127 over row o, rounded up to the next float32; q and w'
// as above. Biases stay F32. The runtime dequantizes on the fly:
// y_o = s_o * sum_i float32(q[o][i]) * x_i + b_o.
//
// # Which dense computation, and why
//
// The Dense layers of these networks are 16x24 + 24x1 = 408 multiply-adds, against ~100
// embedding rows of 16 summed by the pooling, so their arithmetic hardly matters; what matters
// is accuracy. edgewatt runs them dequantize-on-the-fly (int8-channel weights, float32
// activations). Measured on the 6709 held-out sarcasm headlines (convert's report simulates the
// full-integer scheme beside it, with activation ranges from 1000 calibration headlines):
//
//	model (int8-row + int8-channel)   on-the-fly agreement   full-integer agreement
//	keras3.8 nisthachauhan            99.94%                 99.91%
//	keras3.10 lumb3                   99.97%                 99.87%
//	keras2.15 vocab1000 rafimadani    99.97%                 99.67%
//	keras2.4 k4u5h4l (trained on all) 100.00%                100.00%
//
// and full-integer's max |score difference| is 3 to 5 times larger (it requantizes every
// activation, and TFLite's sigmoid output has a 1/256 step). The reference loops in
// bench_test.go take about 1.0 us (on the fly) and 3.1 us (full integer, most of it
// requantizing activations) per inference on an amd64 host: integer arithmetic does not pay
// for its requantization at this size. Full-integer would matter only for integer-only
// accelerators, which a Raspberry Pi does not have.
//
// # Padding-row folding (convert)
//
// GlobalAveragePooling1D without a mask averages all maxlen positions, and on headlines ~90%
// of them are padding, id 0. The quantization error of row 0 is then added, nearly whole, to
// every pooled vector: alone it flipped 41 of 6709 decisions of the vocab-1000 model. convert
// therefore stores int8 embeddings relative to row 0 (e_v - e_0, so row 0 is exactly zero) and
// adds W0 e_0 to the first Dense layer's float32 bias; the model computes the same function
// and the runtime needs nothing new. With it the pooled output's SQNR rises from 44-47 dB to
// 65-70 dB on the real models.
//
// # Activations (calibration)
//
// For the full-integer alternative (TFLite's scheme: int8 activations, asymmetric per tensor,
// int32 biases), ActivationParams maps a calibrated range [lo, hi] (widened to contain 0) to
// a scale and zero point: scale = (hi - lo) / 255, zp = round(-128 - lo/scale), and
// q = clamp(round(x/scale) + zp, -128, 127), x' = (q - zp) * scale. An Observer records
// min/max and the values (all of them up to a bound, then a deterministic reservoir
// sample) so that a percentile range can be chosen and the saturation (the share of values
// outside the range) reported.
//
// # Error statistics
//
// Stats compares a reference x with an approximation y: max |x - y|, mean |x - y| and the
// signal-to-quantization-noise ratio SQNR = 10 log10(sum x^2 / sum (x - y)^2) in dB (+Inf when
// y == x). Each int8 bit is worth about 6 dB; a per-row int8 embedding typically measures
// 38-42 dB on trained weights.
//
// References: IEEE 754-2008 binary16; Jacob et al., "Quantization and Training of Neural
// Networks for Efficient Integer-Arithmetic-Only Inference" (CVPR 2018), the scheme TFLite
// implements (https://www.tensorflow.org/lite/performance/quantization_spec).
package quant
