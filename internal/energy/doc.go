// Package energy measures the energy of one inference the way MLPerf Tiny's energy mode
// does: an idle baseline, then windows of continuous inference, the power source sampled
// on its own goroutine at its natural rate, energy by trapezoid integration, and the median
// over windows. It knows nothing of models: a Workload is a function that runs n
// inferences, so the engine serves any runtime and any test double.
//
// # Method
//
// Run first warms every workload up (for Options.Warmup, not measured), then measures an idle
// window of Options.Idle with nothing running, then Options.Windows rounds; each round runs
// every workload for one window of Options.Window, in order (round-robin), so that a slow
// drift of the board (temperature, the supply) spreads over all models instead of biasing
// the last one. Per window:
//
//	E           energy over [start, end]: the trapezoid rule over the readings, the first and
//	            last pieces clipped at the window's edges by linear interpolation
//	P           E / t, the average power
//	P_idle      E_idle / t_idle of the idle window
//	n           inferences completed in the window
//	marginal    (E - P_idle x t) / n: what one inference adds to an idle board
//	total       E / n: what the board draws per inference while serving
//
// A counter source (a Reading with a cumulative Energy, RAPL) is integrated from counter
// differences instead, spread evenly over each sampling interval; where the counter went
// backwards (a wrap) the source's Power for that interval is used.
//
// Each model's summary is the median over its usable windows, with the minimum and maximum
// as the spread; the notes warn when they differ by more than 10%. A window is left out of
// the median, and the report says why, when a reading inside it was flagged Throttled or
// UnderVoltage (board.Throttle: from a replay's throttled column, or on a live board from
// Options.Conditions polling vcgencmd get_throttled), when the power data does not cover
// 99% of it (the source failed or ended), or when the run was interrupted during it.
// Sources flagged Partial, Saturated or Estimated are named in the notes.
//
// # Live and replay timelines
//
// With a live sensor, window edges are wall-clock times (time.Now) and readings carry the
// source's stamps; after the last window the engine waits about one sampling interval so a
// reading past the end exists. Tests run the live path inside testing/synctest, whose
// virtual clock makes it deterministic.
//
// A replay (a source with a Trace method, board.Replay) is read ahead: its readings carry
// trace times, so the windows are laid on the trace's timeline, idle from t = 0 and then
// the load windows back to back. Nothing waits for the idle window. The inference count of
// a load window is measured rather than replayed: the workload runs for
// min(Window, Options.ReplayRun) of real time and its throughput is scaled to the window's
// length, n = count x Window / elapsed. A three-model demo of 3 windows therefore takes
// about 9 x ReplayRun plus the warm-ups for any window of 1 s or more: about 10 s with
// --window 2s.
//
// # Failures
//
// A live source's isolated read error (an I2C glitch) is skipped and counted in the notes;
// three in a row, or the end of a replay, stop the sampling, not the run: every window
// still gets its inference count, windows the readings no longer cover are marked partial
// with their coverage, and Result.Notes says what failed and when. Run returns an error
// only for bad options.
//
// # CO2e
//
// Grams of CO2-equivalent per million inferences = energy per inference (J) x 1e6 / 3.6e6
// J/kWh x the grid intensity in g/kWh, reported from both the marginal and the total
// energy. DefaultGridIntensity, 475 g/kWh, is the world average that CodeCarbon uses
// (https://mlco2.github.io/codecarbon/methodology.html) and the default of
// 'edgewatt bench --grid-intensity'; the reports say so when it is in use.
//
// # Output
//
// Result.WriteTable prints one column per model then one row per window; WriteJSON the same
// with SI units in the keys and the readings; WriteSVG a chart of power over time with the
// windows shaded per model and each window's marginal µJ/inference written above it.
//
// # Test traces
//
// testdata/*.csv are synthetic traces (idle 2.0 W then 3.5 W load; a throttled window; three
// models at 3.5/3.0/2.6 W) generated from piecewise-constant definitions in traces_test.go
// (-update rewrites them); the tests check the engine against values worked out from those
// definitions, not from the files.
package energy
